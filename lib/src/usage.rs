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
