//! The old and new CA (or service-account key) of a target, kept under `pki/rotation/` for the
//! whole rotation: `ca.old.crt`, `ca.old.key`, `ca.new.crt`, `ca.new.key` (keys 0600), and
//! `sa.old.pub`, `sa.old.key`, `sa.new.pub`, `sa.new.key`. `finish` deletes the keys.

pub use super::layout::{DIR, file};
use std::path::Path;

use zeroize::Zeroizing;

use super::change::Change;
use super::state::State;
use super::tree::Tree;
use super::{Generation, Target};
use crate::beneath::Beneath;
use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::issue::{Ca, IssueOptions};
use crate::key::{Algorithm, KeyFormat, PrivateKey, PublicKey};
use crate::name::Subject;
use crate::request::Request;
use crate::san::San;

/// One generation of a target: a CA certificate (none for `sa`), its public key and PEM (the
/// certificate, or `sa`'s PUBLIC KEY), and its private key while it is kept.
pub struct Side {
    /// The CA certificate.
    pub cert: Option<Cert>,
    /// Its public key.
    pub public: PublicKey,
    /// What goes into a trust file for it.
    pub pem: String,
    /// The private key, until `finish` deletes it.
    pub key: Option<PrivateKey>,
}

impl Side {
    /// The key as written in `pki/` (kubeadm's form: PKCS#1 or SEC1).
    pub fn key_pem(&self) -> Result<Option<Zeroizing<String>>> {
        self.key.as_ref().map(|k| k.to_pem(KeyFormat::Traditional)).transpose()
    }

    /// Its identity in `rotation.json`: `sha256:` and the hex SHA-256 of a CA's public key
    /// (kubeadm's CA-hash form), `kid:` and kube-apiserver's key id for the SA key.
    pub fn id(&self) -> String {
        match &self.cert {
            Some(cert) => cert.join_hash(),
            None => format!("kid:{}", kid(&self.public)),
        }
    }

    /// A generation from its files in the tree (read beneath it): the certificate (the first of
    /// a bundle) or `sa.pub`'s key, and the private key when the file exists.
    pub fn from_tree(tree: &Beneath, target: Target, crt: &str, key: &str) -> Result<Side> {
        let key = match crate::input::tree_blocks(tree, key)? {
            Some(blocks) => Some(PrivateKey::from_blocks(&blocks, &tree.path(key).display().to_string())?),
            None => None,
        };
        let name = tree.path(crt).display().to_string();
        let blocks = crate::input::tree_blocks(tree, crt)?.ok_or_else(|| Error::io_msg(&tree.path(crt), "missing"))?;
        if target == Target::Sa {
            let block = blocks
                .iter()
                .find(|b| b.kind() == crate::pem::Kind::PublicKey)
                .ok_or_else(|| Error::input(&name, "expected a PUBLIC KEY"))?;
            let public = PublicKey::from_spki_der(&block.der, &name)?;
            return Ok(Side { cert: None, pem: public.to_pem(), public, key });
        }
        let cert = Cert::from_blocks(&blocks, &name)?;
        let pem = crate::pem::encode_pem(crate::pem::CERTIFICATE, &cert.der);
        Ok(Side { public: cert.public_key.clone(), cert: Some(cert), pem, key })
    }
}

/// kube-apiserver's key id for a service-account public key: base64url (unpadded) of the
/// SHA-256 of its DER SubjectPublicKeyInfo (pkg/serviceaccount/jwt.go, keyIDFromPublicKey).
pub fn kid(public: &PublicKey) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, public.spki_der());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// A second handle on a private key (read back from its PEM; the PEM is zeroised).
pub fn copy(key: &PrivateKey) -> Result<PrivateKey> {
    let pem = key.to_pem(KeyFormat::Pkcs8)?;
    let block = crate::pem::first_block_of(&pem, crate::pem::Kind::Key, "key")?
        .ok_or_else(|| Error::internal("a key's PEM holds no key"))?;
    PrivateKey::from_pem_block(&block.label, &block.der, "key")
}

/// A target's two generations.
pub struct Material {
    /// Which target.
    pub target: Target,
    /// Before the rotation.
    pub old: Side,
    /// After it.
    pub new: Side,
}

impl Material {
    /// Reads a target's material from the tree's `pki/rotation/`.
    pub fn load(tree: &Beneath, target: Target) -> Result<Material> {
        let rel = |g, what| file(Path::new("pki"), target, g, what).display().to_string();
        let side = |g| Side::from_tree(tree, target, &rel(g, "crt"), &rel(g, "key"));
        Ok(Material { target, old: side(Generation::Old)?, new: side(Generation::New)? })
    }

