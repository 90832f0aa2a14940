//! What the signer grants from a CSR and its flags: the usages, CA:TRUE and a path length; a
//! CSR that names nobody or asks for no usages without the signer choosing is refused.

use super::options::IssueOptions;
use crate::csr::Csr;
use crate::error::{Error, Result};
use crate::usage::Usage;

/// A CA's path length constraint: the signer's (a cfssl profile's `max_path_len`), else the one
/// the CSR asks for (cfssl's CSR JSON `ca.pathlen`, a renewed CA's). A limit only narrows what
/// the CA may do, so taking the CSR's is safe.
pub(super) fn path_len(csr: &Csr, opts: &IssueOptions) -> Option<u8> {
    opts.path_len.or(csr.request.path_len)
}

/// RFC 5280 4.1.2.6: a certificate names its subject in the subject field or, when that is
/// empty, in a (critical) subjectAltName. A CSR with neither names nobody.
pub(super) fn refuse_nameless(csr: &Csr) -> Result<()> {
    if csr.request.names_nobody() {
        return Err(Error::refused_as(
            crate::error::Refusal::Csr,
            "the CSR has an empty subject and no subjectAltName: it names nobody (RFC 5280 4.1.2.6)",
        ));
    }
    Ok(())
}

pub(super) fn decide_usages(csr: &Csr, opts: &IssueOptions, self_signing: bool) -> Result<(Vec<Usage>, bool)> {
    if opts.make_ca && !self_signing && !opts.allow_ca {
        return Err(Error::refused_as(
            crate::error::Refusal::Policy,
            "the signing profile issues a CA (CA:TRUE: a cfssl profile's is_ca, or a kubeadm CA profile); \
             pass --allow-ca to issue an intermediate CA",
        ));
    }
    if let Some(usages) = &opts.usages {
        if csr.request.is_ca && !opts.make_ca && !opts.leaf_only {
            if !opts.allow_ca {
                return Err(Error::refused_as(
                    crate::error::Refusal::Policy,
                    "the CSR asks to be a CA (CA:TRUE), and the usages given would issue it as a leaf \
                     (CA:FALSE); pass --allow-ca to issue the CA it asks for, or ask for a leaf in the CSR",
                ));
            }
            return Ok((usages.clone(), true));
        }
        return Ok((usages.clone(), opts.make_ca));
    }
    if opts.make_ca {
        return Ok((Vec::new(), true));
    }
    let req = &csr.request;
    if req.is_ca {
        if !self_signing && !opts.allow_ca {
            return Err(Error::refused_as(
                crate::error::Refusal::Policy,
                "the CSR asks to be a CA (CA:TRUE); pass --allow-ca to issue an intermediate CA",
            ));
        }
        return Ok((req.usages.clone(), true));
    }
    if req.usages.is_empty() {
        if self_signing {
            // A self-signed certificate with no requested usage is a new root CA.
            return Ok((Vec::new(), true));
        }
        return Err(Error::refused_as(
            crate::error::Refusal::NoUsages,
            format!("{NO_USAGES}; choose them with --usage server|client or --profile NAME"),
        ));
    }
    Ok((req.usages.clone(), false))
}

/// The start of the refusal for a CSR that requests no usages (k8s-sign completes it with the
/// corrected command).
pub const NO_USAGES: &str = "the CSR requests no usages";
