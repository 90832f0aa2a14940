//! The `kubectl` command that puts a bundle file into a carrier the operator updates: printed
//! beside the object, never run. Everything from the dump in it is quoted for bash; the bundle
//! goes in through `base64 -w0` (fields holding base64) or kubectl's own ConfigMap generator
//! (ConfigMap values holding PEM text), so no certificate text is pasted into a command line.

use super::rotation::Update;
use crate::explain::{sh, sh_path};

/// The command for `u`, putting `bundle` (a PEM file) into its field; `None` where no single
/// command does (kubeconfigs inside values, `stringData`, ClusterTrustBundles: edit by hand).
pub fn update(u: &Update, bundle: &std::path::Path) -> Option<String> {
    let b64 = format!("\"$(base64 -w0 {})\"", sh_path(bundle));
    let ns = u.namespace.as_deref().map(|n| format!(" -n {}", sh(n))).unwrap_or_default();
    let name = sh(&u.name);
    // A JSON string for a key or name from the dump, then quoted for bash.
    let js = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let merge = |prefix: String, suffix: &str| format!("--type merge -p {}{b64}{}", sh(&prefix), sh(suffix));
    match u.kind.as_str() {
        "ConfigMap" => {
            let key = u.field.strip_prefix("data.")?;
            let file = format!("{key}={}", bundle.display());
            Some(format!(
                "kubectl{ns} create configmap {name} --from-file={} --dry-run=client -o json | kubectl{ns} patch configmap {name} --type merge --patch-file /dev/stdin",
                sh(&file)
            ))
        }
        "Secret" => {
            let key = u.field.strip_prefix("data.").filter(|k| !k.contains(':'))?;
            Some(format!("kubectl{ns} patch secret {name} {}", merge(format!("{{\"data\":{{{}:\"", js(key)), "\"}}")))
        }
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            let index: usize = u.field.strip_prefix("webhooks[")?.split(']').next()?.parse().ok()?;
            let op = format!("[{{\"op\":\"replace\",\"path\":\"/webhooks/{index}/clientConfig/caBundle\",\"value\":\"");
            Some(format!(
                "kubectl patch {} {name} --type json -p {}{b64}{}",
                u.kind.to_lowercase(),
                sh(&op),
                sh("\"}]")
            ))
        }
        "APIService" => {
            Some(format!("kubectl patch apiservice {name} {}", merge("{\"spec\":{\"caBundle\":\"".into(), "\"}}")))
        }
        "CustomResourceDefinition" => Some(format!(
            "kubectl patch customresourcedefinition {name} {}",
            merge("{\"spec\":{\"conversion\":{\"webhook\":{\"clientConfig\":{\"caBundle\":\"".into(), "\"}}}}}")
        )),
        _ => None,
    }
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
        }
    }

    #[test]
    fn names_from_the_dump_are_quoted() {
        let bundle = std::path::Path::new("/etc/kubernetes/pki/ca.crt");
        let u = update_of("Secret", Some("team-a"), "x'; rm -rf / #", "data.ca.crt");
        let cmd = update(&u, bundle).expect("a command");
        assert!(cmd.contains("'x'\\''; rm -rf / #'"), "{cmd}");
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
