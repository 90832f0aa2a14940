//! The `kubectl` command that puts a bundle file into a carrier the operator updates: printed
//! beside the object, never run. Everything from the dump in it is quoted for bash; the bundle
//! goes in through `base64 -w0` (fields holding base64) or kubectl's own ConfigMap generator
//! (ConfigMap values holding PEM text), so no certificate text is pasted into a command line.

use super::rotation::Update;
use crate::explain::{sh, sh_path};

/// The command for `u`, putting `bundle` (a PEM file) into its field; `None` where one
/// command cannot do it without touching something else: a field that holds more than the
/// rotated CA (a chain, another CA, a key), a kubeconfig inside a value, `stringData`, a
/// ClusterTrustBundle, a namespaced object without a namespace, a key kubectl would misread.
/// Names are passed as `kind/NAME` and `--namespace=NS`, one word each, so that no name from
/// the dump is read as an option.
pub fn update(u: &Update, bundle: &std::path::Path) -> Option<String> {
    if !u.replaceable {
        return None;
    }
    let namespaced = super::kinds::find(&u.kind)?.namespaced;
    let ns = match (&u.namespace, namespaced) {
        (Some(n), true) => format!(" {}", sh(&format!("--namespace={n}"))),
        (None, false) => String::new(),
        _ => return None,
    };
    let b64 = format!("\"$(base64 -w0 {})\"", sh_path(bundle));
    let target = |kind: &str| sh(&format!("{kind}/{}", u.name));
    let merge = |prefix: String, suffix: &str| format!("--type merge -p {}{b64}{}", sh(&prefix), sh(suffix));
    let js = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match u.kind.as_str() {
        "ConfigMap" => {
            let key = u.field.strip_prefix("data.").filter(|k| is_key(k))?;
            let from = sh(&format!("--from-file={key}={}", bundle.display()));
            let data =
                format!("\"$(kubectl create configmap bundle {from} --dry-run=client -o jsonpath='{{.data}}')\"");
            Some(format!(
                "kubectl{ns} patch {} --type merge -p {}{data}{}",
                target("configmap"),
                sh("{\"data\":"),
                sh("}")
            ))
        }
        "Secret" => {
            let key = u.field.strip_prefix("data.").filter(|k| is_key(k))?;
            Some(format!(
                "kubectl{ns} patch {} {}",
                target("secret"),
                merge(format!("{{\"data\":{{{}:\"", js(key)), "\"}}")
            ))
        }
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            let index: usize =
                u.field.strip_prefix("webhooks[")?.strip_suffix("].clientConfig.caBundle")?.parse().ok()?;
            let op = format!("[{{\"op\":\"replace\",\"path\":\"/webhooks/{index}/clientConfig/caBundle\",\"value\":\"");
            Some(format!(
                "kubectl patch {} --type json -p {}{b64}{}",
                target(&u.kind.to_lowercase()),
                sh(&op),
                sh("\"}]")
            ))
        }
        "APIService" if u.field == "spec.caBundle" => Some(format!(
            "kubectl patch {} {}",
            target("apiservice"),
            merge("{\"spec\":{\"caBundle\":\"".into(), "\"}}")
        )),
        "CustomResourceDefinition" => Some(format!(
            "kubectl patch {} {}",
            target("customresourcedefinition"),
            merge("{\"spec\":{\"conversion\":{\"webhook\":{\"clientConfig\":{\"caBundle\":\"".into(), "\"}}}}}")
        )),
        _ => None,
    }
}

/// A ConfigMap or Secret key as the API server allows it (`[-._a-zA-Z0-9]+`), which kubectl's
/// `--from-file=KEY=PATH` and a JSON key read as written.
fn is_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust_map::kinds::UpdatedBy;

    fn update_of(kind: &str, ns: Option<&str>, name: &str, field: &str) -> Update {
        Update {
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: name.into(),
            field: field.into(),
            now: vec![],
            want: vec![],
            by: UpdatedBy::Operator,
            replaceable: true,
        }
    }

    #[test]
    fn names_from_the_dump_are_quoted() {
        let bundle = std::path::Path::new("/etc/kubernetes/pki/ca.crt");
        let u = update_of("Secret", Some("-n"), "x'; rm -rf / #", "data.ca.crt");
        let cmd = update(&u, bundle).expect("a command");
        assert!(cmd.starts_with("kubectl --namespace=-n patch 'secret/x'\\''; rm -rf / #' "), "{cmd}");
        let u = update_of("Secret", Some("n"), "-o", "data.ca.crt");
        assert!(update(&u, bundle).expect("a command").contains(" patch secret/-o "), "a name is never an option");
        assert!(update(&update_of("Secret", None, "s", "data.ca.crt"), bundle).is_none(), "no namespace");
        assert!(update(&update_of("Secret", Some("n"), "s", "data.a=b"), bundle).is_none(), "a key kubectl misreads");
        let mut chain = update_of("Secret", Some("n"), "s", "data.tls.crt");
        chain.replaceable = false;
        assert!(update(&chain, bundle).is_none(), "a field holding more than the CA");
        let u = update_of("ValidatingWebhookConfiguration", None, "policy", "webhooks[3].clientConfig.caBundle");
        let cmd = update(&u, bundle).expect("a command");
        assert!(cmd.contains("/webhooks/3/clientConfig/caBundle"), "{cmd}");
        assert!(
            update(
                &update_of("Secret", Some("a"), "b", "data.kubeconfig:clusters[0].cluster.certificate-authority-data"),
                bundle
            )
            .is_none()
        );
        assert!(update(&update_of("ClusterTrustBundle", None, "b", "spec.trustBundle"), bundle).is_none());
    }
}
