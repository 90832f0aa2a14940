//! `k8s-sign --signer NAME`: sign one CSR (PEM, or a CertificateSigningRequest object) as
//! kube-controller-manager's built-in signer of that name would once the CSR is approved.

use std::path::PathBuf;

use super::options::Options;
use crate::cmd::note::{Note, Warn};
use crate::csr::Csr;
use crate::csrapi::{self, CsrObject};
use crate::error::{Error, Result};
use crate::input::Input;
use crate::issue::{Ca, IssueOptions};
use crate::pem::{Block, CERTIFICATE, Kind};
use crate::signer::{self as rules, Signer};
use crate::sink::Sink;

/// `--signer`: what kube-controller-manager's signer does with an approved CSR — the signer's
/// rules first (its words on refusal), subject and SANs copied, usages from the request,
/// CA:FALSE, NotBefore now − 5 min, NotAfter now + ttl (− 5 min when ttl ≥ 8 h), never past the CA.
pub(super) fn sign(
    opts: &Options,
    signer: &Signer,
    ca: &Ca,
    base: &IssueOptions,
    warn: Warn<'_>,
) -> Result<Vec<PathBuf>> {
    let input = Input::open(opts.input.as_deref(), "a CSR or CertificateSigningRequest object")?;
    let (source, bytes) = input.read_all()?;
    let (object, csr_pem) = if csrapi::looks_like_object(&bytes) {
        let object = CsrObject::from_slice(&bytes, &source)?;
        if let Some(theirs) = object.signer.as_ref().filter(|theirs| *theirs != signer) {
            return Err(Error::refused_as(
                crate::error::Refusal::Policy,
                format!("{source}: the CSR is for signer {theirs}, not {signer}"),
            ));
        }
        let pem = object.request_pem.clone();
        (Some(object), pem)
    } else {
        (None, String::from_utf8_lossy(&bytes).into_owned())
    };
    let block = crate::pem::first_block_of(&csr_pem, Kind::Csr, &source)?
        .ok_or_else(|| Error::input(&source, "expected a CERTIFICATE REQUEST"))?;
    let csr = Csr::from_der(&block.der, &source)?;
    let usages = match &object {
        Some(o) if !o.usages.is_empty() => o.usages.clone(),
        _ if !csr.request.usages.is_empty() => rules::requested_usages(&csr),
        _ => signer.default_usages(csr.public_key.is_rsa()),
    };
    signer.validate(&csr, &usages).map_err(|why| {
        Error::refused_as(crate::error::Refusal::Policy, format!("{source}: the {signer} signer refuses: {why}"))
    })?;
    let now = base.now;
    let ttl = match object.as_ref().and_then(|o| o.expiration_seconds) {
        Some(secs) => secs.min(base.lifetime),
        None => base.lifetime,
    };
    let backdate = crate::validity::BACKDATE;
    let not_after = if ttl >= 8 * 3600 { now + ttl - backdate } else { now + ttl };
    let issue_opts = IssueOptions {
        usages: Some(rules::tls_usages(&usages)),
        make_ca: false,
        allow_ca: false,
        leaf_only: true,
        clamp: true,
        not_before: Some(now - backdate),
        not_after: Some(not_after),
        ..base.clone()
    };
    let issued = ca.issue(&csr, &issue_opts)?;
    for w in &issued.warnings {
        warn(Note::Warning(w));
    }
    let cert = Block::new(CERTIFICATE, &issued.der);
    let mut sink = Sink::new(opts.output.clone());
    match object {
        Some(o) => {
            let text = csrapi::render(&o.with_certificate(&cert.text)?, o.was_json)?;
            if opts.output.files.cert.is_some() || opts.output.files.prefix.is_some() {
                sink.emit(cert)?;
            }
            sink.emit_text(&text)?;
        }
        None => sink.emit(cert)?,
    }
    sink.finish()
}
