//! The command that repairs a file the audit found wrong: a pipe of k8s-* commands that
//! re-issues it from its profile, with every interpolated value shell-quoted.

use std::path::Path;

use super::layout::Target;
use crate::explain::sh;
use crate::profile::SanRule;

/// The pipe that re-issues `target` from its profile, signed by its CA under `pki`.
pub(super) fn reissue(target: &Target, pki: &Path) -> Option<String> {
    let profile = target.profile;
    let params = &target.params;
    let signer = profile.signer?;
    let mut csr = format!("k8s-csr --profile {}", sh(profile.name));
    if profile.needs_node() {
        csr.push_str(&format!(" --node-name {}", sh(params.node_name.as_deref().unwrap_or("NODE"))));
    }
    if profile.needs_address() || params.advertise_address.is_some() && profile.sans == SanRule::KubeletServing {
        let ip = params.advertise_address.map(|i| i.to_string()).unwrap_or_else(|| "IP".into());
        csr.push_str(&format!(" --advertise-address {}", sh(&ip)));
    }
    let path = |p: &Path| sh(&p.display().to_string());
    let sign = format!("k8s-sign --ca {}", path(&pki.join(signer.file())));
    let out = path(&target.name);
    if target.is_kubeconfig() {
        let host = params.advertise_address.map(|i| i.to_string()).unwrap_or_else(|| "HOST".into());
        Some(format!(
            "k8s-genkey | {csr} | {sign} | k8s-kubeconfig --ca-cert {} --server {} --out {out} --force",
            path(&pki.join("ca.crt")),
            sh(&format!("https://{host}:6443"))
        ))
    } else {
        Some(format!("k8s-genkey | {csr} | {sign} --out {out} --force"))
    }
}

/// The command that makes a new service-account key pair under `pki`.
pub(super) fn new_service_account_key(pki: &Path) -> String {
    format!("k8s-genkey --public --out {} --force", sh(&pki.join("sa").display().to_string()))
}