    /// Whether a target's material is in the tree: both certificates (or `sa`'s public keys)
    /// always, the private keys unless `finish` may have removed them already.
    pub fn complete(tree: &Beneath, target: Target, keys: bool) -> bool {
        let whats: &[&str] = if keys { &["crt", "key"] } else { &["crt"] };
        [Generation::Old, Generation::New].into_iter().all(|g| {
            whats.iter().all(|w| tree.file(&file(Path::new("pki"), target, g, w).display().to_string()) == Ok(true))
        })
    }

    /// One generation.
    pub fn side(&self, generation: Generation) -> &Side {
        match generation {
            Generation::Old => &self.old,
            Generation::New => &self.new,
        }
    }

    /// Which generation signed `cert`, by its signature; `None` for neither.
    pub fn generation_of(&self, cert: &Cert) -> Option<Generation> {
        [Generation::New, Generation::Old].into_iter().find(|g| {
            let side = self.side(*g);
            side.cert
                .as_ref()
                .is_some_and(|ca| cert.issuer_raw == ca.subject_raw && cert.signed_by(&side.public).is_ok())
        })
    }

    /// A generation as a CA that signs.
    pub fn ca(&self, generation: Generation, now: i64) -> Result<Ca> {
        let side = self.side(generation);
        let (Some(cert), Some(key)) = (&side.cert, &side.key) else {
            return Err(Error::refused_as(
                crate::error::Refusal::Gate,
                format!("the {} {} has no private key left (deleted by finish)", generation.word(), self.target.name()),
            ));
        };
        Ca::new(cert.clone(), copy(key)?, self.target.name(), self.target.name(), now)
    }

    /// The trust-file content for `members` (in order).
    pub fn bundle_pem(&self, members: &[&Side]) -> String {
        members.iter().map(|s| s.pem.as_str()).collect()
    }
}

/// How `prepare` makes the new generation: from a CA given on stdin or a file, or generated.
pub struct Making<'a> {
    /// `prepare -`: the new CA (certificate and key) from stdin or a file; the command has
    /// checked that it goes with one CA target and a rotation not yet begun.
    pub input: Option<&'a Path>,
    /// How a generated one is made.
    pub new: &'a NewOptions,
    /// Now.
    pub now: i64,
}

/// The material a prepare that stopped before writing its state left in `pki/rotation/`: never
/// trusted by anything (no file of the tree changes before the state names the material).
pub fn leftovers(tree: &Tree) -> Vec<String> {
    tree.dir()
        .list(&format!("pki/{DIR}"))
        .into_iter()
        .filter(|(_, dir)| !dir)
        .map(|(name, _)| format!("pki/{DIR}/{name}"))
        .collect()
}

/// The material of every target: read from `pki/rotation/`, or made by `prepare` (returned with
/// the writes that keep it there).
pub fn materials(
    tree: &Tree,
    state: Option<&State>,
    targets: &[Target],
    made: &Making<'_>,
) -> Result<(Vec<Material>, Vec<Change>)> {
    let mut out = Vec::new();
    let mut writes = Vec::new();
    for &t in targets {
        if let Some(state) = state {
            let finishing =
                state.applying.as_deref() == Some("finish") || state.phase().ok() == Some(super::Phase::Done);
            if !Material::complete(tree.dir(), t, !finishing) {
                return Err(Error::io_msg(
                    &tree.pki().join(DIR),
                    format!(
                        "the material of {} is missing: `k8s-rotate rollback --pki-dir {}` undoes the step",
                        t.name(),
                        crate::explain::sh_path(&tree.root)
                    ),
                ));
            }
            out.push(Material::load(tree.dir(), t)?);
            continue;
        }
        let (m, w) = new_material(tree, t, made)?;
        out.push(m);
        writes.extend(w);
    }
    Ok((out, writes))
}

/// A new generation for target `t` (generated, or the CA given on stdin) beside the old one read
/// from the tree, and the four writes that keep both under `pki/rotation/`.
fn new_material(tree: &Tree, t: Target, made: &Making<'_>) -> Result<(Material, Vec<Change>)> {
    if !tree.has(&t.key_file()) {
        return Err(Error::refused_as(
            crate::error::Refusal::Gate,
            format!("{} is missing: an externally managed {} is rotated where its key is", t.key_file(), t.name()),
        ));
    }
    let wanted = if t == Target::Sa { crate::pem::Kind::PublicKey } else { crate::pem::Kind::Cert };
    let bundle = crate::input::tree_blocks(tree.dir(), &t.trust_file())?.unwrap_or_default();
    if bundle.iter().filter(|b| b.kind() == wanted).count() != 1 {
        return Err(Error::refused_as(
            crate::error::Refusal::Gate,
            format!(
                "{} holds more than one {}: finish or undo the earlier rotation first",
                t.trust_file(),
                if t == Target::Sa { "key" } else { "CA" }
            ),
        ));
    }
    let old = Side::from_tree(tree.dir(), t, &t.trust_file(), &t.key_file())?;
    let new = match (made.input, t.ca()) {
        (Some(path), Some(_)) => {
            let (name, bytes) =
                crate::input::Input::open(Some(path), "the new CA (k8s-sign --self-sign)")?.read_all()?;
            from_stream(t, &bytes, &name, made.now)?
        }
        _ => generate(t, &old, made.new)?,
    };
    let mut writes = Vec::new();
    for (g, side) in [(Generation::Old, &old), (Generation::New, &new)] {
        let rel = |what| file(Path::new("pki"), t, g, what).display().to_string();
        let key_pem = side.key_pem()?.ok_or_else(|| Error::internal("a new key without its private half"))?;
        writes.push(Change::write(rel("crt"), side.pem.clone().into_bytes(), 0o644, "kept for the whole rotation"));
        writes.push(Change::write(rel("key"), key_pem.as_bytes().to_vec(), 0o600, "kept until finish"));
    }
    Ok((Material { target: t, old, new }, writes))
}

