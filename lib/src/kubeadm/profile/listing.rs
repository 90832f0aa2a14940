//! `k8s-csr --list-profiles`: the profile table as a release writes it, as text or JSON.

use super::model::{CaName, Location};
use super::table::PROFILES;
use crate::kubeadm::release::Release;

/// The profile table as JSON, for scripts (`k8s-csr --list-profiles --format json`): one object
/// per profile with its name, signer (the CA's profile) and signer's file stem, file stem and
/// kind, CN, O as `release` writes it (and the other releases' O, with which releases), usages, the copy each extra node has, and whether a
/// tree may lack it.
pub fn table_json(release: &Release) -> String {
    let rows: Vec<serde_json::Value> = PROFILES
        .iter()
        .filter(|p| release.writes(p.name))
        .map(|p| {
            let kind = match (p.is_ca, p.location) {
                (true, _) => "ca",
                (false, Location::Pki(_)) => "certificate",
                (false, Location::Kubeconfig(_)) => "kubeconfig",
                (false, Location::Elsewhere) => "other",
            };
            serde_json::json!({
                "name": p.name,
                "summary": p.summary,
                "signer": p.signer.map(CaName::profile),
                "signerFile": p.signer.map(|s| format!("pki/{}", s.file())),
                "file": p.path(),
                "kind": kind,
                "subject": {"cn": p.cn.replace("{node}", "NODE"), "o": p.orgs_in(release)},
                "olderO": p.older_orgs()
                    .into_iter()
                    .filter(|(o, _)| *o != p.orgs_in(release))
                    .map(|(o, releases)| serde_json::json!({"o": o, "releases": releases}))
                    .collect::<Vec<_>>(),
                "kubernetesVersion": release.name(),
                "usages": p.usages.iter().map(|u| u.eku_name()).collect::<Vec<_>>(),
                "isCA": p.is_ca,
                "perNode": p.per_node.and_then(Location::path),
                "optional": p.optional,
                "renewedByKubeadm": p.renewed_by_kubeadm,
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string() + "\n"
}

/// The `--list-profiles` table, as `release` writes each profile (one it does not write is left
/// out).
pub fn table(release: &Release) -> String {
    let mut out =
        format!("{:<26} {:<15} {:<31} {:<24} {:<14} {}\n", "PROFILE", "SIGNED BY", "CN", "O", "USAGES", "FILE");
    for p in PROFILES.iter().filter(|p| release.writes(p.name)) {
        let signer = p.signer.map(|c| c.file()).unwrap_or("(self-signed)");
        let orgs = p.orgs_in(release);
        let orgs = if orgs.is_empty() { "-".to_string() } else { orgs.join(",") };
        let usages =
            if p.is_ca { "CA".to_string() } else { p.usages.iter().map(|u| u.name()).collect::<Vec<_>>().join(",") };
        let file = p.path().unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:<26} {:<15} {:<31} {:<24} {:<14} {}\n",
            p.name,
            signer,
            p.cn.replace("{node}", "NODE"),
            orgs,
            usages,
            file
        ));
    }
    out
}
