//! The audit of a kubeconfig: readable, kept secret, its embedded CA the cluster CA, and a
//! client certificate with its key in the current context.

use std::path::Path;

use super::read::permissions;
use crate::beneath::Beneath;
use crate::cert::Cert;
use crate::finding::{Check, Finding};
use crate::key::{PrivateKey, PublicKey};
use crate::kubeconfig::Kubeconfig;
use crate::kubeconfig::Refs;
use crate::pem::{Kind, first_block_of};

/// What the audit read from a kubeconfig.
pub(super) struct Audited {
    /// The client certificate, if one was found.
    pub cert: Option<Cert>,
    /// The client key's public half, if one was found.
    pub key: Option<PublicKey>,
    /// What was found wrong (and right).
    pub findings: Vec<Finding>,
    /// The current context's server URL.
    pub server: Option<String>,
    /// Whether the client certificate is a file reference (the kubelet's rotated
    /// `kubelet-client-current.pem`), not embedded data.
    pub references_cert_file: bool,
    /// The current context's cluster.
    pub cluster: Option<String>,
    /// Whether the embedded CA data are other certificates of `pki/ca.crt`'s CAs (same subject
    /// and key: a CA renewed in place), mended by embedding the current file.
    pub renewed_ca: bool,
}

/// Audits the kubeconfig at `path` (file references resolved against `root`); `ca` is the
/// cluster CA file's certificates (a bundle mid-rotation), which its embedded CA data should
/// equal as a set.
pub(super) fn audit(path: &Path, tree: &Beneath, node_root: Option<&Path>, ca: &[Cert], at: i64) -> Audited {
    let mut findings = Vec::new();
    let mut out = Audited {
        cert: None,
        key: None,
        findings: Vec::new(),
        server: None,
        references_cert_file: false,
        cluster: None,
        renewed_ca: false,
    };
    match super::read::present(tree, path) {
        Ok(true) => {}
        Ok(false) => return out,
        Err(why) => {
            out.findings.push(Finding::fail(Check::Read, why, None));
            return out;
        }
    }
    permissions(tree, path, &mut findings);
    let name = path.display().to_string();
    let rel = super::read::rel_in(tree, path);
    let read = tree.read(&rel).and_then(|b| b.ok_or_else(|| crate::error::Error::io_msg(path, "no such file")));
    let kc = read.and_then(|b| Kubeconfig::from_slice(&b, &name));
    if let Ok(kc) = &kc {
        let context = kc.contexts.iter().find(|c| c.name == kc.current_context);
        let user = context.and_then(|c| kc.users.iter().find(|u| u.name == c.context.user));
        out.references_cert_file = user.is_some_and(|u| u.user.client_certificate.is_some());
    }
    let creds = match credentials(kc, tree, &rel, node_root, &name) {
        Ok(c) => c,
        // kubelet-finalize points kubelet.conf at the kubelet's own rotated certificate: normal,
        // and only readable on the node or in a copy of it (--root).
        Err(crate::error::Error::Io { path: missing, .. }) if out.references_cert_file => {
            let hint =
                if node_root.is_some() { "not under --root" } else { "audit a copy of the node with --root DIR" };
            findings.push(Finding {
                check: Check::ClientCertificate,
                status: crate::finding::Status::Missing,
                message: format!(
                    "references {} (the kubelet rotates it), which is not here: {hint}",
                    missing.display()
                ),
                go_error: None,
            });
            out.findings = findings;
            return out;
        }
        Err(e) => {
            findings.push(Finding::fail(Check::Read, e.to_string(), None));
            out.findings = findings;
            return out;
        }
    };
    out.server = Some(creds.server.clone()).filter(|s| !s.is_empty());
    let embedded = creds.ca.as_deref().map(|pem| Cert::all_in_pem(pem, &name)).unwrap_or_default();
    let (ca_finding, renewed_ca) = ca_data(&embedded, ca, at);
    findings.extend(ca_finding);
    out.renewed_ca = renewed_ca;
    out.cluster = Some(creds.cluster.clone());
    let cert = creds.cert.as_deref().and_then(|p| Cert::first_in_pem(p.as_bytes(), &name));
    if cert.is_none() {
        findings.push(Finding::fail(Check::ClientCertificate, "no client certificate in the current context", None));
    }
    let key = creds.key.as_deref().and_then(|pem| {
        let b = first_block_of(pem, Kind::Key, &name).ok().flatten()?;
        PrivateKey::from_pem_block(&b.label, &b.der, &name).ok().map(|k| k.public_key().clone())
    });
    if key.is_none() && cert.is_some() {
        findings.push(Finding::fail(Check::Key, "no client key in the current context", None));
    }
    Audited { cert, key, findings, ..out }
}

