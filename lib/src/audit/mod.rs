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
mod read;
mod service_account;

use std::path::Path;

use crate::beneath::Beneath;
use crate::error::Result;
use crate::finding::{Check, Finding, Status};
use crate::kubeadm::profile::CaName;
use crate::report::Report;
use crate::validity::format_time;

pub use layout::{extra_nodes, locate};
pub use read::AuditOptions;

/// The name of the node whose files `dir` holds, as the audit infers it: a vote of the
/// certificates that carry it (the API server's SANs, etcd's certificates, kubelet.conf's CN).
pub fn node_name(dir: &Path, opts: &AuditOptions) -> Option<String> {
    let (root, pki) = layout::locate(dir).ok()?;
    let tree = Beneath::open(&root).ok()?;
    let release = opts.release.unwrap_or_else(crate::kubeadm::release::newest);
    layout::infer_params(&pki, &tree, opts, release).node_name
}

/// The kubeadm release the tree already opened at `tree` (the directory holding `pki/`)
/// carries, as far as its certificates' groups tell (the newest when nothing tells): what a
/// renewal or rotation of it follows.
pub fn release_of_tree(tree: &Beneath) -> &'static crate::kubeadm::release::Release {
    layout::detect(tree, &tree.root().join("pki")).0
}

/// Audits `dir` (a directory holding `pki/` and the kubeconfigs, like /etc/kubernetes).
pub fn audit(dir: &Path, opts: &AuditOptions) -> Result<Report> {
    let (root, pki) = layout::locate(dir)?;
    // Every file is read beneath the tree: a link that leaves it, at any depth, is not followed.
    let tree = Beneath::open(&root)?;
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let (release, version_source) = layout::release_of(&tree, &pki, opts);
    let params = layout::infer_params(&pki, &tree, opts, release);
    let role = layout::Role::of(&tree, &pki);
    // Told or seen in manifests/, the rest of the audit knows it as `opts.external_etcd`.
    let etcd = layout::external_etcd(&tree, opts);
    let opts = &AuditOptions { external_etcd: etcd.is_some(), ..opts.clone() };
    let mut files = Vec::new();
    let mut cas = Vec::new();
    // A worker holds the cluster CA's certificate only (kubeadm join writes pki/ca.crt).
    let ca_names: &[CaName] = if role == layout::Role::Worker { &[CaName::Cluster] } else { &CaName::ALL };
    for name in ca_names {
        let (report, loaded) = ca::audit(*name, &tree, &pki, opts, &rel);
        files.push(report);
        cas.push(loaded);
    }
    for target in layout::targets(&tree, &pki, &params, role) {
        files.push(leaf::audit(&target, &cas, &tree, &pki, opts, &rel));
    }
    if role == layout::Role::ControlPlane {
        files.push(service_account::audit(&tree, &pki, &rel));
    }
    if let Some(why) = &etcd {
        external_etcd(&mut files, why);
    }
    missing_cas_fail(&mut files);
    let status = files.iter().map(|f| f.status).max().unwrap_or(Status::Ok);
    Ok(Report {
        role: role.word(),
        dir: root.display().to_string(),
        at: format_time(opts.at),
        at_secs: opts.at,
        node_name: params.node_name.clone(),
        advertise_address: params.advertise_address.map(|i| i.to_string()),
        kubernetes_version: params.release.name(),
        residual: params.release.residual,
        version_source,
        etcd: etcd.map(|why| format!("external ({why})")).unwrap_or_else(|| "local".into()),
        status,
        files,
        rotation: None,
    })
}

/// With an external etcd kubeadm writes no etcd certificate and `check-expiration` lists none
/// (certlist.go `GetCertsWithoutEtcd`, renewal/manager.go `NewManager`): the etcd CA and what it
/// signs are not expected and not in the expiry table; the etcd CA and apiserver-etcd-client
/// are checked where they are (kubeadm's external-etcd guide copies them to pki/; a chain that
/// cannot be checked because the etcd CA lives elsewhere is the leaf audit's warning).
fn external_etcd(files: &mut [crate::report::FileReport], why: &str) {
    let etcd = CaName::Etcd.profile();
    for f in files.iter_mut().filter(|f| f.ca_name.as_deref() == Some(etcd) || f.name == etcd) {
        f.kubeadm_name = None;
        if f.status == Status::Missing {
            f.status = Status::Ok;
            f.findings.push(Finding::ok(Check::Present, format!("absent: etcd is external ({why})")));
            f.fix = None;
        }
    }
}

