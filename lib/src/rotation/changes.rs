//! The writes that bring a tree's files into a phase ([`compute`]): only what differs, a leaf
//! re-issued when the generation that signed it (read from its signature) is not the phase's, a
//! kubeconfig given the phase's CA data and client certificate. [`super::backup`] applies them.

pub use super::change::{Cause, Change};
use std::path::Path;

use base64::Engine;

use super::material::Material;
use super::tree::{Leaf, Tree};
use super::{Generation, Phase, Target};
use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::kubeconfig::Kubeconfig;
use crate::pem::Kind;

/// What a step wants.
#[derive(Clone, Copy, Debug)]
pub struct Want {
    /// The phase the files should be in.
    pub phase: Phase,
    /// Keep leaves' keys when re-issuing.
    pub keep_keys: bool,
    /// Lifetime of re-issued certificates, seconds.
    pub lifetime: i64,
    /// Now.
    pub now: i64,
    /// Also re-issue leaves of the phase's generation that expire within this many seconds
    /// (a rollback that puts back old certificates does not put back ones about to expire).
    pub renew_within: i64,
    /// Where a re-issued leaf's NotBefore starts: the tree's kubeadm release's rule.
    pub not_before: crate::kubeadm::release::NotBefore,
}

/// The writes that bring the tree's files for `m`'s target into `want.phase`: only what
/// differs (a leaf is re-issued when its generation, read from its signature, is not the
/// phase's; a leaf signed by neither is left to the gate and the audit).
pub fn compute(tree: &Tree, m: &Material, want: &Want) -> Result<Vec<Change>> {
    let phase = want.phase;
    let trust_pem = m.bundle_pem(&phase.bundle().members(&m.old, &m.new));
    let mut out = trust_and_signer(tree, m, phase, &trust_pem)?;
    let Some(ca_name) = m.target.ca() else { return Ok(out) };
    for leaf in tree.leaves().iter().filter(|l| l.profile.signer == Some(ca_name)) {
        let wanted = phase.leaf(leaf.server());
        if leaf.kubeconfig {
            out.extend(kubeconfig(tree, leaf, m, wanted, &trust_pem, want)?);
        } else {
            out.extend(leaf_pair(tree, leaf, m, wanted, want)?);
        }
    }
    Ok(out)
}

/// The trust file as this phase has it, the signing key of this phase, and for the cluster CA
/// the one certificate kube-controller-manager signs with.
fn trust_and_signer(tree: &Tree, m: &Material, phase: Phase, trust_pem: &str) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    let t = m.target;
    let new_rel = super::layout::file(Path::new("pki"), t, Generation::New, "crt").display().to_string();
    let old_rel = super::layout::file(Path::new("pki"), t, Generation::Old, "crt").display().to_string();
    if tree.read(&t.trust_file()).as_deref() != Some(trust_pem.as_bytes()) {
        let cause = Cause::Trust {
            members: phase.bundle().members(&Generation::Old, &Generation::New).into_iter().copied().collect(),
            key: t == Target::Sa,
            files: phase.bundle().members(&old_rel, &new_rel).into_iter().cloned().collect(),
        };
        let mode = super::backup::mode_of(&t.trust_file());
        out.push(Change::caused(t.trust_file(), trust_pem.as_bytes().to_vec(), mode, cause));
    }
    let signer = m.side(phase.signer());
    let current_key = tree.key(&t.key_file());
    if current_key.as_ref().map(|k| k.public_key()) != Some(&signer.public) {
        let pem = signer
            .key_pem()?
            .ok_or_else(|| Error::refused_as(crate::error::Refusal::Gate, format!("the {} key is gone", t.name())))?;
        let from = super::layout::file(Path::new("pki"), t, phase.signer(), "key").display().to_string();
        let cause = Cause::SigningKey { generation: phase.signer(), from };
        out.push(Change::caused(t.key_file(), pem.as_bytes().to_vec(), 0o600, cause));
    }
    if t == Target::Ca && tree.read(crate::kubeadm::wiring::CA_SIGNER).as_deref() != Some(signer.pem.as_bytes()) {
        let from = super::layout::file(Path::new("pki"), t, phase.signer(), "crt").display().to_string();
        let cause = Cause::CaSigner { generation: phase.signer(), from };
        out.push(Change::caused(
            crate::kubeadm::wiring::CA_SIGNER.into(),
            signer.pem.clone().into_bytes(),
            0o644,
            cause,
        ));
    }
    Ok(out)
}

/// A `.crt`/`.key` pair due for the `wanted` generation: re-issued (with a fresh key unless
/// `keep_keys`), with the pipe that does the same.
fn leaf_pair(tree: &Tree, leaf: &Leaf, m: &Material, wanted: Generation, want: &Want) -> Result<Vec<Change>> {
    let Some(cert) = tree.read(&leaf.rel).and_then(|b| Cert::first_in_pem(&b, &leaf.rel)) else {
        return Ok(Vec::new());
    };
    if !due(m, &cert, wanted, want) {
        return Ok(Vec::new());
    }
    let key_rel = leaf.key_rel();
    let key_block = tree
        .read(&key_rel)
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| crate::pem::first_block_of(&s, Kind::Key, &key_rel).ok().flatten())
        .ok_or_else(|| Error::io_msg(&tree.root.join(&key_rel), "missing or unreadable key"))?;
    let old_key = crate::key::PrivateKey::from_pem_block(&key_block.label, &key_block.der, &key_rel)?;
    let renewed = renew(&cert, old_key, crate::renew::format_of(&key_block.label), m, wanted, want)?;
    let ca = super::layout::file(Path::new("pki"), m.target, wanted, "crt").display().to_string();
    let (server, phase) = (leaf.server(), want.phase);
    let mut out = Vec::new();
    if !want.keep_keys {
        let cause = Cause::LeafKey { server, generation: wanted, phase };
        out.push(Change::caused(key_rel.clone(), renewed.key_pem.as_bytes().to_vec(), 0o600, cause));
    }
    let cause = Cause::Leaf {
        server,
        generation: wanted,
        phase,
        key: key_rel,
        ca: ca.trim_end_matches(".crt").to_string(),
        keep_key: want.keep_keys,
    };
    out.push(Change::caused(leaf.rel.clone(), renewed.cert_pem.into_bytes(), 0o644, cause));
    Ok(out)
}