/// The credentials of the current context. File references: a relative one from the
/// kubeconfig's directory, beneath the tree; an absolute one beneath `node_root` (a copy of the
/// node's file system), never anywhere else.
fn credentials(
    kc: crate::error::Result<Kubeconfig>,
    tree: &Beneath,
    rel: &str,
    node_root: Option<&Path>,
    name: &str,
) -> crate::error::Result<crate::kubeconfig::Credentials> {
    let dir = std::path::Path::new(rel).parent().map(|p| p.display().to_string()).unwrap_or_default();
    let node = node_root.map(Beneath::open).transpose()?;
    kc?.credentials_from(None, name, Refs::Tree { tree, dir: &dir, root: node.as_ref() })
}

/// The embedded CA data against `pki/ca.crt`, compared as sets (kubectl trusts every
/// certificate of the data, in any order), as of `at`.
fn ca_data(embedded: &[Cert], ca: &[Cert], at: i64) -> (Option<Finding>, bool) {
    let Some(first) = embedded.first() else {
        return (Some(Finding::fail(Check::KubeconfigCa, "no CA in the kubeconfig", None)), false);
    };
    if ca.is_empty() {
        return (None, false);
    }
    let has = |set: &[Cert], c: &Cert| set.iter().any(|x| x.der == c.der);
    let same_set = embedded.iter().all(|c| has(ca, c)) && ca.iter().all(|c| has(embedded, c));
    // The same CAs by subject and key: certificates of a CA renewed in place (or of its
    // renewal, here or there). A chain to one is a chain to the other while both are valid.
    let same_ca = |a: &Cert, b: &Cert| a.subject_raw == b.subject_raw && a.public_key == b.public_key;
    let like = |set: &[Cert], c: &Cert| set.iter().any(|x| same_ca(x, c));
    if !same_set && embedded.iter().all(|c| like(ca, c)) && ca.iter().all(|c| like(embedded, c)) {
        let end = embedded.iter().filter(|c| !has(ca, c)).map(|c| c.not_after).min().unwrap_or(first.not_after);
        let when = crate::validity::format_time(end);
        let finding = if end < at {
            Finding::fail(
                Check::KubeconfigCa,
                format!(
                    "the embedded CA is an earlier certificate of pki/ca.crt's CA (same subject and key) that ended {when}: clients refuse the API server; embed the current pki/ca.crt"
                ),
                None,
            )
        } else {
            Finding::warn(
                Check::KubeconfigCa,
                format!(
                    "the embedded CA is another certificate of pki/ca.crt's CA (same subject and key), valid until {when}: clients trust the API server until then; embed the current pki/ca.crt"
                ),
            )
        };
        return (Some(finding), true);
    }
    let finding = if same_set && embedded.len() == ca.len() && embedded.iter().zip(ca).all(|(a, b)| a.der == b.der) {
        Finding::ok(Check::KubeconfigCa, "the embedded CA is pki/ca.crt")
    } else if same_set {
        Finding::warn(Check::KubeconfigCa, "the embedded CAs are pki/ca.crt's, in another order")
    } else if ca.len() == 1 && embedded.len() == 1 {
        Finding::fail(
            Check::KubeconfigCa,
            format!("the embedded CA ({}) is not pki/ca.crt: clients will not trust the API server", first.subject),
            Some("x509: certificate signed by unknown authority".into()),
        )
    } else {
        let missing = ca.iter().filter(|c| !has(embedded, c)).count();
        let extra = embedded.iter().filter(|c| !has(ca, c)).count();
        Finding::fail(
            Check::KubeconfigCa,
            format!(
                "the embedded CA data is not pki/ca.crt's {} CAs: {missing} of them missing, {extra} other{}",
                ca.len(),
                if extra == 1 { "" } else { "s" }
            ),
            None,
        )
    };
    (Some(finding), false)
}