/// A missing CA is only "missing" (a worker node, external etcd) while nothing it signs is
/// here; once certificates it signed are present, they cannot be checked: a failure.
fn missing_cas_fail(files: &mut [crate::report::FileReport]) {
    let signed: Vec<(String, String)> = files
        .iter()
        .filter(|f| f.status != Status::Missing)
        .filter_map(|f| f.ca_name.clone().map(|ca| (ca, f.path.clone())))
        .collect();
    for ca in files.iter_mut().filter(|f| f.status == Status::Missing && f.kind == crate::report::FileKind::Ca) {
        let needing: Vec<&str> = signed.iter().filter(|(n, _)| *n == ca.name).map(|(_, p)| p.as_str()).collect();
        if let Some(first) = needing.first() {
            let more = if needing.len() > 1 { format!(" and {} more", needing.len() - 1) } else { String::new() };
            ca.findings.push(Finding::fail(
                Check::Read,
                format!("missing, but {first}{more} it signs are here: they cannot be checked"),
                None,
            ));
            ca.status = Status::Fail;
        }
    }
}

#[cfg(test)]
mod tests {
    //! A small tree made with the library: the cluster CA and the API server's certificate,
    //! everything else absent; then broken in the ways the audit must see.

    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use super::*;
    use crate::cert::Cert;
    use crate::csr::{Csr, build};
    use crate::issue::{Ca, IssueOptions, self_sign};
    use crate::key::PrivateKey;
    use crate::key::{Algorithm, KeyFormat};
    use crate::kubeadm::profile::{Params, find};
    use crate::pem::encode_pem;
    use crate::report::FileKind;
    use crate::validity::DAY;

    const NOW: i64 = 1_795_000_000;

    fn params() -> Params {
        Params { node_name: Some("n1".into()), advertise_address: "10.0.0.10".parse().ok(), ..Params::default() }
    }

    fn write(path: &Path, text: &str, mode: u32) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    fn write_pair(pki: &Path, stem: &str, der: &[u8], key: &PrivateKey) {
        write(&pki.join(format!("{stem}.crt")), &encode_pem("CERTIFICATE", der), 0o644);
        write(&pki.join(format!("{stem}.key")), &key.to_pem(KeyFormat::Traditional).expect("pem"), 0o600);
    }

    /// A tree with pki/ca and pki/apiserver; returns the CA to sign more with.
    fn tree(root: &Path) -> Ca {
        let pki = root.join("pki");
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let req = find("ca").and_then(|p| p.request(&Params::default())).expect("req");
        let csr = Csr::from_der(&build(&req, &key).expect("csr"), "ca").expect("csr");
        let opts = IssueOptions { lifetime: 3650 * DAY, now: NOW, ..IssueOptions::default() };
        let der = self_sign(&csr, &key, &opts).expect("ca").der;
        write_pair(&pki, "ca", &der, &key);
        let ca = Ca::new(Cert::from_der(&der, "ca").expect("ca"), key, "ca.crt", "ca.key", NOW).expect("ca");
        leaf(&ca, &pki, "apiserver", "apiserver", None);
        ca
    }

    /// Issues `profile` into `pki/STEM`, with other O values if given.
    fn leaf(ca: &Ca, pki: &Path, profile: &str, stem: &str, orgs: Option<&[String]>) {
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let mut req = find(profile).and_then(|p| p.request(&params())).expect("req");
        if let Some(orgs) = orgs {
            req.subject.set_orgs(orgs);
        }
        let csr = Csr::from_der(&build(&req, &key).expect("csr"), profile).expect("csr");
        let opts = IssueOptions { lifetime: 365 * DAY, now: NOW, ..IssueOptions::default() };
        write_pair(pki, stem, &ca.issue(&csr, &opts).expect("leaf").der, &key);
    }

