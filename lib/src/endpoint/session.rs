//! What a handshake is asked (the target, the roots, a client identity) and what it found (the
//! chain, the protocol and cipher, the verdict on the client certificate).

use std::net::SocketAddr;
use std::time::Duration;

use super::target::Target;

/// A client certificate chain (DER, leaf first) and its key, for mutual TLS.
pub struct ClientIdentity {
    /// The chain to send.
    pub chain: Vec<Vec<u8>>,
    /// The private key of the first certificate.
    pub key: crate::key::PrivateKey,
}

/// One handshake to make.
pub struct Request<'a> {
    /// Where to connect.
    pub target: &'a Target,
    /// The name sent as SNI (an address sends none, as Go does).
    pub server_name: &'a str,
    /// Mutual TLS with this identity.
    pub client: Option<&'a ClientIdentity>,
    /// The whole exchange (connect, handshake, waiting for the verdict on the client) within this.
    pub timeout: Duration,
}

/// What the server did with the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// The server did not ask for a client certificate.
    NotRequested,
    /// It asked, none was offered, and the server went on without one.
    NotOffered,
    /// The server went on after receiving the client certificate.
    Accepted,
    /// The server ended the connection with this alert (Go's wording), after the client sent
    /// its certificate or none.
    Rejected(String),
}

/// What a handshake showed.
#[derive(Clone, Debug)]
pub struct Session {
    /// The address connected to.
    pub address: SocketAddr,
    /// The chain as the server sent it (DER, leaf first).
    pub served: Vec<Vec<u8>>,
    /// `TLSv1.2` or `TLSv1.3` (empty when the handshake did not finish).
    pub version: String,
    /// The cipher suite's IANA name (empty when the handshake did not finish).
    pub cipher: String,
    /// The CAs the server named in its certificate request (RFC 4514 text).
    pub acceptable_cas: Vec<String>,
    /// What became of the client.
    pub client: ClientAuth,
}