/// How a new CA or key is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOptions {
    /// CN of the new CA; default kubeadm's CN and `@` and the Unix time.
    pub cn: Option<String>,
    /// Keep the old CA's CN.
    pub same_cn: bool,
    /// Lifetime in seconds (kubeadm: 3650 days).
    pub lifetime: i64,
    /// Key algorithm; default the old key's.
    pub algo: Option<Algorithm>,
    /// Now.
    pub now: i64,
}

/// A new generation for `target`, next to `old`: a self-signed CA backdated one hour (for
/// clocks behind this one), or an SA key.
pub fn generate(target: Target, old: &Side, opts: &NewOptions) -> Result<Side> {
    let algo = match (opts.algo, &old.key) {
        (Some(a), _) => a,
        (None, Some(k)) => k.algorithm(),
        (None, None) => Algorithm::Rsa2048,
    };
    let key = PrivateKey::generate(algo)?;
    let Some(ca) = target.ca() else {
        let public = key.public_key().clone();
        return Ok(Side { cert: None, pem: public.to_pem(), public, key: Some(key) });
    };
    let base = crate::kubeadm::profile::find(ca.profile())?.cn;
    let cn = match (&opts.cn, opts.same_cn) {
        (Some(cn), _) => cn.clone(),
        (None, true) => old.cert.as_ref().and_then(|c| c.subject.cn().map(str::to_string)).unwrap_or(base.into()),
        (None, false) => format!("{base}@{}", opts.now),
    };
    // kubeadm's CAs carry their CN as a DNS SAN (pkiutil NewSelfSignedCACert); a CN that is not a
    // DNS name (`kubernetes@1767225600`) gets none.
    let sans = San::parse(&cn).ok().filter(|s| matches!(s, San::Dns(_)) && s.check().is_ok()).into_iter().collect();
    let req = Request { subject: Subject::new(Some(&cn), &[]), sans, usages: Vec::new(), is_ca: true, path_len: None };
    let csr = crate::csr::Csr::from_der(&crate::csr::build(&req, &key)?, "new CA")?;
    let issue_opts = IssueOptions {
        lifetime: opts.lifetime,
        not_before: Some(opts.now - 3600),
        make_ca: true,
        now: opts.now,
        ..Default::default()
    };
    let issued = crate::issue::self_sign(&csr, &key, &issue_opts)?;
    let cert = Cert::from_der(&issued.der, "new CA")?;
    let pem = crate::pem::encode_pem(crate::pem::CERTIFICATE, &cert.der);
    Ok(Side { public: cert.public_key.clone(), cert: Some(cert), pem, key: Some(key) })
}

/// The side a CA given on stdin makes (`k8s-sign --self-sign` output: certificate and key).
pub fn from_stream(target: Target, bytes: &[u8], source: &str, now: i64) -> Result<Side> {
    let blocks: Vec<crate::pem::Block> =
        crate::input::Input::from_bytes(source, bytes.to_vec()).blocks()?.collect::<Result<_>>()?;
    let cert = blocks.iter().find(|b| b.kind() == crate::pem::Kind::Cert);
    let key = blocks.iter().find(|b| b.kind() == crate::pem::Kind::Key);
    let (Some(cert), Some(key)) = (cert, key) else {
        return Err(Error::input(source, "expected the new CA's CERTIFICATE and its PRIVATE KEY"));
    };
    let cert = Cert::from_der(&cert.der, source)?;
    let key = PrivateKey::from_pem_block(&key.label, &key.der, source)?;
    if target == Target::Sa {
        return Err(Error::usage("the service-account key is generated: give - with a CA target only"));
    }
    if cert.signed_by(&cert.public_key).is_err() {
        return Err(Error::refused_as(crate::error::Refusal::Gate, format!("{source}: the new CA is not self-signed")));
    }
    Ca::new(cert.clone(), copy(&key)?, source, source, now)?;
    let pem = crate::pem::encode_pem(crate::pem::CERTIFICATE, &cert.der);
    Ok(Side { pem, public: cert.public_key.clone(), cert: Some(cert), key: Some(key) })
}
