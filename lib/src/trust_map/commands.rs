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
    let namespaced = super::kinds::find(&u.kind)?.namespaced;
    let ns = match (&u.namespace, namespaced) {
        (Some(n), true) => format!(" {}", sh(&format!("--namespace={n}"))),
        (None, false) => String::new(),
        _ => return None,
    };
    if u.delete {
        return Some(format!("kubectl{ns} delete {}", sh(&format!("{}/{}", u.kind.to_lowercase(), u.name))));
    }
    if !u.replaceable {
        return None;
    }
    // The bundle is read into a variable first: a missing, empty or unreadable file stops the
    // command before kubectl runs, instead of patching the field empty.
    let file = sh_path(bundle);
    let b64 = format!("test -s {file} && b64=\"$(base64 -w0 {file})\" && ");
    let target = |kind: &str| sh(&format!("{kind}/{}", u.name));
    let merge = |prefix: String, suffix: &str| format!("--type merge -p {}\"$b64\"{}", sh(&prefix), sh(suffix));
    let js = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match u.kind.as_str() {
        "ConfigMap" => {
            let key = u.field.strip_prefix("data.").filter(|k| is_key(k))?;
            let from = sh(&format!("--from-file={key}={}", bundle.display()));
            Some(format!(
                "test -s {file} && data=\"$(kubectl create configmap bundle {from} --dry-run=client -o jsonpath='{{.data}}')\" && kubectl{ns} patch {} --type merge -p {}\"$data\"{}",
                target("configmap"),
                sh("{\"data\":"),
                sh("}")
            ))
        }
        "Secret" => {
            let key = u.field.strip_prefix("data.").filter(|k| is_key(k))?;
            let patch = merge(format!("{{\"data\":{{{}:\"", js(key)), "\"}}");
            Some(format!("{b64}kubectl{ns} patch {} {patch}", target("secret")))
        }
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            let index: usize =
                u.field.strip_prefix("webhooks[")?.strip_suffix("].clientConfig.caBundle")?.parse().ok()?;
            let op = format!("[{{\"op\":\"replace\",\"path\":\"/webhooks/{index}/clientConfig/caBundle\",\"value\":\"");
            let kind = u.kind.to_lowercase();
            Some(format!("{b64}kubectl patch {} --type json -p {}\"$b64\"{}", target(&kind), sh(&op), sh("\"}]")))
        }
        "APIService" if u.field == "spec.caBundle" => {
            let patch = merge("{\"spec\":{\"caBundle\":\"".into(), "\"}}");
            Some(format!("{b64}kubectl patch {} {patch}", target("apiservice")))
        }
        "CustomResourceDefinition" => {
            let patch =
                merge("{\"spec\":{\"conversion\":{\"webhook\":{\"clientConfig\":{\"caBundle\":\"".into(), "\"}}}}}");
            Some(format!("{b64}kubectl patch {} {patch}", target("customresourcedefinition")))
        }
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
            target: "ca",
            replaceable: true,
            delete: false,
        }
    }

    #[test]
    fn names_from_the_dump_are_quoted() {
        let bundle = std::path::Path::new("/etc/kubernetes/pki/ca.crt");
        let u = update_of("Secret", Some("-n"), "x'; rm -rf / #", "data.ca.crt");
        let cmd = update(&u, bundle).expect("a command");
        assert!(cmd.contains(" && kubectl --namespace=-n patch 'secret/x'\\''; rm -rf / #' "), "{cmd}");
        assert!(cmd.starts_with("test -s /etc/kubernetes/pki/ca.crt && b64=\"$(base64 -w0 "), "{cmd}");
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
