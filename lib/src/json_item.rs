//! The cfssl-style JSON item: `{"key": PEM, "csr": PEM, "cert": PEM}`, one per line, as
//! `cfssl gencert` prints and `cfssljson` reads. The input reads it, the sink writes it.

use serde::{Deserialize, Serialize};

use crate::pem::Kind;

/// One cfssl-style JSON item: the PEM of a key, CSR and certificate that belong together.
#[derive(Default, Serialize, Deserialize)]
pub struct JsonItem {
    /// Private key PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// CSR PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub csr: Option<String>,
    /// Certificate PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cert: Option<String>,
    /// Public key PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_key: Option<String>,
    /// Any other PEM blocks, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub other: Vec<String>,
}

impl Drop for JsonItem {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Some(k) = self.key.as_mut() {
            k.zeroize();
        }
    }
}

impl JsonItem {
    pub fn is_empty(&self) -> bool {
        self.key.is_none()
            && self.csr.is_none()
            && self.cert.is_none()
            && self.public_key.is_none()
            && self.other.is_empty()
    }

    pub fn slot(&mut self, kind: Kind) -> Option<&mut Option<String>> {
        match kind {
            Kind::Key => Some(&mut self.key),
            Kind::Csr => Some(&mut self.csr),
            Kind::Cert => Some(&mut self.cert),
            Kind::PublicKey => Some(&mut self.public_key),
            Kind::Other => None,
        }
    }
}
