//! The writes that bring a tree's files into a phase ([`compute`]): only what differs, a leaf
//! re-issued when the generation that signed it (read from its signature) is not the phase's, a
//! kubeconfig given the phase's CA data and client certificate. [`super::backup`] applies them.

pub use super::change::Change;
use std::path::Path;

use base64::Engine;
use zeroize::Zeroizing;

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
    pub not_before: crate::release::NotBefore,
}

fn write(rel: String, bytes: Vec<u8>, mode: u32, now: String, why: String, pipe: String) -> Change {
    Change { rel, contents: Some((Zeroizing::new(bytes), mode)), now, why, pipe }
}

fn members_words(m: &Material, phase: Phase) -> String {
    let words: Vec<&str> =
        phase.bundle().members(&Generation::Old, &Generation::New).iter().map(|g| g.word()).collect();
    format!("{} {}", words.join(" + "), if m.target == Target::Sa { "key" } else { "CA" })
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
        let parts: Vec<String> = phase.bundle().members(&old_rel, &new_rel).into_iter().map(|r| tree.sh(r)).collect();
        out.push(write(
            t.trust_file(),
            trust_pem.as_bytes().to_vec(),
            super::backup::mode_of(&t.trust_file()),
            members_words(m, phase),
            "every reader trusts what this phase trusts, the signer first".into(),
            format!("cat {} > {}", parts.join(" "), tree.sh(&t.trust_file())),
        ));
    }
    let signer = m.side(phase.signer());
    let current_key = tree.key(&t.key_file());
    if current_key.as_ref().map(|k| k.public_key()) != Some(&signer.public) {
        let pem = signer
            .key_pem()?
            .ok_or_else(|| Error::refused_as(crate::error::Refusal::Gate, format!("the {} key is gone", t.name())))?;
        let src = super::layout::file(Path::new("pki"), t, phase.signer(), "key").display().to_string();
        out.push(write(
            t.key_file(),
            pem.as_bytes().to_vec(),
            0o600,
            format!("the {} key", phase.signer().word()),
            "the signing key of this phase".into(),
            format!("cp {} {}", tree.sh(&src), tree.sh(&t.key_file())),
        ));
    }
    if t == Target::Ca && tree.read(crate::wiring::CA_SIGNER).as_deref() != Some(signer.pem.as_bytes()) {
        let src = super::layout::file(Path::new("pki"), t, phase.signer(), "crt").display().to_string();
        out.push(write(
            crate::wiring::CA_SIGNER.into(),
            signer.pem.clone().into_bytes(),
            0o644,
            format!("the {} CA alone", phase.signer().word()),
            "kube-controller-manager's --cluster-signing-cert-file takes exactly one certificate".into(),
            format!("cp {} {}", tree.sh(&src), tree.sh(crate::wiring::CA_SIGNER)),
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
    let stem = leaf.rel.trim_end_matches(".crt");
    let ca_prefix = super::layout::file(Path::new("pki"), m.target, wanted, "crt").display().to_string();
    let ca_prefix = tree.sh(ca_prefix.trim_end_matches(".crt"));
    let (crt, key, stem) = (tree.sh(&leaf.rel), tree.sh(&key_rel), tree.sh(stem));
    let kind = if leaf.server() { "a server" } else { "a client" };
    let why = format!("{kind} certificate: {} in {}", wanted.word(), want.phase.word());
    let mut out = Vec::new();
    let pipe = if want.keep_keys {
        format!(
            "k8s-csr --from-cert {crt} --key {key} --reuse-key | k8s-sign --ca {ca_prefix} --cert-out {crt} --force"
        )
    } else {
        out.push(write(
            key_rel,
            renewed.key_pem.as_bytes().to_vec(),
            0o600,
            "a fresh key".into(),
            why.clone(),
            String::new(),
        ));
        format!("k8s-genkey | k8s-csr --from-cert {crt} | k8s-sign --ca {ca_prefix} --out {stem} --force")
    };
    out.push(write(
        leaf.rel.clone(),
        renewed.cert_pem.into_bytes(),
        0o644,
        format!("signed by the {} CA", wanted.word()),
        why,
        pipe,
    ));
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
    let ca_prefix = super::layout::file(Path::new("pki"), m.target, wanted, "crt").display().to_string();
    // Renewal re-issues what the CA named issued; under the other generation's CA, that one.
    let issuer = issued_by
        .map(|g| {
            let file = super::layout::file(Path::new("pki"), m.target, g, "crt").display().to_string();
            format!(" --issued-by {}", tree.sh(&file))
        })
        .unwrap_or_default();
    Ok(Some(write(
        leaf.rel.clone(),
        yaml.as_bytes().to_vec(),
        0o600,
        what.join(" and "),
        "kubeconfigs trust what pki/ca.crt trusts; their client certificates move with the clients".into(),
        format!(
            "k8s-kubeconfig --renew {} --ca {}{issuer}  # and certificate-authority-data: base64 of pki/ca.crt",
            tree.sh(&leaf.rel),
            tree.sh(ca_prefix.trim_end_matches(".crt"))
        ),
    )))
}
