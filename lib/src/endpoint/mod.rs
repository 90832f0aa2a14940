//! A TLS handshake with a live endpoint (`k8s-verify --connect`): which chain the server sends,
//! which protocol and cipher it chose, and, with a client identity, whether it accepted it.
//!
//! rustls runs the handshake; [`hooks`] record the chain and leave the verdict on it to
//! [`crate::chain`], as a Go client would reach it. The server's handshake signature is still
//! checked, so the chain recorded is the one whose key the server holds.
//!
//! Bounded: one connect attempt per resolved address within the timeout, every read and write
//! within what is left of it, no retries.

mod alert;
mod deadline;
mod hooks;
mod session;
mod target;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;

pub use alert::alert_text;
use deadline::{Bounded, Deadline};
use hooks::{Hooks, Tickets, build_config};
pub use session::{ClientAuth, ClientIdentity, Request, Session};
pub use target::Target;

use crate::error::{Error, Result};

/// How long to wait, after a TLS 1.3 handshake, for the server's verdict on the client
/// certificate when it sends no session ticket.
const VERDICT_WAIT: Duration = Duration::from_secs(2);

/// Connects to the first address of the target that answers within the timeout.
fn connect(target: &Target, deadline: &Deadline) -> Result<TcpStream> {
    let name = &deadline.name;
    let addresses: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| Error::io_msg(name, format!("cannot resolve: {}", crate::term::sanitize(&e.to_string()))))?
        .collect();
    let mut last = String::from("no address");
    for address in addresses {
        match TcpStream::connect_timeout(&address, deadline.left()?) {
            Ok(stream) => return Ok(stream),
            Err(e) if address.to_string() == target.to_string() => last = io_words(&e),
            Err(e) => last = format!("cannot connect to {address}: {}", io_words(&e)),
        }
    }
    Err(Error::io_msg(name, last))
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timed out".into(),
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::ConnectionReset => "connection reset by the server".into(),
        std::io::ErrorKind::UnexpectedEof => "the server closed the connection".into(),
        _ => crate::term::sanitize(&e.to_string()),
    }
}

/// A TLS failure in words; a handshake message past the 64 KiB every Go client allows too
/// (crypto/tls `maxHandshake`) is named as such.
fn tls_words(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidMessage(rustls::InvalidMessage::HandshakePayloadTooLarge) => {
            "the server sent a handshake message larger than 64 KiB (a Go client refuses it too: crypto/tls maxHandshake)"
                .into()
        }
        other => crate::term::sanitize(&other.to_string()),
    }
}

/// The rustls error inside an I/O error from a connection, if that is what it is.
fn tls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// Runs one handshake and reports what it showed. Connection failures are I/O errors (exit 5);
/// a server that ends the handshake after receiving a client certificate is a session whose
/// client was rejected.
pub fn handshake(request: &Request<'_>) -> Result<Session> {
    let target = request.target;
    let deadline = Deadline { at: Instant::now() + request.timeout, name: PathBuf::from(target.to_string()) };
    let name = &deadline.name;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let (config, Hooks { recorder, asked, tickets }) = build_config(request, provider)?;
    let server_name = ServerName::try_from(request.server_name.to_string())
        .map_err(|_| Error::usage(format!("'{}' is not a server name", crate::term::sanitize(request.server_name))))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server_name)
        .map_err(|e| Error::io_msg(name, format!("TLS: {e}")))?;
    let mut sock = connect(target, &deadline)?;
    let address = sock.peer_addr().map_err(|e| Error::io(name, &e))?;
    let mut rejected = None;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut Bounded { sock: &sock, deadline: &deadline }) {
            match tls_error(&e) {
                Some(rustls::Error::AlertReceived(alert)) => {
                    let text = alert_text(u8::from(*alert));
                    if asked.asked.load(Ordering::SeqCst) {
                        rejected = Some(text);
                        break;
                    }
                    return Err(Error::io_msg(
                        name,
                        format!("the server ended the handshake: remote error: tls: {text}"),
                    ));
                }
                Some(other) => {
                    return Err(Error::io_msg(name, format!("TLS handshake failed: {}", tls_words(other))));
                }
                None => return Err(Error::io_msg(name, format!("TLS handshake failed: {}", io_words(&e)))),
            }
        }
    }
    let served = recorder.served.lock().map(|s| s.clone()).unwrap_or_default();
    if served.is_empty() {
        return Err(Error::io_msg(name, "the server sent no certificate"));
    }
    let tls12 = conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_2);
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let cipher = conn.negotiated_cipher_suite().and_then(|s| s.suite().as_str()).unwrap_or_default().to_string();
    let client = match (asked.asked.load(Ordering::SeqCst), asked.key.is_some(), rejected) {
        (_, _, Some(alert)) => ClientAuth::Rejected(alert),
        (false, _, None) => ClientAuth::NotRequested,
        (true, offered, None) => {
            // TLS 1.2: the server judged the client certificate before its Finished.
            let verdict =
                if tls12 { ClientAuth::Accepted } else { await_verdict(&mut conn, &mut sock, &tickets, &deadline)? };
            match verdict {
                ClientAuth::Accepted if !offered => ClientAuth::NotOffered,
                other => other,
            }
        }
    };
    let _ = Bounded { sock: &sock, deadline: &deadline }.flush();
    Ok(Session {
        address,
        served,
        version,
        cipher,
        acceptable_cas: asked.hints.lock().map(|h| h.clone()).unwrap_or_default(),
        client,
    })
}

/// TLS 1.3: the client's certificate travels in its last flight, so the server's verdict comes
/// after the client has finished: an alert, or session tickets / data (accepted). A server that
/// says nothing within [`VERDICT_WAIT`] (or what is left of the deadline) kept the connection
/// open: accepted.
fn await_verdict(
    conn: &mut rustls::ClientConnection,
    sock: &mut TcpStream,
    tickets: &Tickets,
    deadline: &Deadline,
) -> Result<ClientAuth> {
    let wait = Deadline { at: deadline.at.min(Instant::now() + VERDICT_WAIT), name: deadline.name.clone() };
    let mut io = Bounded { sock, deadline: &wait };
    loop {
        while conn.wants_write() {
            if conn.write_tls(&mut io).is_err() {
                break;
            }
        }
        if tickets.received.load(Ordering::SeqCst) || wait.left().is_err() {
            return Ok(ClientAuth::Accepted);
        }
        match conn.read_tls(&mut io) {
            Ok(0) => return Ok(ClientAuth::Accepted),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return Ok(ClientAuth::Accepted);
            }
            Err(_) => return Ok(ClientAuth::Rejected("connection reset".into())),
        }
        match conn.process_new_packets() {
            Err(rustls::Error::AlertReceived(alert)) => return Ok(ClientAuth::Rejected(alert_text(u8::from(alert)))),
            Err(_) => return Ok(ClientAuth::Rejected("the connection failed".into())),
            Ok(state) if state.plaintext_bytes_to_read() > 0 => {
                let mut sink = [0u8; 1];
                let _ = conn.reader().read(&mut sink);
                return Ok(ClientAuth::Accepted);
            }
            Ok(state) if state.peer_has_closed() => return Ok(ClientAuth::Accepted),
            Ok(_) => {}
        }
    }
}
