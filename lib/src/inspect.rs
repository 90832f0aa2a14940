//! Readable summaries of certificates, CSRs, keys and kubeconfigs — the fields, and what
//! Kubernetes makes of them (user, groups, authorizer, kubeadm profile).

use serde::Serialize;

use crate::cert::{Cert, hex_sha256};
use crate::csr::Csr;
use crate::kubeadm::identity::{Identity, Signer};
use crate::usage::Usage;
use crate::validity::{DAY, format_time};
use crate::verify::describe_usages;

/// A summary of one item.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// `certificate`, `csr`, `private-key`, `public-key`, `kubeconfig`.
    pub kind: &'static str,
    /// Where it came from (`stdin #1`, a file, `admin.conf: user kubernetes-admin`).
    pub source: String,
    /// Labelled fields, in display order.
    pub fields: Vec<(String, serde_json::Value)>,
    /// Fields whose JSON differs from their text (a duration in seconds with its words beside
    /// it, a list the text words): the label and what JSON writes in its place.
    pub json_fields: Vec<(String, Vec<(String, serde_json::Value)>)>,
}

impl Summary {
    /// An empty summary of a `kind` item from `source`.
    pub fn new(kind: &'static str, source: &str) -> Summary {
        Summary { kind, source: source.to_string(), fields: Vec::new(), json_fields: Vec::new() }
    }

    /// Adds a field, shown and written as `value`.
    pub fn add(&mut self, label: &str, value: impl Into<serde_json::Value>) {
        self.fields.push((label.to_string(), value.into()));
    }

    /// A field shown as `text`, written in JSON as `json` (label and value pairs) instead.
    fn add_as(&mut self, label: &str, text: impl Into<serde_json::Value>, json: Vec<(&str, serde_json::Value)>) {
        self.add(label, text);
        self.json_fields.push((label.to_string(), json.into_iter().map(|(k, v)| (k.to_string(), v)).collect()));
    }

    /// As a JSON object: `{"kind":…, "source":…, <field>: <value>…}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert("kind".into(), self.kind.into());
        map.insert("source".into(), self.source.clone().into());
        for (k, v) in &self.fields {
            match self.json_fields.iter().find(|(label, _)| label == k) {
                Some((_, json)) => map.extend(json.iter().cloned()),
                None => {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
        serde_json::Value::Object(map)
    }

    /// As aligned text lines.
    pub fn to_text(&self) -> String {
        let mut out = format!("{} ({})\n", self.kind, crate::term::sanitize_line(&self.source));
        for (k, v) in &self.fields {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => {
                    let items: Vec<String> = a
                        .iter()
                        .map(|i| {
                            crate::term::sanitize_line(&i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string()))
                        })
                        .collect();
                    let sep = if k == "kubernetes" { "\n               " } else { ", " };
                    if items.is_empty() { "none".into() } else { items.join(sep) }
                }
                serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
                other => other.to_string(),
            };
            // Array items were sanitized one by one: their separator may be a line break.
            let text = if v.is_array() { text } else { crate::term::sanitize_line(&text) };
            out.push_str(&format!("  {:<12} {}\n", format!("{k}:"), text));
        }
        out
    }
}

/// kubeadm profiles whose CN, O (current or older release) and usages this identity has:
/// their names and the files kubeadm writes them to.
pub fn matching_profiles(
    cn: Option<&str>,
    orgs: &[String],
    usages: &[Usage],
    is_ca: bool,
) -> Vec<(&'static str, Option<String>)> {
    let Some(cn) = cn else { return Vec::new() };
    crate::kubeadm::profile::matching(cn, orgs, usages, is_ca).into_iter().map(|p| (p.name, p.path())).collect()
}

