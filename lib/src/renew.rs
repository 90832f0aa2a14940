//! Renewal: a new certificate for an existing identity (subject byte for byte, SANs, usages),
//! signed by a CA, with a fresh key of the same algorithm or the old one, written in the old
//! key's PEM form. `kubeadm certs renew` does this (phases/certs/renewal); so do
//! `k8s-kubeconfig --renew` and `k8s-rotate issue`.

use zeroize::Zeroizing;

use crate::cert::Cert;
use crate::error::Result;
use crate::issue::{Ca, IssueOptions};
use crate::key::{KeyFormat, PrivateKey};
use crate::usage::Usage;

/// A renewed certificate and its key, as PEM.
pub struct Renewed {
    /// The new certificate.
    pub cert: Cert,
    /// Its PEM.
    pub cert_pem: String,
    /// The key (new, or the old one kept).
    pub key: PrivateKey,
    /// The key's PEM, in the old key's form (PKCS#8 stays PKCS#8).
    pub key_pem: Zeroizing<String>,
    /// What the caller should hear (a certificate that outlives its CA).
    pub warnings: Vec<String>,
}

/// The key format a PEM label stands for.
pub fn format_of(label: &str) -> KeyFormat {
    if label == "PRIVATE KEY" { KeyFormat::Pkcs8 } else { KeyFormat::Traditional }
}

/// Re-issues `old` with `ca`: a new key of `old_key`'s algorithm unless `keep_key`, valid
/// `opts.lifetime` seconds from `now` (cut to the CA's expiry when `clamp`).
pub fn renew(old: &Cert, old_key: PrivateKey, format: KeyFormat, ca: &Ca, opts: RenewOptions) -> Result<Renewed> {
    let key = if opts.keep_key { old_key } else { PrivateKey::generate(old_key.algorithm())? };
    let (req, subject) = crate::csr::request_from_cert(old)?;
    let csr = crate::csr::Csr::from_der(&crate::csr::build_with_subject(&req, &key, Some(&subject))?, "renewal")?;
    let usages = if req.usages.is_empty() { vec![Usage::Client] } else { req.usages.clone() };
    let mut issue_opts = IssueOptions {
        lifetime: opts.lifetime,
        usages: Some(usages),
        clamp: opts.clamp,
        now: opts.now,
        ..Default::default()
    };
    issue_opts.start_as(opts.not_before, ca.cert.not_before);
    let issued = ca.issue(&csr, &issue_opts)?;
    let cert_pem = crate::pem::encode_pem(crate::pem::CERTIFICATE, &issued.der);
    let key_pem = key.to_pem(format)?;
    Ok(Renewed { cert: Cert::from_der(&issued.der, "renewal")?, cert_pem, key, key_pem, warnings: issued.warnings })
}

/// Renewal means the same identity again from the same issuer: `old` must have been signed by
/// one of `cas` (its issuer name and its signature). Otherwise a refusal naming the issuer found,
/// so that a certificate some other CA issued (`O=system:masters` from anyone) is not re-issued
/// under the cluster's CA.
pub fn check_issuer(old: &Cert, cas: &[Cert], what: &str, ca_name: &str) -> Result<()> {
    let issued = cas.iter().any(|ca| old.issuer_raw == ca.subject_raw && old.signed_by(&ca.public_key).is_ok());
    if issued {
        return Ok(());
    }
    let ours: Vec<String> = cas.iter().map(|c| format!("'{}'", c.subject)).collect();
    Err(crate::error::Error::refused_as(
        crate::error::Refusal::ForeignIssuer,
        format!(
            "{what} ('{}') was issued by '{}', not by {ca_name} ({}): renewal re-issues only what this CA issued",
            old.subject,
            old.issuer,
            ours.join(", ")
        ),
    ))
}

/// How [`renew`] issues.
#[derive(Clone, Copy, Debug)]
pub struct RenewOptions {
    /// Keep the old key.
    pub keep_key: bool,
    /// Lifetime in seconds.
    pub lifetime: i64,
    /// Cut the lifetime to the CA's.
    pub clamp: bool,
    /// Now, seconds since the epoch.
    pub now: i64,
    /// Where NotBefore starts, as the tree's kubeadm release sets it: the CA's NotBefore (1.28
    /// to 1.30, pkiutil `NewSignedCert`, which `kubeadm certs renew` calls too) or five minutes
    /// before now (1.31 and later).
    pub not_before: crate::kubeadm::release::NotBefore,
}
