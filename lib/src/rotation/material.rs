//! The old and new CA (or service-account key) of a target, kept under `pki/rotation/` for the
//! whole rotation: `ca.old.crt`, `ca.old.key`, `ca.new.crt`, `ca.new.key` (keys 0600), and
//! `sa.old.pub`, `sa.old.key`, `sa.new.pub`, `sa.new.key`. `finish` deletes the keys.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{Generation, Target};
use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::issue::{Ca, IssueOptions};
use crate::key::{Algorithm, KeyFormat, PrivateKey, PublicKey};
use crate::name::Subject;
use crate::request::Request;
use crate::san::San;

/// The directory under `pki/`.
pub const DIR: &str = "rotation";

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

    /// A generation from its files: the certificate (the first of a bundle) or `sa.pub`'s key,
    /// and the private key when the file exists.
    pub fn from_files(target: Target, crt: &Path, key: &Path) -> Result<Side> {
        let key = if key.exists() { Some(PrivateKey::read_file(key)?) } else { None };
        if target == Target::Sa {
            let blocks = crate::input::read_blocks(crt)?;
            let block = blocks
                .iter()
                .find(|b| b.kind() == crate::pem::Kind::PublicKey)
                .ok_or_else(|| Error::input(crt.display().to_string(), "expected a PUBLIC KEY"))?;
            let public = PublicKey::from_spki_der(&block.der, &crt.display().to_string())?;
            return Ok(Side { cert: None, pem: public.to_pem(), public, key });
        }
        let cert = Cert::read_file(crt)?;
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

/// The file of a target's generation under `pki/rotation/`: `crt` (or `pub` for `sa`) or `key`.
pub fn file(pki: &Path, target: Target, generation: Generation, what: &str) -> PathBuf {
    let what = if target == Target::Sa && what == "crt" { "pub" } else { what };
    pki.join(DIR).join(format!("{}.{}.{what}", target.name(), generation.word()))
}

impl Material {
    /// Reads a target's material from `pki/rotation/`.
    pub fn load(pki: &Path, target: Target) -> Result<Material> {
        let side = |g| Side::from_files(target, &file(pki, target, g, "crt"), &file(pki, target, g, "key"));
        Ok(Material { target, old: side(Generation::Old)?, new: side(Generation::New)? })
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
            return Err(Error::refused(format!(
                "the {} {} has no private key left (deleted by finish)",
                generation.word(),
                self.target.name()
            )));
        };
        Ca::new(cert.clone(), copy(key)?, self.target.name(), self.target.name(), now)
    }

    /// The trust-file content for `members` (in order).
    pub fn bundle_pem(&self, members: &[&Side]) -> String {
        members.iter().map(|s| s.pem.as_str()).collect()
    }
}

/// How a new CA or key is made.
#[derive(Clone, Debug)]
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
    let base = crate::profile::find(ca.profile())?.cn;
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
        return Err(Error::refused(format!("{source}: the new CA is not self-signed")));
    }
    Ca::new(cert.clone(), copy(&key)?, source, source, now)?;
    let pem = crate::pem::encode_pem(crate::pem::CERTIFICATE, &cert.der);
    Ok(Side { pem, public: cert.public_key.clone(), cert: Some(cert), key: Some(key) })
}
