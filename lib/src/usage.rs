//! Extended key usages as Kubernetes speaks of them: a certificate is a TLS server, a TLS
//! client, or both.

use crate::error::{Error, Result};

/// What a certificate may be used for (its extended key usages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Usage {
    /// TLS server authentication (`serverAuth`).
    Server,
    /// TLS client authentication (`clientAuth`).
    Client,
}

impl Usage {
    /// Parses `server`/`client` (and openssl's `serverAuth`/`clientAuth`, the API's `server auth`).
    pub fn parse(s: &str) -> Result<Usage> {
        match s.to_ascii_lowercase().replace([' ', '-', '_'], "").as_str() {
            "server" | "serverauth" => Ok(Usage::Server),
            "client" | "clientauth" => Ok(Usage::Client),
            _ => Err(Error::usage(format!("unknown usage '{s}': use server or client"))),
        }
    }

    /// `server` or `client`.
    pub fn name(self) -> &'static str {
        match self {
            Usage::Server => "server",
            Usage::Client => "client",
        }
    }

    /// The extended key usage's name: `serverAuth` or `clientAuth` (as JSON writes usages).
    pub fn eku_name(self) -> &'static str {
        match self {
            Usage::Server => "serverAuth",
            Usage::Client => "clientAuth",
        }
    }
}

/// anyExtendedKeyUsage (RFC 5280 4.2.1.12).
pub const EKU_ANY: &str = "2.5.29.37.0";

/// Extended key usages other than serverAuth and clientAuth, by OID (RFC 5280 4.2.1.12).
const EKU_NAMES: &[(&str, &str)] = &[
    ("1.3.6.1.5.5.7.3.3", "codeSigning"),
    ("1.3.6.1.5.5.7.3.4", "emailProtection"),
    ("1.3.6.1.5.5.7.3.8", "timeStamping"),
    ("1.3.6.1.5.5.7.3.9", "OCSPSigning"),
    (EKU_ANY, "anyExtendedKeyUsage"),
];

/// The name of an extended key usage given by its OID, for messages.
pub fn eku_name(oid: &str) -> Option<&'static str> {
    EKU_NAMES.iter().find(|(o, _)| *o == oid).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usages_parse_in_every_spelling() {
        for s in ["server", "serverAuth", "server auth", "SERVER"] {
            assert_eq!(Usage::parse(s).ok(), Some(Usage::Server));
        }
        assert_eq!(Usage::parse("client-auth").ok(), Some(Usage::Client));
        assert!(Usage::parse("codesigning").is_err());
    }
}
