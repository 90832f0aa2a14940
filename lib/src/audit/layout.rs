//! What the audit expects to find: where the tree's root and `pki/` are, which files the
//! profile table places there (and under `nodes/N/` for extra nodes), and the cluster
//! parameters — node name, advertise address — inferred from the tree itself.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::beneath::Beneath;
use crate::kubeadm::release::Release;

use super::read::{AuditOptions, load_cert};
use crate::error::{Error, Result};
use crate::kubeadm::profile::{Location, PROFILES, Params, Profile};
use crate::request::Request;
use crate::san::San;
pub(super) use crate::sink::with_suffix;

/// One file the audit expects, with the identity it should hold.
pub(super) struct Target {
    /// Its row of the profile table.
    pub profile: &'static Profile,
    /// The parameters it was made with (an extra node has its own name).
    pub params: Params,
    /// The kubeconfig path, or the certificate's path without `.crt`.
    pub name: PathBuf,
    /// Whether it is the control plane's own file (not an extra node's copy under `nodes/N/`).
    pub in_main_tree: bool,
}

impl Target {
    /// Whether it is a kubeconfig (else a `.crt`/`.key` pair).
    pub fn is_kubeconfig(&self) -> bool {
        matches!(self.profile.location, Location::Kubeconfig(_))
    }

    /// The certificate file (`NAME.crt`) or the kubeconfig.
    pub fn path(&self) -> PathBuf {
        if self.is_kubeconfig() { self.name.clone() } else { with_suffix(&self.name, ".crt") }
    }
}

/// Which of kubeadm's file sets a tree holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// kubeadm init / join --control-plane: the three CAs, their leaves, sa.key, the kubeconfigs.
    ControlPlane,
    /// kubeadm join: kubelet.conf (or bootstrap-kubelet.conf) and pki/ca.crt, without its key.
    Worker,
}

impl Role {
    /// The word in reports.
    pub fn word(self) -> &'static str {
        match self {
            Role::ControlPlane => "control-plane",
            Role::Worker => "worker",
        }
    }

    /// A worker's tree: a kubelet kubeconfig, and neither a CA key nor any control-plane
    /// certificate (apiserver, etcd, front proxy, service-account key).
    pub fn of(tree: &Beneath, pki: &Path) -> Role {
        let root = tree.root();
        let here = |p: PathBuf| super::read::exists(tree, &p);
        let control_plane = ["ca.key", "apiserver.crt", "etcd", "front-proxy-ca.crt", "sa.key", "sa.pub"]
            .iter()
            .any(|f| here(pki.join(f)))
            || crate::kubeadm::profile::control_plane_kubeconfigs().any(|f| here(root.join(f)));
        let kubelet = here(root.join("kubelet.conf")) || here(root.join("bootstrap-kubelet.conf"));
        if kubelet && !control_plane { Role::Worker } else { Role::ControlPlane }
    }
}

/// Why the cluster's etcd is external, if it is: `--external-etcd`, or a `manifests/` directory
/// holding kube-apiserver's static pod and none for etcd (kubeadm writes `manifests/etcd.yaml`
/// only for a local etcd: phases/etcd/local.go). A tree without `manifests/` tells nothing.
pub(super) fn external_etcd(tree: &Beneath, opts: &AuditOptions) -> Option<String> {
    if opts.external_etcd {
        return Some("--external-etcd".into());
    }
    (tree.file("manifests/kube-apiserver.yaml") == Ok(true) && !tree.exists("manifests/etcd.yaml"))
        .then(|| "manifests/ has kube-apiserver.yaml and no etcd.yaml".into())
}

/// The tree's root (holding the kubeconfigs) and its `pki/`, from `dir` being either.
pub fn locate(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    if dir.join("pki").is_dir() {
        Ok((dir.to_path_buf(), dir.join("pki")))
    } else if dir.join("ca.crt").is_file() {
        Ok((dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".")), dir.to_path_buf()))
    } else if dir.is_dir() {
        Err(Error::input(
            dir.display().to_string(),
            "no pki/ directory here: expected a kubeadm tree like /etc/kubernetes",
        ))
    } else {
        Err(Error::io_msg(dir, "no such directory"))
    }
}

/// Infers the node name and advertise address by a vote of the certificates that carry them
/// (the API server's SANs, etcd's server and peer certificates, kubelet.conf's CN), so that
/// one broken certificate shows up as the odd one out instead of setting the expectation.
pub(super) fn infer_params(pki: &Path, tree: &Beneath, opts: &AuditOptions, release: &'static Release) -> Params {
    let root = tree.root();
    let service_ip = Some(opts.service_cidr.first_ip());
    let mut names: Vec<String> = Vec::new();
    let mut ips: Vec<IpAddr> = Vec::new();
    if let Ok(Some(api)) = load_cert(tree, &pki.join("apiserver.crt")) {
        for san in &api.ext.sans {
            match san {
                San::Dns(d) if !d.starts_with("kubernetes") => names.push(d.clone()),
                San::Ip(ip) if Some(*ip) != service_ip => ips.push(*ip),
                _ => {}
            }
        }
    }
    for etcd in ["etcd/server.crt", "etcd/peer.crt"] {
        if let Ok(Some(c)) = load_cert(tree, &pki.join(etcd)) {
            names.extend(c.subject.cn().map(str::to_string));
            ips.extend(c.ext.sans.iter().find_map(|s| match s {
                San::Ip(ip) if !ip.is_loopback() => Some(*ip),
                _ => None,
            }));
        }
    }
    let kubelet = super::kubeconfig::audit(&root.join("kubelet.conf"), tree, opts.root.as_deref(), &[], opts.at).cert;
    if let Some(node) = kubelet.as_ref().and_then(|c| c.subject.cn()).and_then(|cn| cn.strip_prefix("system:node:")) {
        names.push(node.to_string());
    }
    Params {
        node_name: opts.node_name.clone().or_else(|| most_common(names)),
        advertise_address: opts.advertise_address.or_else(|| most_common(ips)),
        service_cidr: opts.service_cidr.clone(),
        dns_domain: opts.dns_domain.clone(),
        control_plane_endpoint: None,
        release,
    }
}

