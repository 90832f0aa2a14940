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
    /// `Kind namespace/name` (escaped).
    pub object: &'a str,
    /// The field, as the map names it (`data.ca.crt`).
    pub field: String,
}

impl Place<'_> {
    /// `Kind namespace/name field`.
    pub fn label(&self) -> String {
        format!("{} {}", self.object, crate::term::escape(&self.field))
    }
}

/// A field that holds CAs, and which (keys, in the field's order, each once).
pub struct Found {
    /// The field.
    pub field: String,
    /// The CAs' keys.
    pub cas: Vec<String>,
}

/// What one value holds.
pub enum Holds {
    /// Nothing the map reads (or only what a finding reported).
    Nothing,
    /// CAs (their keys, in order).
    Cas(Vec<String>),
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
            match decode(value) {
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
        let text = String::from_utf8_lossy(&bytes);
        return pem_cas(&text, role, place, certs, findings).map(Holds::Cas);
    }
    if role.kubeconfig && looks_like_kubeconfig(&bytes) {
        return Ok(Holds::Kubeconfig(bytes));
    }
    if role.trust && !bytes.iter().all(u8::is_ascii_whitespace) {
        findings.push(Finding::fail(place.label(), "holds no PEM certificate"));
    }
    Ok(Holds::Nothing)
}

fn too_big(place: &Place<'_>, what: &str, limit: usize) -> Error {
    Error::input("cluster dump", format!("{}: {what} larger than {} MiB refused", place.label(), limit >> 20))
}

/// An embedded kubeconfig over its bound.
pub fn kubeconfig_too_big(place: &Place<'_>) -> Error {
    too_big(place, "an embedded kubeconfig", MAX_KUBECONFIG)
}

/// Base64 to bytes (Go's `[]byte` in JSON is standard base64 with padding).
pub fn decode(value: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(value.trim()).ok().map(Zeroizing::new)
}

fn memfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn looks_like_kubeconfig(bytes: &[u8]) -> bool {
    memfind(bytes, b"clusters").is_some() && memfind(bytes, b"Config").is_some()
}

/// The CAs of PEM text; every other block reported by its label only.
pub fn pem_cas(
    text: &str,
    role: Role,
    place: &Place<'_>,
    certs: &mut Certs,
    findings: &mut Findings,
) -> Result<Vec<String>> {
    let blocks = match blocks(text) {
        Ok(b) => b,
        Err(Bad::Markers) => {
            findings.push(Finding::fail(place.label(), "bad PEM: a BEGIN line without its END line"));
            return Ok(Vec::new());
        }
        Err(Bad::TooMany) => {
            return Err(Error::input(
                "cluster dump",
                format!("{}: more than {MAX_BLOCKS} PEM blocks in one field refused", place.label()),
            ));
        }
    };
    let mut cas: Vec<String> = Vec::new();
    let mut keys = 0;
    for (label, body) in &blocks {
        if crate::pem::is_private_key_label(label) {
            keys += 1;
        } else if *label == "CERTIFICATE" {
            match certs.read(body) {
                None => findings.push(Finding::fail(place.label(), "a certificate that cannot be parsed")),
                Some(seen) if seen.is_ca => {
                    let id = certs.enter(&seen);
                    if !cas.contains(&id) {
                        cas.push(id);
                    }
                }
                Some(seen) if role.trust => findings.push(Finding::warn(
                    place.label(),
                    format!(
                        "a certificate that is not a CA ({}): not entered in the map",
                        crate::term::escape(&seen.subject.to_string())
                    ),
                )),
                Some(_) => {}
            }
        } else if role.trust {
            let label = crate::term::escape(label);
            findings.push(Finding::warn(place.label(), format!("a {label} block in a trust field")));
        }
    }
    if keys > 0 && (role.trust || role.public || !cas.is_empty()) {
        let why = if role.public {
            "a private key in a ConfigMap, which is not secret"
        } else {
            "a private key in a trust field"
        };
        findings.push(Finding::fail(place.label(), why));
    }
    Ok(cas)
}

#[derive(Debug, PartialEq, Eq)]
enum Bad {
    Markers,
    TooMany,
}

/// The (label, body) of each PEM block, found by its markers; bodies are not decoded here.
fn blocks(text: &str) -> std::result::Result<Vec<(&str, &str)>, Bad> {
    const BEGIN: &str = "-----BEGIN ";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(BEGIN) {
        if out.len() == MAX_BLOCKS {
            return Err(Bad::TooMany);
        }
        let after = &rest[at + BEGIN.len()..];
        let close = after.find("-----").ok_or(Bad::Markers)?;
        let label = &after[..close];
        if label.len() > 64 || label.contains('\n') {
            return Err(Bad::Markers);
        }
        let body_and_rest = &after[close + 5..];
        let end = format!("-----END {label}-----");
        let stop = body_and_rest.find(&end).ok_or(Bad::Markers)?;
        out.push((label, &body_and_rest[..stop]));
        rest = &body_and_rest[stop + end.len()..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_found_by_markers_without_decoding() {
        let text = "x\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN RSA PRIVATE KEY-----\n!!not base64!!\n-----END RSA PRIVATE KEY-----\n";
        let b = blocks(text).expect("blocks");
        assert_eq!(b.iter().map(|(l, _)| *l).collect::<Vec<_>>(), ["CERTIFICATE", "RSA PRIVATE KEY"]);
        assert_eq!(blocks("-----BEGIN CERTIFICATE-----\nAAAA\n"), Err(Bad::Markers));
        let many = "-----BEGIN X-----\n-----END X-----\n".repeat(MAX_BLOCKS + 1);
        assert_eq!(blocks(&many), Err(Bad::TooMany));
    }

    #[test]
    fn a_private_key_is_reported_by_place_only() {
        let mut certs = Certs::default();
        let mut findings = Findings::default();
        let place = Place { object: "Secret a/b", field: "data.ca.crt".into() };
        let role = Role { trust: true, kubeconfig: false, public: false };
        let text = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
        let cas = pem_cas(text, role, &place, &mut certs, &mut findings).expect("read");
        assert!(cas.is_empty());
        let all = findings.into_vec();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].object, "Secret a/b data.ca.crt");
        assert!(!all[0].message.contains("c2VjcmV0"));
    }
}
