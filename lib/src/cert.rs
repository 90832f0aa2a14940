//! Reading certificates: the fields the tools reason about, decoded once.

use std::path::Path;

use const_oid::ObjectIdentifier;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::{Error, Result};
use crate::ext::{self, Decoded};
use crate::key::{PublicKey, SignatureError};
use crate::name::{Subject, oid_of, subject_of};
use crate::pem::Kind;

/// A parsed certificate.
#[derive(Clone, Debug)]
pub struct Cert {
    /// The whole certificate, DER.
    pub der: Vec<u8>,
    /// Subject attributes.
    pub subject: Subject,
    /// Issuer attributes.
    pub issuer: Subject,
    /// Raw subject DER.
    pub subject_raw: Vec<u8>,
    /// Raw issuer DER.
    pub issuer_raw: Vec<u8>,
    /// Serial number, big-endian bytes.
    pub serial: Vec<u8>,
    /// notBefore, seconds since the epoch.
    pub not_before: i64,
    /// notAfter, seconds since the epoch.
    pub not_after: i64,
    /// The certified public key.
    pub public_key: PublicKey,
    /// Extensions, decoded.
    pub ext: Decoded,
    /// The TBS bytes the signature covers.
    pub tbs: Vec<u8>,
    /// Signature algorithm.
    pub signature_algorithm: ObjectIdentifier,
    /// Signature value.
    pub signature: Vec<u8>,
    /// X.509 version (3 for v3).
    pub version: u32,
}

impl Cert {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8], source: &str) -> Result<Cert> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|_| Error::input(source, "not a valid X.509 certificate"))?;
        if !rest.is_empty() {
            return Err(Error::input(source, "trailing data after the certificate"));
        }
        let tbs = &cert.tbs_certificate;
        let mut raw_exts = Vec::new();
        for e in tbs.extensions() {
            let oid = oid_of(&e.oid).ok_or_else(|| Error::input(source, "invalid extension OID"))?;
            raw_exts.push((oid, e.critical, e.value));
        }
        let decoded = ext::decode(raw_exts, source)?;
        Ok(Cert {
            der: der.to_vec(),
            subject: subject_of(tbs.subject()),
            issuer: subject_of(tbs.issuer()),
            subject_raw: tbs.subject().as_raw().to_vec(),
            issuer_raw: tbs.issuer().as_raw().to_vec(),
            serial: tbs.raw_serial().to_vec(),
            not_before: tbs.validity().not_before.timestamp(),
            not_after: tbs.validity().not_after.timestamp(),
            public_key: PublicKey::from_spki_der(tbs.subject_pki.raw, source)?,
            ext: decoded,
            tbs: tbs.as_ref().to_vec(),
            signature_algorithm: oid_of(&cert.signature_algorithm.algorithm)
                .ok_or_else(|| Error::input(source, "invalid signature algorithm"))?,
            signature: cert.signature_value.data.to_vec(),
            version: tbs.version().0.saturating_add(1),
        })
    }

    /// Reads the first certificate of a file named by a flag (a CA file may hold a chain).
    pub fn read_file(path: &Path) -> Result<Cert> {
        Cert::from_blocks(&crate::input::read_blocks(path)?, &path.display().to_string())
    }

    /// The first certificate among the PEM blocks of the file `name` (read by the caller: a file
    /// of a tree, read beneath it).
    pub fn from_blocks(blocks: &[crate::pem::Block], name: &str) -> Result<Cert> {
        let block = blocks.iter().find(|b| b.kind() == Kind::Cert).ok_or_else(|| {
            let found = blocks.first().map(|b| format!(", found a {} block", b.label)).unwrap_or_default();
            Error::input(name, format!("expected a CERTIFICATE{found}"))
        })?;
        Cert::from_der(&block.der, name)
    }

    /// Every certificate of a file named by a flag (`--ca-cert` and `--untrusted` may be bundles).
    pub fn read_all(path: &Path) -> Result<Vec<Cert>> {
        Cert::all_from_blocks(&crate::input::read_blocks(path)?, &path.display().to_string())
    }

    /// Every certificate among the PEM blocks of the file `name`; at least one.
    pub fn all_from_blocks(blocks: &[crate::pem::Block], name: &str) -> Result<Vec<Cert>> {
        let certs = blocks
            .iter()
            .filter(|b| b.kind() == Kind::Cert)
            .map(|b| Cert::from_der(&b.der, name))
            .collect::<Result<Vec<_>>>()?;
        if certs.is_empty() {
            return Err(Error::input(name, "expected a CERTIFICATE"));
        }
        Ok(certs)
    }

    /// Every certificate in PEM text that parses (a kubeconfig's CA data, a trust bundle read
    /// by a check that reports what is missing itself); anything else is skipped.
    pub fn all_in_pem(text: &str, source: &str) -> Vec<Cert> {
        crate::pem::blocks_of(text, Kind::Cert, source)
            .unwrap_or_default()
            .iter()
            .filter_map(|b| Cert::from_der(&b.der, source).ok())
            .collect()
    }

    /// The first CERTIFICATE block of PEM bytes, if there is one and it parses.
    pub fn first_in_pem(bytes: &[u8], source: &str) -> Option<Cert> {
        let text = std::str::from_utf8(bytes).ok()?;
        let block = crate::pem::first_block_of(text, Kind::Cert, source).ok().flatten()?;
        Cert::from_der(&block.der, source).ok()
    }

    /// Whether basicConstraints says CA:TRUE.
    pub fn is_ca(&self) -> bool {
        self.ext.is_ca == Some(true)
    }

    /// Whether subject and issuer are the same name.
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
    }

    /// Whether `issuer`'s key made this certificate's signature.
    pub fn signed_by(&self, issuer: &PublicKey) -> std::result::Result<(), SignatureError> {
        issuer.verify(&self.signature_algorithm, &self.tbs, &self.signature)
    }

    /// SHA-256 of the whole certificate (DER), lower-case hex without colons: openssl's
    /// `x509 -fingerprint -sha256` bytes in the project's one fingerprint encoding.
    pub fn fingerprint_sha256(&self) -> String {
        hex_sha256(&self.der)
    }

    /// SHA-256 of the SubjectPublicKeyInfo, base64: the pin curl's `--pinnedpubkey sha256//…` takes.
    pub fn spki_sha256(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(self.spki_digest().as_ref())
    }

    fn spki_digest(&self) -> aws_lc_rs::digest::Digest {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.public_key.spki_der())
    }

    /// `sha256:` and the hex SHA-256 of the SubjectPublicKeyInfo: what `kubeadm join
    /// --discovery-token-ca-cert-hash` takes (kubeadm's app/util/pubkeypin/pubkeypin.go Hash).
    pub fn join_hash(&self) -> String {
        format!("sha256:{}", self.spki_digest().as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    /// Serial as colon-separated hex, as openssl prints it.
    pub fn serial_hex(&self) -> String {
        let bytes: &[u8] = match self.serial.as_slice() {
            [0, rest @ ..] if !rest.is_empty() => rest,
            all => all,
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
    }
}

/// SHA-256 of `bytes` in the project's one fingerprint encoding: lower-case hex, no colons.
pub fn hex_sha256(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
