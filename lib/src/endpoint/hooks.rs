//! rustls' hooks for `--connect`: a verifier that records the chain and leaves the verdict to
//! [`crate::chain`], a client-certificate resolver that records what the server asked for, and a
//! session store that notes a TLS 1.3 ticket (the server's acceptance of the client).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientSessionStore, ResolvesClientCert, Resumption};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::session::Request;
use crate::error::{Error, Result};

/// Records the chain the server sends and leaves the verdict to [`crate::chain`]; still checks
/// the server's handshake signature with the certificate's key.
#[derive(Debug)]
pub(super) struct Recorder {
    provider: Arc<CryptoProvider>,
    pub(super) served: Mutex<Vec<Vec<u8>>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut served) = self.served.lock() {
            *served = std::iter::once(end_entity).chain(intermediates).map(|c| c.to_vec()).collect();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Offers the client identity, if any, and records that the server asked and what CAs it named.
#[derive(Debug)]
pub(super) struct Asked {
    pub(super) key: Option<Arc<CertifiedKey>>,
    pub(super) asked: AtomicBool,
    pub(super) hints: Mutex<Vec<String>>,
}

impl ResolvesClientCert for Asked {
    fn resolve(&self, root_hint_subjects: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::SeqCst);
        if let Ok(mut hints) = self.hints.lock() {
            *hints = root_hint_subjects
                .iter()
                .map(|der| {
                    use x509_parser::prelude::FromDer;
                    match x509_parser::x509::X509Name::from_der(der) {
                        Ok((_, name)) => crate::name::subject_of(&name).to_string(),
                        Err(_) => "(unreadable name)".to_string(),
                    }
                })
                .collect();
        }
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// A session store that keeps nothing and notes that the server sent a TLS 1.3 ticket: a server
/// that asked for a client certificate sends its tickets only once it has accepted it.
#[derive(Debug, Default)]
pub(super) struct Tickets {
    pub(super) received: AtomicBool,
}

impl ClientSessionStore for Tickets {
    fn set_kx_hint(&self, _: ServerName<'static>, _: rustls::NamedGroup) {}
    fn kx_hint(&self, _: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        None
    }
    fn set_tls12_session(&self, _: ServerName<'static>, _: rustls::client::Tls12ClientSessionValue) {}
    fn tls12_session(&self, _: &ServerName<'_>) -> Option<rustls::client::Tls12ClientSessionValue> {
        None
    }
    fn remove_tls12_session(&self, _: &ServerName<'static>) {}
    fn insert_tls13_ticket(&self, _: ServerName<'static>, _: rustls::client::Tls13ClientSessionValue) {
        self.received.store(true, Ordering::SeqCst);
    }
    fn take_tls13_ticket(&self, _: &ServerName<'static>) -> Option<rustls::client::Tls13ClientSessionValue> {
        None
    }
}

/// What the handshake's hooks record.
pub(super) struct Hooks {
    pub(super) recorder: Arc<Recorder>,
    pub(super) asked: Arc<Asked>,
    pub(super) tickets: Arc<Tickets>,
}

pub(super) fn build_config(
    request: &Request<'_>,
    provider: Arc<CryptoProvider>,
) -> Result<(rustls::ClientConfig, Hooks)> {
    let recorder = Arc::new(Recorder { provider: provider.clone(), served: Mutex::new(Vec::new()) });
    let key = match request.client {
        Some(identity) => {
            let (_, der) = identity.key.to_der(crate::key::KeyFormat::Pkcs8)?;
            let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec()));
            let signing = provider
                .key_provider
                .load_private_key(der)
                .map_err(|_| Error::input("--key", "this key cannot sign TLS handshakes"))?;
            let chain = identity.chain.iter().map(|c| CertificateDer::from(c.clone())).collect();
            Some(Arc::new(CertifiedKey::new(chain, signing)))
        }
        None => None,
    };
    let asked = Arc::new(Asked { key, asked: AtomicBool::new(false), hints: Mutex::new(Vec::new()) });
    let tickets = Arc::new(Tickets::default());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|_| Error::internal("the TLS provider supports neither TLS 1.2 nor 1.3"))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_client_cert_resolver(asked.clone());
    config.resumption = Resumption::store(tickets.clone());
    Ok((config, Hooks { recorder, asked, tickets }))
}
