//! Private keys: generate, read (PKCS#1, PKCS#8, SEC1), write as kubeadm does, and sign.
//! Their public halves, and signature verification, are in [`crate::pubkey`].
//!
//! The key maths live in aws-lc-rs; the container formats come from RustCrypto's
//! `pkcs1`/`pkcs8`/`sec1` crates. Key bytes are kept in zeroizing buffers and never reach
//! an error message.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair as _};
use std::path::Path;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION,
};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::pem::Kind;
use crate::pubkey::Curve;
pub use crate::pubkey::{PublicKey, SignatureError};

/// A key algorithm and size that k8s-pki can generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// RSA with a 2048-bit modulus (kubeadm's default).
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
}

impl Algorithm {
    /// Picks the algorithm from a family name (`rsa`, `ecdsa`) and an optional size
    /// (RSA bits, or the curve size 256/384), as cfssl's `key.algo`/`key.size` do.
    pub fn from_family(family: &str, size: Option<u32>) -> Result<Self> {
        match (family.to_ascii_lowercase().as_str(), size) {
            ("rsa", None | Some(2048)) => Ok(Algorithm::Rsa2048),
            ("rsa", Some(3072)) => Ok(Algorithm::Rsa3072),
            ("rsa", Some(4096)) => Ok(Algorithm::Rsa4096),
            ("ecdsa" | "ec", None | Some(256)) => Ok(Algorithm::EcdsaP256),
            ("ecdsa" | "ec", Some(384)) => Ok(Algorithm::EcdsaP384),
            ("rsa", Some(n)) if n < 2048 => Err(Error::refused_as(
                crate::error::Refusal::Policy,
                format!("RSA keys below 2048 bits are not supported (asked for {n})"),
            )),
            ("rsa", Some(n)) => Err(Error::usage(format!("unsupported RSA size {n}: use 2048, 3072 or 4096"))),
            ("ecdsa" | "ec", Some(n)) => Err(Error::usage(format!("unsupported ECDSA size {n}: use 256 or 384"))),
            (other, _) => Err(Error::usage(format!("unknown key algorithm '{other}': use rsa or ecdsa"))),
        }
    }

    /// How this algorithm is named in messages and JSON (`RSA-2048`, `ECDSA-P256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rsa2048 => "RSA-2048",
            Algorithm::Rsa3072 => "RSA-3072",
            Algorithm::Rsa4096 => "RSA-4096",
            Algorithm::EcdsaP256 => "ECDSA-P256",
            Algorithm::EcdsaP384 => "ECDSA-P384",
        }
    }
}

/// How a private key is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyFormat {
    /// As kubeadm writes keys: PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`.
    #[default]
    Traditional,
    /// PKCS#8 `PRIVATE KEY`, as OpenSSL 3 writes keys.
    Pkcs8,
}

enum Inner {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair, Curve),
}

/// A private key that can sign, with its public half.
pub struct PrivateKey {
    inner: Inner,
    /// PKCS#8 encoding, kept to re-encode in any format.
    pkcs8: Zeroizing<Vec<u8>>,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material, even in debug output.
        write!(f, "PrivateKey({})", self.public.describe())
    }
}

fn unspecified(what: &str) -> Error {
    Error::internal(format!("the crypto library could not {what}"))
}

/// Keeps private keys out of core dumps, as OpenSSH's agent does: before the first key is
/// generated or read, the process makes itself non-dumpable (no core file, no ptrace by
/// other users) and sets its core-file limit to zero. Done once; a failure is not fatal
/// (the key is still zeroised when dropped).
fn protect_process() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
        let _ = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) });
    });
}

