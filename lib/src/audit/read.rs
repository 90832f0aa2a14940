//! Reading the audited tree: what the audit is asked (the options), and each file read beneath
//! the tree without following links — present or not, its certificates, its key, its mode.

use std::net::IpAddr;
use std::path::Path;

use crate::beneath::Beneath;
use crate::cert::Cert;
use crate::finding::{Check, Finding};
use crate::key::PrivateKey;
use crate::kubeadm::profile::CaName;

/// What the audit needs besides the directory.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Node name; inferred from apiserver.crt / etcd/server.crt when absent.
    pub node_name: Option<String>,
    /// Advertise address; inferred from apiserver.crt when absent.
    pub advertise_address: Option<IpAddr>,
    /// Service CIDR (for the API server's service IP).
    pub service_cidr: crate::san::ServiceCidr,
    /// Cluster DNS domain.
    pub dns_domain: String,
    /// Evaluate as of this time.
    pub at: i64,
    /// Warn when something expires within this many seconds.
    pub warn_within: i64,
    /// A copy of the node's file system: kubeconfigs' absolute file references are read under it.
    pub root: Option<std::path::PathBuf>,
    /// `--kubernetes-version`: the kubeadm release the tree must match; detected when absent.
    pub release: Option<&'static crate::kubeadm::release::Release>,
    /// `--external-etcd`: the cluster's etcd is external (kubeadm's `etcd.external`); detected
    /// from `manifests/` when false.
    pub external_etcd: bool,
}

/// A CA as the audit found it, for checking what it signed.
pub(super) struct LoadedCa {
    pub(super) name: CaName,
    /// Every certificate of the file (a bundle mid-rotation: the signer first).
    pub(super) bundle: Vec<Cert>,
    /// No key file beside it (an unreadable one is a failure, not this).
    pub(super) externally_managed: bool,
}

impl LoadedCa {
    /// The signer: the file's first certificate.
    pub(super) fn cert(&self) -> Option<&Cert> {
        self.bundle.first()
    }

    /// Which member of the bundle signed `cert`: `pki/ca.crt`, or `pki/ca.crt#2` in a bundle.
    pub(super) fn signer_of(&self, cert: &Cert) -> Option<String> {
        let i = self
            .bundle
            .iter()
            .position(|ca| cert.issuer_raw == ca.subject_raw && cert.signed_by(&ca.public_key).is_ok())?;
        let file = format!("pki/{}.crt", self.name.file());
        Some(if self.bundle.len() > 1 { format!("{file}#{}", i + 1) } else { file })
    }
}

/// `path` (under the tree) relative to the tree, for reading it beneath the tree.
pub(super) fn rel_in(tree: &Beneath, path: &Path) -> String {
    path.strip_prefix(tree.root()).unwrap_or(path).display().to_string()
}

/// Whether `path` in the tree is there to be read: `Ok(false)` when absent; an error in words
/// for anything that is not a regular file, or a link that leaves the tree at any depth.
pub(super) fn present(tree: &Beneath, path: &Path) -> std::result::Result<bool, String> {
    tree.file(&rel_in(tree, path)).map_err(|why| format!("{}: {why}", path.display()))
}

/// Whether every one of `paths` lies in the tree, not behind a link that leads out of it: what a
/// fix line may name.
pub(super) fn confined(tree: &Beneath, paths: &[&Path]) -> bool {
    paths.iter().all(|p| {
        let rel = rel_in(tree, p);
        let dir = Path::new(&rel).parent().map(|d| d.display().to_string()).unwrap_or_default();
        dir.is_empty() || !matches!(tree.entry(&dir), crate::beneath::Entry::Refused(_))
    })
}

/// Whether anything is at `path` in the tree.
pub(super) fn exists(tree: &Beneath, path: &Path) -> bool {
    tree.exists(&rel_in(tree, path))
}

/// The PEM blocks of `path`, read beneath the tree; `None` when there is no such file.
pub(super) fn blocks(tree: &Beneath, path: &Path) -> std::result::Result<Option<Vec<crate::pem::Block>>, String> {
    if !present(tree, path)? {
        return Ok(None);
    }
    crate::input::tree_blocks(tree, &rel_in(tree, path)).map_err(|e| e.to_string())
}

/// Every certificate in `path` (a CA file may be a bundle); empty when there is no such file.
pub(super) fn load_bundle(tree: &Beneath, path: &Path) -> std::result::Result<Vec<Cert>, String> {
    match blocks(tree, path)? {
        Some(bs) => Cert::all_from_blocks(&bs, &path.display().to_string()).map_err(|e| e.to_string()),
        None => Ok(Vec::new()),
    }
}

/// The certificate in `path`; `None` when there is no such file.
pub(super) fn load_cert(tree: &Beneath, path: &Path) -> std::result::Result<Option<Cert>, String> {
    blocks(tree, path)?
        .map(|bs| Cert::from_blocks(&bs, &path.display().to_string()))
        .transpose()
        .map_err(|e| e.to_string())
}

/// The private key in `path`; `None` when there is no such file.
pub(super) fn load_key(tree: &Beneath, path: &Path) -> std::result::Result<Option<PrivateKey>, String> {
    blocks(tree, path)?
        .map(|bs| PrivateKey::from_blocks(&bs, &path.display().to_string()))
        .transpose()
        .map_err(|e| e.to_string())
}

/// A secret file's mode: readable by group or others is a failure, fixed by `chmod 600`.
pub(super) fn permissions(tree: &Beneath, path: &Path, findings: &mut Vec<Finding>) {
    if let Some(mode) = tree.mode(&rel_in(tree, path)) {
        let mode = mode & 0o777;
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if mode & 0o077 != 0 {
            findings.push(Finding::fail(
                Check::Permissions,
                format!("{name} is readable by others (mode {mode:04o})"),
                None,
            ));
        } else {
            findings.push(Finding::ok(Check::Permissions, format!("{name} mode {mode:04o}")));
        }
    }
}