fn renew(
    cert: &Cert,
    key: crate::key::PrivateKey,
    format: crate::key::KeyFormat,
    m: &Material,
    wanted: Generation,
    want: &Want,
) -> Result<crate::renew::Renewed> {
    let ca = m.ca(wanted, want.now)?;
    // Going back to the old CA (rollback) must not outlive it.
    let opts = crate::renew::RenewOptions {
        keep_key: want.keep_keys,
        lifetime: want.lifetime,
        clamp: true,
        now: want.now,
        not_before: want.not_before,
    };
    crate::renew::renew(cert, key, format, &ca, opts)
}

/// Whether a leaf is re-issued: signed by the other generation, or by the wanted one but
/// expiring within `want.renew_within`.
fn due(m: &Material, cert: &Cert, wanted: Generation, want: &Want) -> bool {
    match m.generation_of(cert) {
        Some(g) if g == wanted.other() => true,
        Some(_) => cert.not_after - want.now < want.renew_within,
        None => false,
    }
}

/// A kubeconfig's embedded credentials only. A file reference (kubelet.conf after
/// kubelet-finalize names `/var/lib/kubelet/pki/kubelet-client-current.pem`) is a file on its
/// node, not in the tree: it is never read from this machine, and a rotation leaves it to the
/// kubelet, which renews it from the new signer.
pub fn embedded(kc: &Kubeconfig, rel: &str) -> Result<crate::kubeconfig::Credentials> {
    let mut only = kc.clone();
    for u in &mut only.users {
        u.user.client_certificate = None;
        u.user.client_key = None;
    }
    for c in &mut only.clusters {
        c.cluster.certificate_authority = None;
    }
    only.credentials(None, rel, None)
}

/// A kubeconfig's change: its CA data becomes the phase's bundle, its embedded client
/// certificate the phase's generation (a file reference, the kubelet's rotated certificate, is
/// the kubelet's to renew).
fn kubeconfig(
    tree: &Tree,
    leaf: &Leaf,
    m: &Material,
    wanted: Generation,
    trust_pem: &str,
    want: &Want,
) -> Result<Option<Change>> {
    let Some(bytes) = tree.read(&leaf.rel) else { return Ok(None) };
    let mut kc = Kubeconfig::from_slice(&bytes, &leaf.rel)?;
    let creds = embedded(&kc, &leaf.rel)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut what = vec!["the phase's CA data".to_string()];
    let mut issued_by = None;
    if let Some(c) = kc.clusters.iter_mut().find(|c| c.name == creds.cluster) {
        c.cluster.certificate_authority_data = Some(b64.encode(trust_pem));
        c.cluster.extra.remove(crate::kubeconfig::INSECURE);
        c.cluster.certificate_authority = None;
    }
    let embedded =
        kc.users.iter().find(|u| u.name == creds.user).is_some_and(|u| u.user.client_certificate_data.is_some());
    if let (true, Some(cert_pem), Some(key_pem)) = (embedded, &creds.cert, &creds.key) {
        let cert = crate::pem::first_block_of(cert_pem, Kind::Cert, &leaf.rel)?
            .map(|b| Cert::from_der(&b.der, &leaf.rel))
            .transpose()?;
        let key = crate::pem::first_block_of(key_pem, Kind::Key, &leaf.rel)?;
        if let Some(cert) = cert.as_ref().filter(|c| m.generation_of(c).is_none()) {
            // Renewal re-issues what the CA issued: someone else's identity is never minted.
            what.push(format!(
                "not its client certificate, which neither CA issued (issuer {}): left as it is",
                cert.issuer
            ));
        } else if let (Some(cert), Some(key)) = (cert, key)
            && due(m, &cert, wanted, want)
        {
            let old_key = crate::key::PrivateKey::from_pem_block(&key.label, &key.der, &leaf.rel)?;
            let renewed = renew(&cert, old_key, crate::renew::format_of(&key.label), m, wanted, want)?;
            issued_by = m.generation_of(&cert).filter(|g| *g != wanted);
            if let Some(u) = kc.users.iter_mut().find(|u| u.name == creds.user) {
                u.user.client_certificate_data = Some(b64.encode(&renewed.cert_pem));
                u.user.client_key_data = Some(b64.encode(renewed.key_pem.as_bytes()));
            }
            what.push(if wanted == Generation::New {
                "a client certificate from the new CA".into()
            } else {
                "a client certificate from the old CA".into()
            });
        }
    }
    let yaml = kc.to_yaml()?;
    if yaml.as_bytes() == bytes.as_slice() {
        return Ok(None);
    }
    let ca = super::layout::file(Path::new("pki"), m.target, wanted, "crt").display().to_string();
    // Renewal re-issues what the CA named issued; under the other generation's CA, that one.
    let issued_by = issued_by.map(|g| super::layout::file(Path::new("pki"), m.target, g, "crt").display().to_string());
    let cause = Cause::Kubeconfig { what, ca: ca.trim_end_matches(".crt").to_string(), issued_by };
    Ok(Some(Change::caused(leaf.rel.clone(), yaml.as_bytes().to_vec(), 0o600, cause)))
}
