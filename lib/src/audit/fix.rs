//! The command that repairs a file the audit found wrong: the smallest safe action, with
//! every interpolated value shell-quoted.
//!
//! - A secret readable by others: `chmod 600`, never a new key.
//! - A certificate missing SANs it should have: renewed from itself (`k8s-csr --from-cert`) with
//!   the missing ones added, so SANs kubeadm's `certSANs` added survive.
//! - Any other defect of a leaf: re-issued from its profile, keeping the SANs the old certificate
//!   had beyond the profile's, and a kubeconfig's server.
//! - Never a new CA, never a new service-account key while `sa.key` exists (that would
//!   invalidate every token), never a re-embedded client certificate in a kubeconfig that
//!   references the kubelet's rotated one.

use std::path::Path;

use super::layout::{Target, with_suffix};
use crate::cert::Cert;
use crate::explain::{sh, sh_path};
use crate::finding::{Check, Finding, Status};
use crate::kubeadm::profile::SanRule;
use crate::request::Request;
use crate::san::San;

/// What the audit found about one leaf, for choosing its fix.
pub(super) struct Found<'a> {
    /// The certificate as read, if any.
    pub cert: Option<&'a Cert>,
    /// What the profile expects.
    pub expected: Option<&'a Request>,
    /// The findings.
    pub findings: &'a [Finding],
    /// The file's verdict.
    pub status: Status,
    /// A kubeconfig's server URL as found.
    pub server: Option<&'a str>,
    /// A kubeconfig whose client certificate is a file reference.
    pub references_cert_file: bool,
}

/// A SAN as `k8s-csr --san` takes it (DNS names and IPs only).
fn san_arg(san: &San) -> Option<String> {
    match san {
        San::Dns(d) => Some(d.clone()),
        San::Ip(ip) => Some(ip.to_string()),
        _ => None,
    }
}

/// The fix for a kubeconfig whose only fault is CA data that is another certificate of
/// `pki/ca.crt`'s CA (a CA renewed in place): embed the current file, as kubectl does it.
pub(super) fn embed_ca(conf: &Path, pki: &Path, cluster: Option<&str>, findings: &[Finding]) -> Option<String> {
    let cluster = cluster?;
    let mut faults = findings.iter().filter(|f| f.status != Status::Ok).peekable();
    faults.peek()?;
    if !faults.all(|f| f.check == Check::KubeconfigCa) {
        return None;
    }
    Some(format!(
        "kubectl --kubeconfig {} config set-cluster {} --certificate-authority {} --embed-certs",
        sh_path(conf),
        sh(cluster),
        sh_path(&pki.join("ca.crt"))
    ))
}

/// The fix for a leaf (a `.crt`/`.key` pair or a kubeconfig), if it needs one.
pub(super) fn leaf(target: &Target, pki: &Path, found: &Found<'_>) -> Option<String> {
    // A leaf that outlives its CA verifies today (a warning), and is re-issued from its profile.
    let outlives = found.status == Status::Warn
        && found.findings.iter().any(|f| f.check == Check::Lifetime && f.status == Status::Warn);
    if !matches!(found.status, Status::Fail | Status::Missing) && !outlives {
        return None;
    }
    if target.is_kubeconfig() && found.references_cert_file {
        // The kubelet rotates kubelet-client-current.pem itself; embedding a certificate would undo that.
        return None;
    }
    let failed: Vec<Check> = found.findings.iter().filter(|f| f.status == Status::Fail).map(|f| f.check).collect();
    if let Some(cert) = found.cert {
        if !failed.is_empty() && failed.iter().all(|c| *c == Check::Permissions) {
            let secret = if target.is_kubeconfig() { target.path() } else { with_suffix(&target.name, ".key") };
            return Some(format!("chmod 600 {}", sh_path(&secret)));
        }
        let only_sans = failed.iter().all(|c| matches!(c, Check::Host | Check::Permissions));
        if !target.is_kubeconfig() && only_sans && failed.contains(&Check::Host) {
            let missing: Vec<String> = found
                .expected
                .map(|r| r.sans.iter().filter(|s| !cert.ext.sans.contains(s)).filter_map(san_arg).collect())
                .unwrap_or_default();
            let sans: String = missing.iter().map(|s| format!(" --san {}", sh(s))).collect();
            let signer = target.profile.signer?;
            return Some(format!(
                "k8s-genkey | k8s-csr --from-cert {}{sans} | k8s-sign --ca {} --out {} --force",
                sh_path(&target.path()),
                sh_path(&pki.join(signer.file())),
                sh_path(&target.name)
            ));
        }
    }
    reissue(target, pki, found)
}