impl PrivateKey {
    /// Generates a new key.
    pub fn generate(algorithm: Algorithm) -> Result<Self> {
        protect_process();
        let pkcs8 = match algorithm {
            Algorithm::Rsa2048 | Algorithm::Rsa3072 | Algorithm::Rsa4096 => {
                let size = match algorithm {
                    Algorithm::Rsa3072 => KeySize::Rsa3072,
                    Algorithm::Rsa4096 => KeySize::Rsa4096,
                    _ => KeySize::Rsa2048,
                };
                let pair = RsaKeyPair::generate(size).map_err(|_| unspecified("generate an RSA key"))?;
                let der = pair.as_der().map_err(|_| unspecified("encode an RSA key"))?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            Algorithm::EcdsaP256 | Algorithm::EcdsaP384 => {
                let curve = if algorithm == Algorithm::EcdsaP256 { Curve::P256 } else { Curve::P384 };
                let pair =
                    EcdsaKeyPair::generate(curve.signing_alg()).map_err(|_| unspecified("generate an ECDSA key"))?;
                let doc = pair.to_pkcs8v1().map_err(|_| unspecified("encode an ECDSA key"))?;
                Zeroizing::new(doc.as_ref().to_vec())
            }
        };
        Self::from_pkcs8_der(&pkcs8, "generated key")
    }

    /// Reads a private key from one PEM block's label and DER body.
    /// `source` names where it came from, for messages.
    pub fn from_pem_block(label: &str, der: &[u8], source: &str) -> Result<Self> {
        protect_process();
        match label {
            "RSA PRIVATE KEY" => {
                check_rsa_size(der, source)?;
                let pair =
                    RsaKeyPair::from_der(der).map_err(|_| Error::input(source, "not a valid RSA private key"))?;
                Self::from_rsa(pair, source)
            }
            "EC PRIVATE KEY" => Self::from_sec1_der(der, source),
            "PRIVATE KEY" => Self::from_pkcs8_der(der, source),
            "ENCRYPTED PRIVATE KEY" => Err(crate::pem::encrypted_key_error(source)),
            "OPENSSH PRIVATE KEY" => Err(Error::input(
                source,
                "OpenSSH private keys are not supported; convert with: ssh-keygen -p -m PEM -f FILE",
            )),
            other => Err(Error::input(source, format!("expected a private key, found a {other} block"))),
        }
    }

    /// Reads exactly one private key from a file named by a flag.
    pub fn read_file(path: &Path) -> Result<Self> {
        Self::from_blocks(&crate::input::read_blocks(path)?, &path.display().to_string())
    }

    /// The one private key among the PEM blocks of the file `name` (read by the caller: a file of
    /// a tree, read beneath it).
    pub fn from_blocks(blocks: &[crate::pem::Block], name: &str) -> Result<Self> {
        let mut keys = blocks.iter().filter(|b| b.kind() == Kind::Key);
        let block = keys.next().ok_or_else(|| {
            let found = blocks.first().map(|b| format!(", found a {} block", b.label)).unwrap_or_default();
            Error::input(name, format!("expected a private key{found}"))
        })?;
        if keys.next().is_some() {
            return Err(Error::input(name, "holds two private keys where one is expected"));
        }
        Self::from_pem_block(&block.label, &block.der, name)
    }

    fn from_rsa(pair: RsaKeyPair, source: &str) -> Result<Self> {
        let pkcs8 = pair.as_der().map_err(|_| Error::input(source, "cannot re-encode the RSA key"))?;
        let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
        let spki = pair.public_key().as_der().map_err(|_| Error::input(source, "cannot encode the RSA public key"))?;
        let public = PublicKey::from_spki_der(spki.as_ref(), source)?;
        Ok(PrivateKey { inner: Inner::Rsa(pair), pkcs8, public })
    }

    fn from_ec(pair: EcdsaKeyPair, curve: Curve, source: &str) -> Result<Self> {
        let doc = pair.to_pkcs8v1().map_err(|_| Error::input(source, "cannot re-encode the EC key"))?;
        let pkcs8 = Zeroizing::new(doc.as_ref().to_vec());
        let spki: PublicKeyX509Der =
            pair.public_key().as_der().map_err(|_| Error::input(source, "cannot encode the EC public key"))?;
        let public = PublicKey::from_spki_der(spki.as_ref(), source)?;
        Ok(PrivateKey { inner: Inner::Ec(pair, curve), pkcs8, public })
    }

    fn from_pkcs8_der(der: &[u8], source: &str) -> Result<Self> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der)
            .map_err(|_| Error::input(source, "not a valid PKCS#8 private key"))?;
        let oid = info.algorithm.oid;
        if oid == RSA_ENCRYPTION {
            check_rsa_size(info.private_key.as_bytes(), source)?;
            let pair = RsaKeyPair::from_pkcs8(der).map_err(|_| Error::input(source, "not a valid RSA private key"))?;
            Self::from_rsa(pair, source)
        } else if oid == ID_EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .and_then(|c| Curve::from_oid(&c))
                .ok_or_else(|| Error::input(source, "unsupported EC curve: use P-256 or P-384"))?;
            let pair = EcdsaKeyPair::from_private_key_der(curve.signing_alg(), der)
                .map_err(|_| Error::input(source, "not a valid EC private key"))?;
            Self::from_ec(pair, curve, source)
        } else {
            Err(Error::input(source, format!("unsupported key algorithm {oid}: use RSA or ECDSA")))
        }
    }

    fn from_sec1_der(der: &[u8], source: &str) -> Result<Self> {
        let key =
            sec1::EcPrivateKey::from_der(der).map_err(|_| Error::input(source, "not a valid SEC1 EC private key"))?;
        let curve = key
            .parameters
            .and_then(|p| p.named_curve())
            .and_then(|c| Curve::from_oid(&c))
            .ok_or_else(|| Error::input(source, "unsupported or unnamed EC curve: use P-256 or P-384"))?;
        let pair = EcdsaKeyPair::from_private_key_der(curve.signing_alg(), der)
            .map_err(|_| Error::input(source, "not a valid EC private key"))?;
        Self::from_ec(pair, curve, source)
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        match &self.inner {
            Inner::Rsa(pair) => match pair.public_modulus_len() * 8 {
                n if n >= 4096 => Algorithm::Rsa4096,
                n if n >= 3072 => Algorithm::Rsa3072,
                _ => Algorithm::Rsa2048,
            },
            Inner::Ec(_, Curve::P256) => Algorithm::EcdsaP256,
            Inner::Ec(_, Curve::P384) => Algorithm::EcdsaP384,
        }
    }

    /// Whether this is an RSA key.
    pub fn is_rsa(&self) -> bool {
        matches!(self.inner, Inner::Rsa(_))
    }

    /// PEM label and DER of the key in the given format. The DER is zeroized on drop.
    pub fn to_der(&self, format: KeyFormat) -> Result<(&'static str, Zeroizing<Vec<u8>>)> {
        match (format, &self.inner) {
            (KeyFormat::Pkcs8, _) => Ok(("PRIVATE KEY", self.pkcs8.clone())),
            (KeyFormat::Traditional, Inner::Rsa(_)) => {
                let info =
                    pkcs8::PrivateKeyInfoRef::from_der(&self.pkcs8).map_err(|_| unspecified("re-encode the key"))?;
                Ok(("RSA PRIVATE KEY", Zeroizing::new(info.private_key.as_bytes().to_vec())))
            }
            (KeyFormat::Traditional, Inner::Ec(_, curve)) => {
                let info =
                    pkcs8::PrivateKeyInfoRef::from_der(&self.pkcs8).map_err(|_| unspecified("re-encode the key"))?;
                let inner = sec1::EcPrivateKey::from_der(info.private_key.as_bytes())
                    .map_err(|_| unspecified("re-encode the key"))?;
                // kubeadm (Go's MarshalECPrivateKey) names the curve inside the SEC1 structure.
                let public = self.public.subject_public_key_bits()?;
                let full = sec1::EcPrivateKey {
                    private_key: inner.private_key,
                    parameters: Some(sec1::EcParameters::NamedCurve(curve.oid())),
                    public_key: Some(&public),
                };
                let der = full.to_der().map_err(|_| unspecified("re-encode the key"))?;
                Ok(("EC PRIVATE KEY", Zeroizing::new(der)))
            }
        }
    }

    /// PEM text of the key in the given format.
    pub fn to_pem(&self, format: KeyFormat) -> Result<Zeroizing<String>> {
        let (label, der) = self.to_der(format)?;
        Ok(Zeroizing::new(crate::pem::encode_pem(label, &der)))
    }

    /// The AlgorithmIdentifier of the signatures this key makes (SHA-256 for RSA and P-256,
    /// SHA-384 for P-384, as Go's crypto/x509 chooses).
    pub fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match &self.inner {
            Inner::Rsa(_) => {
                AlgorithmIdentifierOwned { oid: SHA_256_WITH_RSA_ENCRYPTION, parameters: Some(der::asn1::Null.into()) }
            }
            Inner::Ec(_, Curve::P256) => AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA_256, parameters: None },
            Inner::Ec(_, Curve::P384) => AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA_384, parameters: None },
        }
    }

    /// Signs `message` with the algorithm of [`Self::signature_algorithm`].
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.inner {
            Inner::Rsa(pair) => {
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &rng, message, &mut out)
                    .map_err(|_| unspecified("sign with the RSA key"))?;
                Ok(out)
            }
            Inner::Ec(pair, _) => {
                let s = pair.sign(&rng, message).map_err(|_| unspecified("sign with the EC key"))?;
                Ok(s.as_ref().to_vec())
            }
        }
    }
}

