//! One field's value: decoded as its kind says (PEM, base64 of PEM, a kubeconfig whose
//! `certificate-authority-data` is base64 of PEM), its PEM blocks found by their markers, and
//! only `CERTIFICATE` bodies decoded: a private key is never decoded past its header, and no
//! value other than a CA certificate ever reaches a message.

use zeroize::Zeroizing;

use super::certs::Certs;
use super::finding::{Finding, Findings};
use crate::error::{Error, Result};

/// Most bytes of one decoded field.
pub const MAX_FIELD: usize = 1024 * 1024;
/// Most PEM blocks in one field.
pub const MAX_BLOCKS: usize = 1000;
/// Most bytes of an embedded kubeconfig.
pub const MAX_KUBECONFIG: usize = 1024 * 1024;

/// How a field's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// PEM text (ConfigMap `data`, Secret `stringData`, `trustBundle`).
    Pem,
    /// Base64 of PEM (Secret `data`, `binaryData`, `caBundle`, `certificate-authority-data`).
    Base64,
}

/// What a field means to the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Role {
    /// It is meant to hold trust: a non-CA certificate or no certificate in it is reported.
    pub trust: bool,
    /// It may hold a kubeconfig.
    pub kubeconfig: bool,
    /// It is in a ConfigMap (not secret): a private key there is reported wherever it is.
    pub public: bool,
}

/// One field to read: the object's label, the field's name, the dump file.
pub struct Place<'a> {
    /// The dump file it is in.
    pub file: &'a str,
    /// `Kind namespace/name`.
    pub object: &'a str,
    /// The field, as the map names it (`data.ca.crt`).
    pub field: String,
}

impl Place<'_> {
    /// `Kind namespace/name field`.
    pub fn label(&self) -> String {
        format!("{} {}", self.object, self.field)
    }
}

/// A field that holds CAs, and which (keys, in the field's order, each once).
pub struct Found {
    /// The field.
    pub field: String,
    /// The CAs' keys.
    pub cas: Vec<String>,
    /// Whether the field holds nothing but those CAs' certificates (a bundle that can be
    /// replaced whole by another bundle).
    pub pure: bool,
}

/// What one value holds.
pub enum Holds {
    /// Nothing the map reads (or only what a finding reported).
    Nothing,
    /// CAs (their keys, in order), and whether the value holds nothing else.
    Cas(Vec<String>, bool),
    /// A kubeconfig, still to be read (its bytes, decoded).
    Kubeconfig(Zeroizing<Vec<u8>>),
}

/// Reads one value. Exceeding a bound is an input error (exit 3); anything else wrong with the
/// value is a finding for the field.
pub fn read(
    value: &str,
    encoding: Encoding,
    role: Role,
    place: &Place<'_>,
    certs: &mut Certs,
    findings: &mut Findings,
) -> Result<Holds> {
    let bytes: Zeroizing<Vec<u8>> = match encoding {
        Encoding::Pem => Zeroizing::new(value.as_bytes().to_vec()),
        Encoding::Base64 => {
            if value.len() / 4 * 3 > MAX_FIELD + 3 {
                return Err(too_big(place, "a field", MAX_FIELD));
            }
            match super::go_pem::decode_bytes(value) {
                Some(b) => b,
                None => {
                    findings.push(Finding::fail(place.label(), "not base64: the field cannot be read"));
                    return Ok(Holds::Nothing);
                }
            }
        }
    };
    if bytes.len() > MAX_FIELD {
        return Err(too_big(place, "a field", MAX_FIELD));
    }
    if memfind(&bytes, b"-----BEGIN ").is_some() {
        let text = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
        return pem_cas(&text, role, place, certs, findings).map(|(cas, pure)| Holds::Cas(cas, pure));
    }
    if role.kubeconfig && looks_like_kubeconfig(&bytes) {
        return Ok(Holds::Kubeconfig(bytes));
    }
    if role.trust {
        let why = if bytes.iter().all(u8::is_ascii_whitespace) { "empty" } else { "holds no PEM certificate" };
        findings.push(Finding::fail(place.label(), why));
    }
    Ok(Holds::Nothing)
}

fn too_big(place: &Place<'_>, what: &str, limit: usize) -> Error {
    Error::input(place.file, format!("{}: {what} larger than {} MiB refused", place.label(), limit >> 20))
}