/// The pipe that re-issues `target` from its profile, signed by its CA under `pki`, keeping
/// the old certificate's extra SANs and the kubeconfig's server.
fn reissue(target: &Target, pki: &Path, found: &Found<'_>) -> Option<String> {
    let profile = target.profile;
    let params = &target.params;
    let signer = profile.signer?;
    let mut csr = format!("k8s-csr --profile {}", sh(profile.name));
    if profile.orgs_in(params.release) != profile.orgs {
        // The tree's release writes other groups than the newest: keep them.
        csr.push_str(&format!(" --kubernetes-version {}", params.release.name()));
    }
    if profile.needs_node() {
        csr.push_str(&format!(" --node-name {}", sh(params.node_name.as_deref().unwrap_or("NODE"))));
    }
    if profile.needs_address() || params.advertise_address.is_some() && profile.sans == SanRule::KubeletServing {
        let ip = params.advertise_address.map(|i| i.to_string()).unwrap_or_else(|| "IP".into());
        csr.push_str(&format!(" --advertise-address {}", sh(&ip)));
    }
    if let (Some(cert), Some(expected)) = (found.cert, found.expected) {
        for extra in cert.ext.sans.iter().filter(|s| !expected.sans.contains(s)).filter_map(san_arg) {
            csr.push_str(&format!(" --san {}", sh(&extra)));
        }
    }
    let sign = format!("k8s-sign --ca {}", sh_path(&pki.join(signer.file())));
    let out = sh_path(&target.name);
    if target.is_kubeconfig() {
        // The server as found; for a lost file, the one kubeadm writes for it from this node's
        // address (k8s-kubeconfig picks it by identity, an IPv6 address in brackets).
        let server = match (found.server, params.advertise_address) {
            (Some(s), _) => format!("--server {}", sh(s)),
            (None, Some(ip)) => format!("--advertise-address {ip}"),
            (None, None) => "--server https://HOST:6443".to_string(),
        };
        Some(format!(
            "k8s-genkey | {csr} | {sign} | k8s-kubeconfig --ca-cert {} {server} --out {out} --force",
            sh_path(&pki.join("ca.crt")),
        ))
    } else {
        Some(format!("k8s-genkey | {csr} | {sign} --out {out} --force"))
    }
}

/// What the service-account key pair needs, from the state of its two files.
pub(super) enum SaState {
    /// Only sa.key's mode is wrong.
    Mode,
    /// sa.key is fine; sa.pub is missing or does not hold its public key.
    PublicKey,
    /// Both are missing.
    Neither,
    /// sa.key is missing while sa.pub exists: the tokens it signed still verify.
    KeyLost,
}

/// The fix for the service-account key pair under `pki`.
pub(super) fn service_account(pki: &Path, state: SaState) -> String {
    let key = sh_path(&pki.join("sa.key"));
    let public = sh_path(&pki.join("sa.pub"));
    match state {
        SaState::Mode => format!("chmod 600 {key}"),
        SaState::PublicKey => format!("k8s-genkey --in {key} --public --pub-out {public} --force"),
        SaState::Neither => format!("k8s-genkey --public --out {}", sh_path(&pki.join("sa"))),
        // A new signing key whose public half joins the old one, so that tokens already issued
        // keep verifying (kube-apiserver reads every key in --service-account-key-file).
        SaState::KeyLost => format!("k8s-genkey --key-out {key} && k8s-genkey --in {key} --public >> {public}"),
    }
}
