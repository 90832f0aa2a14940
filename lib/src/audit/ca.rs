//! The audit of one of the three CAs: a readable self-signed CA certificate, valid now, whose
//! key (when present: an absent key is kubeadm's "externally managed" CA) matches it and is
//! kept secret.

use std::path::Path;

use super::{AuditOptions, LoadedCa, load_bundle, load_key, permissions};
use crate::cert::Cert;
use crate::finding::{Check, Finding, Status, worst};
use crate::profile::CaName;
use crate::report::{BundleMember, FileKind, FileReport, SubjectJson};
use crate::verify::{Expect, check};

/// The report on CA `name` under `pki`, and the CA as loaded for checking what it signed.
pub(super) fn audit(
    name: CaName,
    tree: &crate::beneath::Beneath,
    pki: &Path,
    opts: &AuditOptions,
    rel: &dyn Fn(&Path) -> String,
) -> (FileReport, LoadedCa) {
    let crt = pki.join(format!("{}.crt", name.file()));
    let key_path = pki.join(format!("{}.key", name.file()));
    let mut findings = Vec::new();
    let bundle = match load_bundle(tree, &crt) {
        Ok(b) => b,
        Err(e) => {
            findings.push(Finding::fail(Check::Read, e, None));
            Vec::new()
        }
    };
    let cert = bundle.first().cloned();
    bundle_findings(tree, &bundle, pki, opts, &mut findings);
    let key = load_key(tree, &key_path);
    // No key file here: an externally managed CA. A key that cannot be read (a FIFO, behind a
    // link out of the tree) is not that: it is a failure.
    let externally_managed = matches!(key, Ok(None));
    if let Some(cert) = &cert {
        findings.extend(check(cert, &Expect { at: opts.at, warn_within: opts.warn_within, ..Expect::default() }));
        if !cert.is_ca() {
            findings.push(Finding::fail(Check::Ca, "not a CA certificate (basicConstraints CA:TRUE missing)", None));
        }
        if cert.signed_by(&cert.public_key).is_err() {
            findings.push(Finding::fail(Check::SelfSigned, "a root CA should be self-signed; this one is not", None));
        }
        match key {
            Ok(Some(k)) => {
                if *k.public_key() == cert.public_key {
                    findings.push(Finding::ok(Check::Key, "the private key matches"));
                } else {
                    findings.push(Finding::fail(
                        Check::Key,
                        format!("{}.key does not match {}.crt", name.file(), name.file()),
                        None,
                    ));
                }
                permissions(tree, &key_path, &mut findings);
            }
            Ok(None) => findings.push(Finding::ok(Check::Key, "no CA key here: an externally managed CA")),
            Err(e) => findings.push(Finding::fail(Check::Key, e, None)),
        }
    }
    let status = if cert.is_none() && findings.is_empty() { Status::Missing } else { worst(&findings) };
    let report = FileReport {
        path: rel(&crt),
        name: name.profile().into(),
        kind: FileKind::Ca,
        subject: cert.as_ref().map(SubjectJson::of),
        not_after: cert.as_ref().map(|c| c.not_after),
        ca_name: None,
        signed_by: cert
            .as_ref()
            .filter(|c| c.signed_by(&c.public_key).is_ok())
            .map(|_| format!("pki/{}.crt{}", name.file(), if bundle.len() > 1 { "#1" } else { "" })),
        externally_managed,
        status,
        findings,
        kubeadm_name: Some(name.profile().into()),
        fix: None,
        generation: None,
        members: if bundle.len() > 1 {
            bundle
                .iter()
                .enumerate()
                .map(|(i, c)| BundleMember {
                    reference: format!("pki/{}.crt#{}", name.file(), i + 1),
                    id: c.join_hash(),
                    not_after: c.not_after,
                    generation: None,
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    (report, LoadedCa { name, bundle, externally_managed })
}

/// A bundle (several CAs in one file) is normal mid-rotation, when `pki/rotation.json` says
/// one is under way; otherwise a warning. Every further member must be a CA, self-signed,
/// valid, and present once. The first is checked as the signer by the caller.
fn bundle_findings(
    tree: &crate::beneath::Beneath,
    bundle: &[Cert],
    pki: &Path,
    opts: &AuditOptions,
    findings: &mut Vec<Finding>,
) {
    if bundle.len() < 2 {
        return;
    }
    if super::exists(tree, &pki.join("rotation.json")) {
        findings.push(Finding::ok(Check::Ca, format!("a bundle of {} CAs (a rotation is under way)", bundle.len())));
    } else {
        findings.push(Finding::warn(
            Check::Ca,
            format!("a bundle of {} CAs, but no rotation is under way (pki/rotation.json)", bundle.len()),
        ));
    }
    for (i, member) in bundle.iter().enumerate().skip(1) {
        let which = format!("certificate #{} of the bundle ({})", i + 1, member.subject);
        if bundle.iter().take(i).any(|c| c.der == member.der) {
            findings.push(Finding::fail(Check::Ca, format!("{which} is listed twice"), None));
        }
        if !member.is_ca() {
            findings.push(Finding::fail(Check::Ca, format!("{which} is not a CA certificate"), None));
        }
        if member.signed_by(&member.public_key).is_err() {
            findings.push(Finding::fail(Check::SelfSigned, format!("{which} is not self-signed"), None));
        }
        if opts.at > member.not_after || opts.at < member.not_before {
            findings.push(Finding::fail(Check::Validity, format!("{which} is not valid now"), None));
        }
    }
}
