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
}

impl Request {
    /// Adds SANs, skipping duplicates.
    pub fn add_sans(&mut self, sans: impl IntoIterator<Item = San>) {
        for san in sans {
            if !self.sans.contains(&san) {
                self.sans.push(san);
            }
        }
    }
}
