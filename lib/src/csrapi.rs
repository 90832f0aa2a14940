//! The Kubernetes certificates API: `CertificateSigningRequest` manifests, the built-in
//! signers' rules (as kube-controller-manager applies them, with its words), and reading
//! the issued certificate back from a CSR object.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::signer::{ApiUsage, Signer};

/// Makes a valid object name (DNS subdomain) from a CN: `system:node:N1` → `system-node-n1`.
pub fn object_name(cn: &str) -> String {
    let mut out: String = cn
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let trimmed = out.trim_matches(|c: char| c == '-' || c == '.');
    let mut name: String = trimmed.chars().take(253).collect();
    if name.is_empty() {
        name = "csr".into();
    }
    name
}

/// Checks a user-given object name.
pub fn check_object_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "--name '{name}': an object name is lowercase letters, digits, '-' and '.', starting and ending alphanumeric"
        )))
    }
}

/// A `certificates.k8s.io/v1` CertificateSigningRequest.
pub fn manifest(
    name: &str,
    csr_pem: &str,
    signer: &Signer,
    usages: &[ApiUsage],
    expiration_seconds: Option<i64>,
) -> Value {
    let mut spec = serde_json::Map::new();
    spec.insert("request".into(), json!(B64.encode(csr_pem)));
    spec.insert("signerName".into(), json!(signer.to_string()));
    spec.insert("usages".into(), json!(usages));
    if let Some(secs) = expiration_seconds {
        spec.insert("expirationSeconds".into(), json!(secs));
    }
    json!({
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": spec,
    })
}

/// Renders an object as YAML (kubectl's default) or JSON.
pub fn render(object: &Value, json: bool) -> Result<String> {
    if json {
        Ok(serde_json::to_string_pretty(object).map_err(|_| Error::internal("cannot encode JSON"))? + "\n")
    } else {
        serde_norway::to_string(object).map_err(|_| Error::internal("cannot encode YAML"))
    }
}

/// Whether text is a CertificateSigningRequest object (JSON or YAML).
pub fn looks_like_object(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(bytes.get(..8192).unwrap_or(bytes));
    !head.contains("-----BEGIN ") && head.contains("CertificateSigningRequest")
}

/// A CertificateSigningRequest object read from JSON or YAML.
#[derive(Clone, Debug)]
pub struct CsrObject {
    /// The whole object, to write back.
    pub object: Value,
    /// Whether it was JSON (write it back the same way).
    pub was_json: bool,
    /// metadata.name.
    pub name: String,
    /// The CSR PEM from spec.request.
    pub request_pem: String,
    /// spec.signerName, when set.
    pub signer: Option<Signer>,
    /// spec.usages (the API accepts no other words).
    pub usages: Vec<ApiUsage>,
    /// spec.expirationSeconds.
    pub expiration_seconds: Option<i64>,
}

/// The value at `path` in a JSON document, or `null` where any step is missing or not an object.
fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, key| v.get(key).unwrap_or(&Value::Null))
}

