//! Whether a step is safe: while the nodes restart one by one, any process may hold the files
//! from before the step or from after it. So every certificate of either side must verify,
//! with Go's crypto/x509 semantics and the purpose of the edge, against every trust file of
//! either side that its peers read; and every service-account key that may sign must be in
//! every `sa.pub` that may be loaded. A skipped phase breaks one of these edges, and the
//! message names it.

use std::collections::HashMap;
use std::path::Path;

use super::change::Change;
use super::tree::{Leaf, Tree};
use crate::cert::Cert;
use crate::chain;
use crate::key::PublicKey;
use crate::kubeconfig::Kubeconfig;
use crate::pem::Kind;
use crate::usage::Usage;

/// The files as one side of a step sees them: the tree, with some files replaced.
pub struct View<'a> {
    tree: &'a Tree,
    overlay: HashMap<String, Option<Vec<u8>>>,
    /// `before the step` or `after the step`.
    pub label: &'static str,
}

impl<'a> View<'a> {
    /// The tree as it is.
    pub fn current(tree: &'a Tree, label: &'static str) -> View<'a> {
        View { tree, overlay: HashMap::new(), label }
    }

    /// The tree once `changes` are written.
    pub fn after(tree: &'a Tree, changes: &[Change]) -> View<'a> {
        let overlay = changes.iter().map(|c| (c.rel.clone(), c.contents.as_ref().map(|(b, _)| b.to_vec()))).collect();
        View { tree, overlay, label: "after the step" }
    }

    /// The tree with a backup's originals put back: what it was before the step that made it.
    pub fn with_files(tree: &'a Tree, files: HashMap<String, Vec<u8>>, label: &'static str) -> View<'a> {
        View { tree, overlay: files.into_iter().map(|(k, v)| (k, Some(v))).collect(), label }
    }

    fn read(&self, rel: &str) -> Option<Vec<u8>> {
        match self.overlay.get(rel) {
            Some(v) => v.clone(),
            None => self.tree.read(rel),
        }
    }

    pub(super) fn certs(&self, rel: &str) -> Vec<Cert> {
        let Some(bytes) = self.read(rel) else { return Vec::new() };
        let Ok(text) = String::from_utf8(bytes) else { return Vec::new() };
        Cert::all_in_pem(&text, rel)
    }

    /// A leaf's certificate: the `.crt`, or a kubeconfig's embedded client certificate.
    pub(super) fn leaf(&self, leaf: &Leaf) -> Option<Cert> {
        let bytes = self.read(&leaf.rel)?;
        if !leaf.kubeconfig {
            return Cert::first_in_pem(&bytes, &leaf.rel);
        }
        let pem = self.kubeconfig(&leaf.rel)?.1?;
        Cert::first_in_pem(pem.as_bytes(), &leaf.rel)
    }

    /// A kubeconfig's CA data and embedded client certificate, as PEM.
    fn kubeconfig(&self, rel: &str) -> Option<(Option<String>, Option<String>)> {
        let bytes = self.read(rel)?;
        let kc = Kubeconfig::from_slice(&bytes, rel).ok()?;
        let creds = super::changes::embedded(&kc, rel).ok()?;
        Some((creds.ca.map(|s| s.to_string()), creds.cert.map(|s| s.to_string())))
    }

    fn public_keys(&self, rel: &str) -> Vec<PublicKey> {
        let Some(text) = self.read(rel).and_then(|b| String::from_utf8(b).ok()) else { return Vec::new() };
        crate::pem::blocks_of(&text, Kind::PublicKey, rel)
            .unwrap_or_default()
            .iter()
            .filter_map(|b| PublicKey::from_spki_der(&b.der, rel).ok())
            .collect()
    }
}