    fn run(root: &Path) -> Report {
        let opts = AuditOptions {
            node_name: None,
            advertise_address: None,
            service_cidr: Default::default(),
            dns_domain: "cluster.local".into(),
            at: NOW + DAY,
            warn_within: 30 * DAY,
            root: None,
            release: None,
            external_etcd: false,
        };
        audit(root, &opts).expect("audit")
    }

    fn file<'a>(report: &'a Report, name: &str) -> &'a crate::report::FileReport {
        report.files.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name} in the report"))
    }

    #[test]
    fn present_files_pass_and_absent_ones_are_missing_with_a_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path());
        let report = run(dir.path());
        assert_eq!(report.node_name.as_deref(), Some("n1"), "inferred from apiserver.crt");
        assert_eq!(report.advertise_address.as_deref(), Some("10.0.0.10"));
        let ca = file(&report, "ca");
        assert_eq!((ca.kind, ca.status), (FileKind::Ca, Status::Ok), "{:#?}", ca.findings);
        let api = file(&report, "apiserver");
        assert_eq!(api.status, Status::Ok, "{:#?}", api.findings);
        assert_eq!(api.signed_by.as_deref(), Some("pki/ca.crt"));
        assert_eq!(file(&report, "etcd-ca").status, Status::Missing);
        let client = file(&report, "apiserver-kubelet-client");
        assert_eq!(client.status, Status::Missing);
        let fix = client.fix.as_deref().expect("a fix line");
        assert!(fix.starts_with("k8s-genkey | k8s-csr --profile apiserver-kubelet-client | k8s-sign --ca "), "{fix}");
        // super-admin.conf is optional (kubeadm < 1.29 has none).
        assert_eq!(file(&report, "super-admin.conf").status, Status::Ok);
        assert_eq!(report.status, Status::Missing);
    }

    #[test]
    fn a_missing_ca_with_certificates_it_signed_is_a_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path());
        std::fs::remove_file(dir.path().join("pki/ca.crt")).expect("rm");
        let report = run(dir.path());
        let ca = file(&report, "ca");
        assert_eq!(ca.status, Status::Fail, "{:#?}", ca.findings);
        assert!(ca.findings.iter().any(|f| f.message.contains("pki/apiserver.crt")), "{:#?}", ca.findings);
        assert_eq!(report.status, Status::Fail);
        // The etcd CA signs nothing here: still only missing.
        assert_eq!(file(&report, "etcd-ca").status, Status::Missing);
    }

    #[test]
    fn a_readable_key_fails_with_chmod_as_its_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        tree(dir.path());
        let key = dir.path().join("pki/apiserver.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let api = run(dir.path()).files.into_iter().find(|f| f.name == "apiserver").expect("apiserver");
        assert_eq!(api.status, Status::Fail);
        assert!(api.findings.iter().any(|f| f.check == Check::Permissions), "{:#?}", api.findings);
        assert_eq!(api.fix.as_deref(), Some(format!("chmod 600 {}", crate::explain::sh_path(&key)).as_str()));
    }

    #[test]
    fn kubeadm_1_28_groups_are_not_failures() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = tree(dir.path());
        let masters = vec!["system:masters".to_string()];
        leaf(&ca, &dir.path().join("pki"), "apiserver-kubelet-client", "apiserver-kubelet-client", Some(&masters));
        let report = run(dir.path());
        let client = file(&report, "apiserver-kubelet-client");
        assert_eq!(client.status, Status::Ok, "{:#?}", client.findings);
        // A group no release wrote is a failure.
        let dev = vec!["dev".to_string()];
        leaf(&ca, &dir.path().join("pki"), "apiserver-kubelet-client", "apiserver-kubelet-client", Some(&dev));
        let report = run(dir.path());
        assert_eq!(file(&report, "apiserver-kubelet-client").status, Status::Fail);
    }

    #[test]
    fn a_directory_without_pki_is_bad_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = AuditOptions {
            node_name: None,
            advertise_address: None,
            service_cidr: Default::default(),
            dns_domain: "cluster.local".into(),
            at: NOW,
            warn_within: 0,
            root: None,
            release: None,
            external_etcd: false,
        };
        assert_eq!(audit(dir.path(), &opts).expect_err("no pki/").exit_code(), 3);
        assert_eq!(audit(&dir.path().join("nope"), &opts).expect_err("no dir").exit_code(), 5);
    }
}
