//! The certificates found in the dumps: each distinct PEM body parsed once, and the CAs among
//! them by key (the SHA-256 of the SubjectPublicKeyInfo, `sha256:HEX`, kubeadm's discovery-hash
//! form): a CA re-issued with the same key is one CA.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use crate::cert::Cert;
use crate::report::SubjectJson;

/// What the map keeps of one certificate.
#[derive(Debug)]
pub struct Seen {
    /// `sha256:HEX` of its key.
    pub spki: String,
    /// basicConstraints CA:TRUE.
    pub is_ca: bool,
    /// Its subject.
    pub subject: crate::name::Subject,
    /// NotAfter, seconds.
    pub not_after: i64,
    /// SHA-256 of the DER: tells certificates of one key apart.
    pub fingerprint: String,
}

impl Seen {
    /// What the map keeps of `cert`.
    fn of(cert: &Cert) -> Seen {
        Seen {
            spki: cert.join_hash(),
            is_ca: cert.is_ca(),
            subject: cert.subject.clone(),
            not_after: cert.not_after,
            fingerprint: cert.fingerprint_sha256(),
        }
    }
}

/// One CA: its key, what its certificates say, how many there are.
#[derive(Debug)]
pub struct Ca {
    /// The subject of the first certificate seen.
    pub subject: crate::name::Subject,
    /// The latest NotAfter among its certificates.
    pub not_after: i64,
    /// Its certificates, by fingerprint.
    pub certificates: BTreeSet<String>,
}

impl Ca {
    /// The subject in JSON.
    pub fn subject_json(&self) -> SubjectJson {
        SubjectJson::from_subject(&self.subject)
    }
}

/// The cache of parsed PEM bodies and the CAs found.
pub struct Certs {
    parsed: HashMap<String, Option<Rc<Seen>>>,
    /// Every CA, by key.
    pub cas: BTreeMap<String, Ca>,
    /// Bytes of embedded kubeconfigs still to be parsed (YAML is slow: the dump's are bounded
    /// together).
    yaml_left: usize,
}

/// Most bytes of embedded kubeconfigs parsed in one map.
pub const MAX_YAML: usize = 16 * 1024 * 1024;

impl Default for Certs {
    fn default() -> Certs {
        Certs { parsed: HashMap::new(), cas: BTreeMap::new(), yaml_left: MAX_YAML }
    }
}

impl Certs {
    /// Charges `len` bytes of kubeconfig to parse; `false` when the budget is spent.
    pub fn charge_yaml(&mut self, len: usize) -> bool {
        match self.yaml_left.checked_sub(len) {
            Some(left) => {
                self.yaml_left = left;
                true
            }
            None => false,
        }
    }

    /// The certificate of a PEM body (base64 text between the markers), parsed the first time
    /// only; `None` when it is not base64 or not a certificate.
    pub fn read(&mut self, body: &str) -> Option<Rc<Seen>> {
        if let Some(seen) = self.parsed.get(body) {
            return seen.clone();
        }
        let seen = super::go_pem::decode(body)
            .and_then(|der| Cert::from_der(&der, "cluster dump").ok())
            .map(|c| Rc::new(Seen::of(&c)));
        self.parsed.insert(body.to_string(), seen.clone());
        seen
    }

    /// Enters a CA certificate; returns its key.
    pub fn enter(&mut self, seen: &Seen) -> String {
        let ca = self.cas.entry(seen.spki.clone()).or_insert_with(|| Ca {
            subject: seen.subject.clone(),
            not_after: seen.not_after,
            certificates: BTreeSet::new(),
        });
        ca.not_after = ca.not_after.max(seen.not_after);
        ca.certificates.insert(seen.fingerprint.clone());
        seen.spki.clone()
    }

    /// Enters a CA certificate read from the tree (`--pki-dir`).
    pub fn enter_cert(&mut self, cert: &Cert) -> String {
        self.enter(&Seen::of(cert))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_parsed_once_and_a_reissued_ca_is_one_ca() {
        let der = crate::test_pki::ca().cert.der.clone();
        use base64::Engine;
        let body = base64::engine::general_purpose::STANDARD.encode(&der);
        let mut certs = Certs::default();
        let a = certs.read(&body).expect("parses");
        let b = certs.read(&body).expect("cached");
        assert!(Rc::ptr_eq(&a, &b));
        assert!(a.is_ca);
        certs.enter(&a);
        certs.enter(&b);
        assert_eq!(certs.cas[&a.spki].certificates.len(), 1);
        assert!(certs.read("not base64!").is_none());
    }
}
