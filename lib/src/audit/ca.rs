//! The audit of one of the three CAs: a readable self-signed CA certificate, valid now, whose
//! key (when present: an absent key is kubeadm's "externally managed" CA) matches it and is
//! kept secret.

use std::path::Path;

use super::read::{AuditOptions, LoadedCa, load_bundle, load_key, permissions};
use crate::cert::Cert;
use crate::explain::sh_path;
use crate::finding::{Check, Finding, Status, worst};
use crate::kubeadm::profile::CaName;
use crate::report::{BundleMember, FileKind, FileReport, SubjectJson};
use crate::verify::{Expect, check};

/// How long before its end a CA is suggested to be renewed in place.
pub const RENEW_IN_PLACE_WITHIN: i64 = 365 * 86_400;

/// The pipe that renews the CA at `prefix` (`.crt`, `.key`) in place: a new certificate with the
/// same subject, key and subject key identifier, so that every certificate it signed still
/// verifies and kubeadm's join hash (the hash of the key) does not change.
pub fn renew_in_place(prefix: &Path) -> String {
    let crt = sh_path(&super::layout::with_suffix(prefix, ".crt"));
    let key = sh_path(&super::layout::with_suffix(prefix, ".key"));
    format!(
        "k8s-csr --from-cert {crt} --key {key} --reuse-key | k8s-sign --self-sign --key {key} --cert-out {crt} --force"
    )
}

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
    let has_key = matches!(&key, Ok(Some(k)) if cert.as_ref().is_some_and(|c| *k.public_key() == c.public_key));
    // No key file here: an externally managed CA. A key that cannot be read (a FIFO, behind a
    // link out of the tree) is not that: it is a failure.
    let externally_managed = matches!(key, Ok(None));
    if let Some(cert) = &cert {
        findings.extend(own_checks(name, cert, key, tree, &key_path, opts));
    }
    let renew = renew_in_place_finding(name, cert.as_ref(), bundle.len(), has_key, pki, opts, &mut findings);
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
        fix: renew,
        generation: None,
        members: members(name, &bundle),
    };
    (report, LoadedCa { name, bundle, externally_managed })
}

/// A bundle's members (none for a single CA).
fn members(name: CaName, bundle: &[Cert]) -> Vec<BundleMember> {
    if bundle.len() < 2 {
        return Vec::new();
    }
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
}

/// The CA certificate's own checks: Go's verdict on it, CA:TRUE, self-signed, its key.
fn own_checks(
    name: CaName,
    cert: &Cert,
    key: Result<Option<crate::key::PrivateKey>, String>,
    tree: &crate::beneath::Beneath,
    key_path: &Path,
    opts: &AuditOptions,
) -> Vec<Finding> {
    let mut findings = check(cert, &Expect { at: opts.at, warn_within: opts.warn_within, ..Expect::default() });
    if !cert.is_ca() {
        findings.push(Finding::fail(Check::Ca, "not a CA certificate (basicConstraints CA:TRUE missing)", None));
    }
    if cert.signed_by(&cert.public_key).is_err() {
        findings.push(Finding::fail(Check::SelfSigned, "a root CA should be self-signed; this one is not", None));
    }
    match key {
        Ok(Some(k)) if *k.public_key() == cert.public_key => {
            findings.push(Finding::ok(Check::Key, "the private key matches"));
            permissions(tree, key_path, &mut findings);
        }
        Ok(Some(_)) => {
            let what = format!("{}.key does not match {}.crt", name.file(), name.file());
            findings.push(Finding::fail(Check::Key, what, None));
            permissions(tree, key_path, &mut findings);
        }
        Ok(None) => findings.push(Finding::ok(Check::Key, "no CA key here: an externally managed CA")),
        Err(e) => findings.push(Finding::fail(Check::Key, e, None)),
    }
    findings
}

/// A CA near its end (or past it) whose key is here, outside a rotation: renewed in place,
/// everything it signed stays valid (a bundle is a rotation's business). The finding, and the
/// pipe that does it.
fn renew_in_place_finding(
    name: CaName,
    cert: Option<&Cert>,
    members: usize,
    has_key: bool,
    pki: &Path,
    opts: &AuditOptions,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let c = cert.filter(|c| members == 1 && has_key && c.not_after - opts.at < RENEW_IN_PLACE_WITHIN)?;
    let when = crate::validity::format_time(c.not_after);
    let ends = if c.not_after < opts.at { format!("ended {when}") } else { format!("ends {when}, within a year") };
    findings.push(Finding::ok(
        Check::Renew,
        format!(
            "{ends}: renew it in place, keeping its key and subject, and everything it signed stays valid (docs/rotation.md, Renewing a CA in place)"
        ),
    ));
    Some(renew_in_place(&pki.join(name.file())))
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
    if super::read::exists(tree, &pki.join("rotation.json")) {
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
