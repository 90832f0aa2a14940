//! The audit of a whole kubeadm PKI directory (`/etc/kubernetes`): every file the profile
//! table places there, checked with [`crate::verify`] against the right CA, the profile's
//! subject, usages and SANs, its key, its permissions and its expiry.
//!
//! [`layout`] says which files to expect and with which parameters; one module checks each
//! kind of file ([`ca`], [`leaf`], [`kubeconfig`], [`service_account`]); [`fix`] writes the
//! command that repairs a file; the results are [`crate::report`]'s types.

mod ca;
mod fix;
mod kubeconfig;
mod layout;
mod leaf;
mod service_account;

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::cert::Cert;
use crate::error::Result;
use crate::finding::{Check, Finding, Status};
use crate::key::PrivateKey;
use crate::profile::CaName;
use crate::report::Report;
use crate::validity::format_time;

/// What the audit needs besides the directory.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Node name; inferred from apiserver.crt / etcd/server.crt when absent.
    pub node_name: Option<String>,
    /// Advertise address; inferred from apiserver.crt when absent.
    pub advertise_address: Option<IpAddr>,
    /// Service CIDR (for the API server's service IP).
    pub service_cidr: String,
    /// Cluster DNS domain.
    pub dns_domain: String,
    /// Evaluate as of this time.
    pub at: i64,
    /// Warn when something expires within this many seconds.
    pub warn_within: i64,
}

/// A CA as the audit found it, for checking what it signed.
struct LoadedCa {
    name: CaName,
    cert: Option<Cert>,
    has_key: bool,
}

/// Audits `dir` (a directory holding `pki/` and the kubeconfigs, like /etc/kubernetes).
pub fn audit(dir: &Path, opts: &AuditOptions) -> Result<Report> {
    let (root, pki) = layout::locate(dir)?;
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let params = layout::infer_params(&pki, &root, opts);
    let mut files = Vec::new();
    let mut cas = Vec::new();
    for name in CaName::ALL {
        let (report, loaded) = ca::audit(name, &pki, opts, &rel);
        files.push(report);
        cas.push(loaded);
    }
    for target in layout::targets(&root, &pki, &params) {
        files.push(leaf::audit(&target, &cas, &root, &pki, opts, &rel));
    }
    files.push(service_account::audit(&pki, &rel));
    let status = files.iter().map(|f| f.status).max().unwrap_or(Status::Ok);
    Ok(Report {
        dir: root.display().to_string(),
        at: format_time(opts.at),
        at_secs: opts.at,
        node_name: params.node_name.clone(),
        advertise_address: params.advertise_address.map(|i| i.to_string()),
        status,
        files,
    })
}

/// The certificate in `path`; `None` when there is no such file.
fn load_cert(path: &Path) -> std::result::Result<Option<Cert>, String> {
    if !path.exists() {
        return Ok(None);
    }
    Cert::read_file(path).map(Some).map_err(|e| e.to_string())
}

/// The private key in `path`; `None` when there is no such file.
fn load_key(path: &Path) -> std::result::Result<Option<PrivateKey>, String> {
    if !path.exists() {
        return Ok(None);
    }
    PrivateKey::read_file(path).map(Some).map_err(|e| e.to_string())
}

/// A secret file's mode: readable by group or others is a failure, fixed by `chmod 600`.
fn permissions(path: &Path, findings: &mut Vec<Finding>) {
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if mode & 0o077 != 0 {
            findings.push(Finding::fail(
                Check::Permissions,
                format!("{name} is readable by others (mode {mode:04o}); fix: chmod 600 {}", path.display()),
                None,
            ));
        } else {
            findings.push(Finding::ok(Check::Permissions, format!("{name} mode {mode:04o}")));
        }
    }
}