impl Summary {
    /// The kubeadm profiles as words (`apiserver (pki/apiserver.crt)`) and as JSON objects
    /// (`{"profile": "apiserver", "file": "pki/apiserver.crt"}`).
    fn add_profiles(&mut self, found: &[(&'static str, Option<String>)]) {
        let words: Vec<String> = found
            .iter()
            .map(|(name, path)| match path {
                Some(path) => format!("{name} ({path})"),
                None => name.to_string(),
            })
            .collect();
        let json: Vec<serde_json::Value> =
            found.iter().map(|(name, path)| serde_json::json!({"profile": name, "file": path})).collect();
        self.add_as("kubeadm", words, vec![("kubeadm", json.into())]);
    }

    /// A name: its distinguished-name string in text, `{cn, o}` in JSON as everywhere else.
    fn add_name(&mut self, label: &str, name: &crate::name::Subject) {
        let json = crate::report::SubjectJson::from_subject(name);
        self.add_as(label, name.to_string(), vec![(label, serde_json::to_value(json).unwrap_or_default())]);
    }

    /// A text-only line (the JSON has the value inside another field).
    fn add_text(&mut self, label: &str, text: impl Into<serde_json::Value>) {
        self.add_as(label, text, Vec::new());
    }
}

/// Summary of a certificate as of `at`.
pub fn certificate(cert: &Cert, source: &str, at: i64) -> Summary {
    let mut s = Summary::new("certificate", source);
    s.add_name("subject", &cert.subject);
    s.add_text("cn", cert.subject.cn().unwrap_or(""));
    s.add_text("o", cert.subject.orgs());
    let marked = cert.subject.non_ascii();
    if !marked.is_empty() {
        s.add("nonAscii", marked);
    }
    s.add_name("issuer", &cert.issuer);
    s.add("serial", cert.serial_hex());
    s.add("notBefore", format_time(cert.not_before));
    s.add("notAfter", format_time(cert.not_after));
    let left = cert.not_after - at;
    let words = if left <= 0 {
        format!("expired {} days ago", (-left) / DAY)
    } else if at < cert.not_before {
        "not valid yet".into()
    } else {
        format!("{} days", left / DAY)
    };
    // Seconds, negative once expired, as kubeadm's residualTime; the words beside them.
    s.add_as("timeLeft", words.clone(), vec![("timeLeft", left.into()), ("timeLeftHuman", words.into())]);
    s.add("key", cert.public_key.describe());
    s.add("sans", cert.ext.sans.iter().map(|x| x.to_openssl()).collect::<Vec<_>>());
    let mut ekus: Vec<String> = cert.ext.usages.iter().map(|u| u.eku_name().to_string()).collect();
    ekus.extend(
        cert.ext
            .other_ekus
            .iter()
            .map(|o| crate::usage::eku_name(&o.to_string()).map_or(o.to_string(), str::to_string)),
    );
    // No extendedKeyUsage extension: any usage (Go's reading); JSON says so in anyUsage.
    s.add_as("usages", describe_usages(cert), vec![("usages", ekus.into()), ("anyUsage", (!cert.ext.has_eku).into())]);
    let ku: Vec<&str> = cert
        .ext
        .key_usage
        .map(|ku| {
            let mut v = Vec::new();
            if ku.digital_signature() {
                v.push("digitalSignature");
            }
            if ku.key_encipherment() {
                v.push("keyEncipherment");
            }
            if ku.key_cert_sign() {
                v.push("keyCertSign");
            }
            if ku.crl_sign() {
                v.push("cRLSign");
            }
            v
        })
        .unwrap_or_default();
    s.add("keyUsage", ku);
    s.add("ca", cert.is_ca());
    s.add("selfSigned", cert.is_self_issued() && cert.signed_by(&cert.public_key).is_ok());
    s.add("sha256Fingerprint", cert.fingerprint_sha256());
    s.add("publicKeySha256", hex_sha256(cert.public_key.spki_der()));
    s.add("spkiSha256", cert.spki_sha256());
    if cert.is_ca() {
        s.add("joinHash", cert.join_hash());
    }
    let orgs = cert.subject.orgs();
    s.add_profiles(&matching_profiles(cert.subject.cn(), &orgs, &cert.ext.usages, cert.is_ca()));
    s.add(
        "kubernetes",
        crate::kubeadm::identity::explain(&Identity {
            cn: cert.subject.cn(),
            orgs: &orgs,
            usages: &cert.ext.usages,
            has_eku: cert.ext.has_eku,
            is_ca: cert.is_ca(),
            sans: &cert.ext.sans,
            signer: Signer::Issuer(cert.issuer.cn().unwrap_or("")),
        }),
    );
    s
}

/// Summary of a CSR (its signature was verified when it was read).
pub fn csr(csr: &Csr, source: &str) -> Summary {
    let req = &csr.request;
    let mut s = Summary::new("csr", source);
    s.add_name("subject", &req.subject);
    s.add_text("cn", req.subject.cn().unwrap_or(""));
    s.add_text("o", req.subject.orgs());
    let marked = req.subject.non_ascii();
    if !marked.is_empty() {
        s.add("nonAscii", marked);
    }
    s.add("key", csr.public_key.describe());
    s.add("publicKeySha256", hex_sha256(csr.public_key.spki_der()));
    s.add("signature", "verified (the requester holds the private key)");
    s.add("sans", req.sans.iter().map(|x| x.to_openssl()).collect::<Vec<_>>());
    let ekus: Vec<&str> = req.usages.iter().map(|u| u.eku_name()).collect();
    s.add_as(
        "usages",
        if csr.requests_no_usages {
            "none requested: the signer must choose (k8s-sign --usage or --profile)".to_string()
        } else {
            ekus.join(", ")
        },
        vec![("usages", ekus.clone().into())],
    );
    s.add("ca", req.is_ca);
    let orgs = req.subject.orgs();
    s.add_profiles(&matching_profiles(req.subject.cn(), &orgs, &req.usages, req.is_ca));
    s.add(
        "kubernetes",
        crate::kubeadm::identity::explain(&Identity {
            cn: req.subject.cn(),
            orgs: &orgs,
            usages: &req.usages,
            has_eku: !req.usages.is_empty(),
            is_ca: req.is_ca,
            sans: &req.sans,
            signer: Signer::Request,
        }),
    );
    s
}

/// Summary of a private key: type and size, never a byte of it.
pub fn private_key(key: &crate::key::PrivateKey, label: &str, source: &str) -> Summary {
    let mut s = Summary::new("private-key", source);
    s.add("key", key.public_key().describe());
    s.add(
        "format",
        match label {
            "RSA PRIVATE KEY" => "PKCS#1 (as kubeadm writes RSA keys)",
            "EC PRIVATE KEY" => "SEC1 (as kubeadm writes ECDSA keys)",
            _ => "PKCS#8",
        },
    );
    s.add("publicKeySha256", hex_sha256(key.public_key().spki_der()));
    s
}

/// Summary of a public key.
pub fn public_key(key: &crate::key::PublicKey, source: &str) -> Summary {
    let mut s = Summary::new("public-key", source);
    s.add("key", key.describe());
    s.add("publicKeySha256", hex_sha256(key.spki_der()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_identity_is_matched_to_its_profile() {
        let orgs = vec!["system:nodes".to_string()];
        assert_eq!(
            matching_profiles(Some("system:node:n1"), &orgs, &[Usage::Client], false),
            vec![("kubelet", Some("kubelet.conf".to_string()))]
        );
    }
}