/// Refuses an RSA key (PKCS#1 `RSAPrivateKey` DER) whose modulus is outside [`RSA_BITS`],
/// naming the rule; the size is read from the key itself, never from a library's message.
fn check_rsa_size(pkcs1_der: &[u8], source: &str) -> Result<()> {
    let key = pkcs1::RsaPrivateKey::<der::asn1::UintRef<'_>>::from_der(pkcs1_der)
        .map_err(|_| Error::input(source, "not a valid RSA private key"))?;
    let bits = crate::pubkey::significant_bits(key.modulus.as_bytes());
    if crate::pubkey::RSA_BITS.contains(&bits) {
        Ok(())
    } else {
        Err(Error::refused_as(crate::error::Refusal::Policy, format!("{source}: {}", SignatureError::RsaKeySize(bits))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(alg: Algorithm, format: KeyFormat, label: &str) {
        let key = PrivateKey::generate(alg).expect("generate");
        let (got_label, der) = key.to_der(format).expect("encode");
        assert_eq!(got_label, label);
        let again = PrivateKey::from_pem_block(got_label, &der, "test").expect("read back");
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.algorithm(), alg);
    }

    #[test]
    fn keys_roundtrip_in_every_format() {
        roundtrip(Algorithm::Rsa2048, KeyFormat::Traditional, "RSA PRIVATE KEY");
        roundtrip(Algorithm::Rsa2048, KeyFormat::Pkcs8, "PRIVATE KEY");
        roundtrip(Algorithm::EcdsaP256, KeyFormat::Traditional, "EC PRIVATE KEY");
        roundtrip(Algorithm::EcdsaP384, KeyFormat::Pkcs8, "PRIVATE KEY");
        roundtrip(Algorithm::EcdsaP384, KeyFormat::Traditional, "EC PRIVATE KEY");
    }

    #[test]
    fn describes_keys() {
        let key = PrivateKey::generate(Algorithm::Rsa2048).expect("generate");
        assert_eq!(key.public_key().describe(), "RSA 2048");
        assert_eq!(key.public_key().bits(), Some(2048));
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("generate");
        assert_eq!(key.public_key().describe(), "ECDSA P-256");
    }

    #[test]
    fn signatures_verify_and_tampering_is_caught() {
        for alg in [Algorithm::Rsa2048, Algorithm::EcdsaP256, Algorithm::EcdsaP384] {
            let key = PrivateKey::generate(alg).expect("generate");
            let oid = key.signature_algorithm().oid;
            let signature = key.sign(b"message").expect("sign");
            key.public_key().verify(&oid, b"message", &signature).expect("verifies");
            assert_eq!(key.public_key().verify(&oid, b"messagf", &signature), Err(SignatureError::Invalid));
        }
    }

    #[test]
    fn algorithm_families_parse_like_cfssl() {
        assert_eq!(Algorithm::from_family("rsa", None).ok(), Some(Algorithm::Rsa2048));
        assert_eq!(Algorithm::from_family("ecdsa", Some(384)).ok(), Some(Algorithm::EcdsaP384));
        assert_eq!(Algorithm::from_family("rsa", Some(1024)).map_err(|e| e.exit_code()).err(), Some(4));
        assert!(Algorithm::from_family("dsa", None).is_err());
    }

    #[test]
    fn a_process_holding_a_key_never_dumps_core() {
        use rustix::process::{DumpableBehavior, Resource, dumpable_behavior, getrlimit};
        let _key = PrivateKey::generate(Algorithm::EcdsaP256).expect("generate");
        assert_eq!(dumpable_behavior().ok(), Some(DumpableBehavior::NotDumpable));
        assert_eq!(getrlimit(Resource::Core).current, Some(0));
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("generate");
        assert_eq!(format!("{key:?}"), "PrivateKey(ECDSA P-256)");
    }
}