impl CsrObject {
    /// Reads an object as `kubectl get csr -o json|yaml` prints it (or as we wrote it).
    pub fn from_slice(bytes: &[u8], source: &str) -> Result<CsrObject> {
        let text = std::str::from_utf8(bytes).map_err(|_| Error::input(source, "not UTF-8 text"))?;
        let was_json = text.trim_start().starts_with('{');
        let object: Value = if was_json {
            serde_json::from_str(text)
                .map_err(|e| Error::input(source, format!("invalid JSON{}", crate::input::json_where(&e))))?
        } else {
            crate::yaml::from_slice(bytes, source, "CertificateSigningRequest object")?
        };
        if at(&object, &["kind"]) != "CertificateSigningRequest" {
            return Err(Error::input(source, "not a CertificateSigningRequest object"));
        }
        // The API server's schema: these are objects (absent or null is fine), usages strings.
        for field in ["metadata", "spec", "status"] {
            if !matches!(at(&object, &[field]), Value::Null | Value::Object(_)) {
                return Err(Error::input(source, format!("{field} is not an object")));
            }
        }
        let usages = match at(&object, &["spec", "usages"]) {
            Value::Null => Vec::new(),
            Value::Array(words) => words
                .iter()
                .map(|w| match w.as_str() {
                    Some(word) => {
                        word.parse::<ApiUsage>().map_err(|e| Error::input(source, format!("spec.usages: {e}")))
                    }
                    None => Err(Error::input(source, "spec.usages is not a list of strings")),
                })
                .collect::<Result<Vec<_>>>()?,
            _ => return Err(Error::input(source, "spec.usages is not a list of strings")),
        };
        let signer = match at(&object, &["spec", "signerName"]) {
            Value::Null => None,
            Value::String(name) if name.is_empty() => None,
            Value::String(name) => {
                let bad = |e| Error::input(source, format!("spec.signerName '{}': {e}", crate::term::sanitize(name)));
                Some(name.parse::<Signer>().map_err(bad)?)
            }
            _ => return Err(Error::input(source, "spec.signerName is not a string")),
        };
        // As kube-apiserver validates it (pkg/apis/certificates/validation/validation.go).
        let expiration_seconds = match at(&object, &["spec", "expirationSeconds"]) {
            Value::Null => None,
            v => Some(v.as_i64().ok_or_else(|| Error::input(source, "spec.expirationSeconds is not an integer"))?),
        };
        if let Some(secs) = expiration_seconds.filter(|s| *s < 600) {
            return Err(Error::input(
                source,
                format!(
                    "spec.expirationSeconds: Invalid value: {secs}: may not specify a duration less than 600 seconds (10 minutes)"
                ),
            ));
        }
        let request = at(&object, &["spec", "request"])
            .as_str()
            .ok_or_else(|| Error::input(source, "spec.request is missing"))?;
        let pem = B64.decode(request.trim()).map_err(|_| Error::input(source, "spec.request is not base64"))?;
        let request_pem = String::from_utf8(pem).map_err(|_| Error::input(source, "spec.request is not PEM"))?;
        Ok(CsrObject {
            name: at(&object, &["metadata", "name"]).as_str().unwrap_or("").to_string(),
            signer,
            usages,
            expiration_seconds,
            request_pem,
            object,
            was_json,
        })
    }

    /// The issued certificate (PEM), or why there is none yet.
    pub fn issued_certificate(&self, source: &str) -> Result<String> {
        if let Some(cert) = at(&self.object, &["status", "certificate"]).as_str().filter(|c| !c.is_empty()) {
            let pem = B64.decode(cert.trim()).map_err(|_| Error::input(source, "status.certificate is not base64"))?;
            return String::from_utf8(pem).map_err(|_| Error::input(source, "status.certificate is not PEM"));
        }
        let conditions = at(&self.object, &["status", "conditions"]).as_array().cloned().unwrap_or_default();
        let find = |t: &str| conditions.iter().find(|c| at(c, &["type"]) == t);
        let message = |c: &Value| at(c, &["message"]).as_str().unwrap_or("").to_string();
        if let Some(c) = find("Denied") {
            return Err(Error::refused_as(
                crate::error::Refusal::Cluster,
                format!("{source}: CSR {} was denied: {}", self.name, message(c)),
            ));
        }
        if let Some(c) = find("Failed") {
            return Err(Error::refused_as(
                crate::error::Refusal::Cluster,
                format!("{source}: signing CSR {} failed: {}", self.name, message(c)),
            ));
        }
        if find("Approved").is_some() {
            return Err(Error::refused_as(
                crate::error::Refusal::Cluster,
                format!(
                    "{source}: CSR {} is approved but not signed yet (is the {} signer running?); try again shortly",
                    self.name,
                    self.signer.as_ref().map_or_else(|| "its".to_string(), Signer::to_string)
                ),
            ));
        }
        Err(Error::refused_as(
            crate::error::Refusal::Cluster,
            format!(
                "{source}: CSR {} is pending: an administrator must approve it (kubectl certificate approve {})",
                self.name, self.name
            ),
        ))
    }

    /// The object with `status.certificate` set (what the signer writes back).
    pub fn with_certificate(&self, cert_pem: &str) -> Result<Value> {
        let mut object = self.object.clone();
        let shape = || Error::input("the CertificateSigningRequest", "status is not an object");
        let root = object.as_object_mut().ok_or_else(shape)?;
        let status = root.entry("status").or_insert_with(|| json!({}));
        if status.is_null() {
            *status = json!({});
        }
        status.as_object_mut().ok_or_else(shape)?.insert("certificate".into(), json!(B64.encode(cert_pem)));
        Ok(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_valid() {
        assert_eq!(object_name("system:node:Node-1"), "system-node-node-1");
        assert_eq!(object_name("alice"), "alice");
        assert_eq!(object_name("::"), "csr");
        assert!(check_object_name("alice-1").is_ok());
        assert!(check_object_name("Alice").is_err());
        assert!(check_object_name("-a").is_err());
    }
}
