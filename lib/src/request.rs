//! What a CSR asks for, or a certificate was issued for: subject, SANs, usages and whether
//! it is a CA. Profiles fill one in; CSRs and certificates are read into one.

use crate::name::Subject;
use crate::san::San;
use crate::usage::Usage;

/// What a CSR asks for: subject, SANs, usages and whether it is a CA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The subject.
    pub subject: Subject,
    /// SANs in order, without duplicates.
    pub sans: Vec<San>,
    /// Extended key usages.
    pub usages: Vec<Usage>,
    /// Whether it asks to be a CA.
    pub is_ca: bool,
    /// The path length constraint a CA asks for (basicConstraints pathLenConstraint).
    pub path_len: Option<u8>,
}

impl Request {
    /// Whether it names nobody: an empty subject and no SAN (RFC 5280 4.1.2.6 needs one).
    pub fn names_nobody(&self) -> bool {
        self.subject.is_empty() && self.sans.is_empty()
    }

    /// Orders the SANs as a kubeadm certificate holds them: DNS names de-duplicated and sorted
    /// (pkiutil.RemoveDuplicateAltNames), IP addresses de-duplicated in the order given, in the
    /// order Go's crypto/x509 encodes them (DNS, e-mail, IP, URI).
    pub fn order_sans_as_kubeadm(&mut self) {
        let mut dns: Vec<San> = self.sans.iter().filter(|s| matches!(s, San::Dns(_))).cloned().collect();
        dns.sort();
        dns.dedup();
        let of = |want: fn(&San) -> bool| self.sans.iter().filter(|s| want(s)).cloned().collect::<Vec<San>>();
        let emails = of(|s| matches!(s, San::Email(_)));
        let ips = of(|s| matches!(s, San::Ip(_)));
        let uris = of(|s| matches!(s, San::Uri(_)));
        self.sans = Vec::new();
        self.add_sans(dns.into_iter().chain(emails).chain(ips).chain(uris));
    }

    /// Adds SANs, skipping duplicates.
    pub fn add_sans(&mut self, sans: impl IntoIterator<Item = San>) {
        for san in sans {
            if !self.sans.contains(&san) {
                self.sans.push(san);
            }
        }
    }
}