/// Who checks each certificate of the tree, by profile and purpose (kubeadm's wiring: the
/// flag of the peer that verifies it). Anything else falls back to "its readers".
const VERIFIERS: &[(&str, Usage, &str)] = &[
    ("apiserver", Usage::Server, "every client holding pki/ca.crt (Pods' ca.crt, kubeconfigs)"),
    ("apiserver-kubelet-client", Usage::Client, "kubelet --client-ca-file"),
    ("front-proxy-client", Usage::Client, "kube-apiserver and aggregated API servers --requestheader-client-ca-file"),
    ("etcd-server", Usage::Server, "kube-apiserver --etcd-cafile"),
    ("etcd-server", Usage::Client, "etcd --trusted-ca-file"),
    ("etcd-peer", Usage::Server, "etcd --peer-trusted-ca-file"),
    ("etcd-peer", Usage::Client, "etcd --peer-trusted-ca-file"),
    ("etcd-healthcheck-client", Usage::Client, "etcd --trusted-ca-file"),
    ("apiserver-etcd-client", Usage::Client, "etcd --trusted-ca-file"),
    ("kubelet-serving", Usage::Server, "kube-apiserver --kubelet-certificate-authority (when set)"),
];

/// Who checks a certificate of `profile` for `usage`.
fn readers(profile: &str, usage: Usage) -> &'static str {
    match VERIFIERS.iter().find(|(p, u, _)| *p == profile && *u == usage) {
        Some((_, _, who)) => who,
        // Every kubeconfig's client certificate goes to the API server.
        None if usage == Usage::Client => "kube-apiserver --client-ca-file",
        None => "its clients",
    }
}

fn usage_word(u: Usage) -> &'static str {
    match u {
        Usage::Server => "server",
        _ => "client",
    }
}