/// An embedded kubeconfig over its bound.
pub fn kubeconfig_too_big(place: &Place<'_>) -> Error {
    too_big(place, "an embedded kubeconfig", MAX_KUBECONFIG)
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether a value is a kubeconfig: `clusters` at the top level (a YAML line starting with it,
/// or a JSON member) and one other field of a kubeconfig there.
fn looks_like_kubeconfig(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let yaml = |key: &str| text.lines().any(|l| l.starts_with(key));
    let json = |key: &str| text.trim_start().starts_with('{') && text.contains(&format!("\"{key}\""));
    (yaml("clusters:") && ["kind: Config", "contexts:", "current-context:", "users:"].iter().any(|k| yaml(k)))
        || (json("clusters") && ["contexts", "current-context", "users"].iter().any(|k| json(k)))
}

/// Whether a PEM type is a private key's (`PRIVATE KEY`, `RSA PRIVATE KEY`, `ENCRYPTED PRIVATE
/// KEY`, `OPENSSH PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`, …).
fn is_private(label: &str) -> bool {
    label.contains("PRIVATE KEY")
}

/// The CAs of PEM text as Go reads it. Nothing of another block is shown: not its type, and of a
/// certificate that is not a CA not even its subject (a Secret's values stay unshown).
pub fn pem_cas(
    text: &str,
    role: Role,
    place: &Place<'_>,
    certs: &mut Certs,
    findings: &mut Findings,
) -> Result<(Vec<String>, bool)> {
    let scan = super::go_pem::scan(text, MAX_BLOCKS).map_err(|_| {
        Error::input(place.file, format!("{}: more than {MAX_BLOCKS} PEM blocks in one field refused", place.label()))
    })?;
    let mut cas: Vec<String> = Vec::new();
    let (mut keys, mut others, mut leaves, mut ca_blocks) = (0, 0, 0, 0);
    let mut with_headers = 0;
    for block in &scan.blocks {
        let (label, body) = (block.label, block.body);
        if is_private(label) {
            keys += 1;
        } else if label == "CERTIFICATE" && block.headers {
            // x509.CertPool.AppendCertsFromPEM and client-go's ParseCertsPEM skip it.
            with_headers += 1;
        } else if label == "CERTIFICATE" {
            match certs.read(body) {
                None => findings.push(Finding::fail(place.label(), "a certificate that cannot be parsed")),
                Some(seen) if seen.is_ca => {
                    ca_blocks += 1;
                    let id = certs.enter(&seen);
                    if !cas.contains(&id) {
                        cas.push(id);
                    }
                }
                Some(_) => {
                    leaves += 1;
                    if role.trust {
                        findings.push(Finding::warn(
                            place.label(),
                            "a certificate that is not a CA: not entered in the map",
                        ));
                    }
                }
            }
        } else {
            others += 1;
        }
    }
    if role.trust && others > 0 {
        findings.push(Finding::warn(place.label(), "a PEM block that is not a certificate, in a trust field"));
    }
    if role.trust && scan.blocks.is_empty() && scan.skipped == 0 {
        findings.push(Finding::fail(place.label(), "holds no PEM certificate"));
    }
    if role.trust && with_headers > 0 {
        findings.push(Finding::warn(
            place.label(),
            "a CERTIFICATE block with headers, which Go's certificate readers skip",
        ));
    }
    if role.trust && scan.skipped > 0 {
        let what = if scan.blocks.is_empty() { Finding::fail } else { Finding::warn };
        findings.push(what(place.label(), "a PEM block Go's encoding/pem does not read (it is skipped)".to_string()));
    }
    if keys > 0 && (role.trust || role.public) {
        let why = if role.public {
            "a private key in a ConfigMap, which is not secret"
        } else {
            "a private key in a trust field"
        };
        findings.push(Finding::fail(place.label(), why));
    }
    let pure = keys + others + leaves + with_headers + scan.skipped == 0 && scan.blocks.len() == ca_blocks;
    Ok((cas, pure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_key_is_reported_by_place_only() {
        let mut certs = Certs::default();
        let mut findings = Findings::default();
        let place = Place { file: "d", object: "Secret a/b", field: "data.ca.crt".into() };
        let role = Role { trust: true, kubeconfig: false, public: false };
        let text = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
        let (cas, _) = pem_cas(text, role, &place, &mut certs, &mut findings).expect("read");
        assert!(cas.is_empty());
        let all = findings.into_vec();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].object, "Secret a/b data.ca.crt");
        assert!(!all[0].message.contains("c2VjcmV0"));
    }
}