/// The release whose subjects a tree carries, as far as its certificates tell: each one whose
/// groups changed between releases (admin.conf, apiserver-kubelet-client, the etcd clients)
/// keeps the releases that write its groups; the newest release left wins, and the newest
/// overall when nothing tells (1.29–1.33 write the same subjects) or the files disagree.
/// super-admin.conf is no evidence: kubeadm's docs suggest keeping it off the node.
pub(super) fn detect(tree: &Beneath, pki: &Path) -> (&'static Release, Vec<String>) {
    let root = tree.root();
    let mut left: Vec<&'static Release> = crate::kubeadm::release::RELEASES.iter().collect();
    let mut told = Vec::new();
    for profile in PROFILES.iter().filter(|p| !p.older_orgs().is_empty()) {
        let cert = match profile.location {
            Location::Pki(stem) => load_cert(tree, &pki.join(format!("{stem}.crt"))).ok().flatten(),
            Location::Kubeconfig(file) => super::kubeconfig::audit(&root.join(file), tree, None, &[], 0).cert,
            Location::Elsewhere => None,
        };
        let Some(cert) = cert else { continue };
        let writers = profile.writers_of(&cert.subject.orgs());
        if writers.is_empty() {
            continue;
        }
        left.retain(|r| writers.contains(&r.name()));
        told.push(
            profile.path().map(|p| if p.ends_with(".conf") { p } else { format!("{p}.crt") }).unwrap_or_default(),
        );
    }
    match left.last() {
        Some(r) => (r, told),
        None => (crate::kubeadm::release::newest(), Vec::new()),
    }
}

/// The release the audit checks against, and how it was chosen (for its report):
/// `--kubernetes-version`, else what the tree's groups tell ([`detect`]), else the newest.
pub(super) fn release_of(tree: &Beneath, pki: &Path, opts: &AuditOptions) -> (&'static Release, String) {
    if let Some(r) = opts.release {
        return (r, "--kubernetes-version".into());
    }
    match detect(tree, pki) {
        (r, told) if r.minor != crate::kubeadm::release::newest().minor => {
            (r, format!("detected from the groups of {}", told.join(", ")))
        }
        (r, _) => (r, "the default; no certificate's groups name an older release".into()),
    }
}

/// The value seen most often (the first seen wins a tie).
fn most_common<T: PartialEq + Clone>(values: Vec<T>) -> Option<T> {
    let mut best: Option<(usize, T)> = None;
    for v in &values {
        let n = values.iter().filter(|x| *x == v).count();
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, v.clone()));
        }
    }
    best.map(|(_, v)| v)
}

/// What a profile should hold with these parameters. Where the address is unknown (extra
/// nodes), the names are still checked and the address SANs are not.
pub(super) fn expected_request(profile: &Profile, params: &Params) -> Option<Request> {
    if let Ok(req) = profile.request(params) {
        return Some(req);
    }
    let unspecified = IpAddr::from([0, 0, 0, 0]);
    let mut req = profile.request(&Params { advertise_address: Some(unspecified), ..params.clone() }).ok()?;
    req.sans.retain(|s| *s != San::Ip(unspecified));
    Some(req)
}

/// The extra nodes of a tree: the directories under `nodes/` (examples/kubeadm-pki.sh's layout),
/// sorted; hidden ones (a temporary copy) are not nodes, and neither is a link (never followed).
pub fn extra_nodes(tree: &Beneath) -> Vec<String> {
    tree.list("nodes").into_iter().filter(|(n, dir)| *dir && !n.starts_with('.')).map(|(n, _)| n).collect()
}

/// kubeadm's files, then every extra node's under `nodes/N/` (as examples/kubeadm-pki.sh lays
/// them out: the rows with a `per_node` location), where they exist.
pub(super) fn targets(tree: &Beneath, pki: &Path, params: &Params, role: Role) -> Vec<Target> {
    let root = tree.root();
    let mut out = Vec::new();
    let on_worker = |p: &Profile| matches!(p.location, Location::Kubeconfig("kubelet.conf"));
    for profile in PROFILES.iter().filter(|p| p.signer.is_some()).filter(|p| role == Role::ControlPlane || on_worker(p))
    {
        let name = match profile.location {
            Location::Pki(stem) => pki.join(stem),
            Location::Kubeconfig(file) => root.join(file),
            Location::Elsewhere => continue,
        };
        out.push(Target { profile, params: params.clone(), name, in_main_tree: true });
    }
    for node in extra_nodes(tree) {
        let dir = root.join("nodes").join(&node);
        // The node's own address is not recorded anywhere we can trust: check names only.
        let node_params = Params { node_name: Some(node.clone()), advertise_address: None, ..params.clone() };
        for profile in PROFILES.iter().filter(|p| p.signer.is_some()) {
            let Some(rel) = profile.per_node.and_then(Location::path) else { continue };
            let target = Target { profile, params: node_params.clone(), name: dir.join(rel), in_main_tree: false };
            if super::read::exists(tree, &target.path()) {
                out.push(target);
            }
        }
    }
    out
}