/// Every broken edge between `sides` (before and after a step), as one line each; empty when
/// the step is safe.
pub fn transition(tree: &Tree, sides: &[&View<'_>], at: i64) -> Vec<String> {
    let mut broken = Vec::new();
    let leaves = tree.leaves();
    let mut check = |leaf_rel: &str,
                     leaf_side: &View<'_>,
                     cert: &Cert,
                     trust: &str,
                     trust_side: &View<'_>,
                     roots: &[Cert],
                     usage: Usage,
                     reader: &str| {
        let opts = chain::Options { roots, intermediates: &[], at, usages: vec![usage], go: Default::default() };
        if let Err(e) = chain::verify(cert, &opts) {
            let line = format!(
                "{leaf_rel} ({}) as a {} certificate does not verify against {trust} ({}), which {reader} may still hold: {e}",
                leaf_side.label,
                usage_word(usage),
                trust_side.label
            );
            if !broken.contains(&line) {
                broken.push(line);
            }
        }
    };
    for leaf in &leaves {
        let Some(ca) = leaf.profile.signer else { continue };
        let trust = format!("pki/{}.crt", ca.file());
        for ls in sides {
            let Some(cert) = ls.leaf(leaf) else { continue };
            for ts in sides {
                let roots = ts.certs(&trust);
                if roots.is_empty() {
                    continue;
                }
                for usage in leaf.profile.usages {
                    check(&leaf.rel, ls, &cert, &trust, ts, &roots, *usage, readers(leaf.profile.name, *usage));
                }
            }
        }
    }
    // The API server's certificate against every kubeconfig's CA data.
    let apiserver = leaves.iter().find(|l| l.rel == "pki/apiserver.crt");
    for conf in leaves.iter().filter(|l| l.kubeconfig) {
        for ls in sides {
            let Some((apiserver, cert)) = apiserver.and_then(|a| Some((a, ls.leaf(a)?))) else { continue };
            for ts in sides {
                let Some((Some(ca), _)) = ts.kubeconfig(&conf.rel) else { continue };
                let roots = Cert::all_in_pem(&ca, &conf.rel);
                let reader = format!("a client of {}", conf.rel);
                check(
                    &apiserver.rel,
                    ls,
                    &cert,
                    &format!("{}'s CA data", conf.rel),
                    ts,
                    &roots,
                    Usage::Server,
                    &reader,
                );
            }
        }
    }
    broken.extend(service_account(sides));
    broken
}

/// Service-account tokens: a key that may sign must be in every sa.pub that may be loaded.
fn service_account(sides: &[&View<'_>]) -> Vec<String> {
    let mut broken = Vec::new();
    for ks in sides {
        let Some(key) = ks.read("pki/sa.key").and_then(|b| String::from_utf8(b).ok()).and_then(|s| {
            let b = crate::pem::first_block_of(&s, Kind::Key, "sa.key").ok().flatten()?;
            crate::key::PrivateKey::from_pem_block(&b.label, &b.der, "sa.key").ok()
        }) else {
            continue;
        };
        for ps in sides {
            let publics = ps.public_keys("pki/sa.pub");
            if !publics.is_empty() && !publics.contains(key.public_key()) {
                broken.push(format!(
                    "tokens signed with pki/sa.key ({}) do not verify against pki/sa.pub ({}), which kube-apiserver --service-account-key-file may still hold",
                    ks.label, ps.label
                ));
            }
        }
    }
    broken
}

/// The kubelets' own client certificates before distrust. A kubeconfig whose client
/// certificate is a file reference (kubelet.conf after kubeadm's kubelet-finalize:
/// `/var/lib/kubelet/pki/kubelet-client-current.pem`) holds a certificate the kubelet renews
/// itself, from kube-controller-manager's signer; once the old CA leaves `pki/ca.crt`, the API
/// server refuses one the old CA signed. A reference inside the tree is read and must be signed
/// by the new CA (`stale` lists those that are not); one outside it lives on the node and cannot
/// be read from here (`elsewhere`: the kubeconfig and the file, for the operator to check).
pub struct KubeletClients {
    /// `nodes/n2/kubelet.conf` and its file, still signed by the old CA (or by neither).
    pub stale: Vec<String>,
    /// `nodes/n2/kubelet.conf` and the node's file it names.
    pub elsewhere: Vec<String>,
}

/// [`KubeletClients`] of the tree for the cluster CA's material `m`.
pub fn kubelet_clients(tree: &Tree, m: &super::material::Material) -> KubeletClients {
    let mut out = KubeletClients { stale: Vec::new(), elsewhere: Vec::new() };
    let root = tree.root.canonicalize().unwrap_or_else(|_| tree.root.clone());
    for leaf in tree.leaves().iter().filter(|l| l.kubeconfig) {
        let Some(bytes) = tree.read(&leaf.rel) else { continue };
        let Ok(kc) = Kubeconfig::from_slice(&bytes, &leaf.rel) else { continue };
        let user = kc
            .contexts
            .iter()
            .find(|c| c.name == kc.current_context)
            .and_then(|c| kc.users.iter().find(|u| u.name == c.context.user));
        let Some(reference) = user
            .filter(|u| u.user.client_certificate_data.is_none())
            .and_then(|u| u.user.client_certificate.as_deref())
        else {
            continue;
        };
        let shown = format!("{} ({})", leaf.rel, crate::term::sanitize(reference));
        if Path::new(reference).is_absolute() {
            out.elsewhere.push(shown);
            continue;
        }
        // A relative reference is the tree's own file; one that leaves the tree or is not there
        // cannot be the kubelet's renewed certificate.
        let dir = tree.root.join(&leaf.rel).parent().map(Path::to_path_buf).unwrap_or_else(|| tree.root.clone());
        let real = dir.join(reference).canonicalize().ok();
        let cert = real
            .filter(|p| p.starts_with(&root))
            .and_then(|p| crate::input::read_regular(&p).ok())
            .and_then(|b| Cert::first_in_pem(&b, &leaf.rel));
        if cert.as_ref().and_then(|c| m.generation_of(c)) != Some(super::Generation::New) {
            out.stale.push(shown);
        }
    }
    out
}
