//! Public keys, held as SubjectPublicKeyInfo DER: describe them (algorithm, size), derive
//! key identifiers, and verify the signatures of certificates and CSRs with aws-lc-rs.

use std::fmt;

use aws_lc_rs::signature as sig;
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1,
    SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
};
use der::Decode;
use spki::SubjectPublicKeyInfoOwned;

use crate::error::{Error, Result};

/// RSA moduli we sign and verify with: kubeadm's sizes and what aws-lc-rs accepts.
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;

/// The size in bits of a big-endian unsigned integer (leading zero bytes and bits not counted).
pub(crate) fn significant_bits(be: &[u8]) -> usize {
    let significant: &[u8] = match be.iter().position(|b| *b != 0) {
        Some(first) => be.get(first..).unwrap_or_default(),
        None => &[],
    };
    match significant.first() {
        Some(top) => (significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

fn undecodable() -> Error {
    Error::internal("cannot decode a public key that was checked when read")
}

/// The named curves we read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

impl Curve {
    pub(crate) fn oid(self) -> ObjectIdentifier {
        match self {
            Curve::P256 => SECP_256_R_1,
            Curve::P384 => SECP_384_R_1,
        }
    }

    pub(crate) fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        if *oid == SECP_256_R_1 {
            Some(Curve::P256)
        } else if *oid == SECP_384_R_1 {
            Some(Curve::P384)
        } else {
            None
        }
    }

    pub(crate) fn signing_alg(self) -> &'static sig::EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            Curve::P384 => &sig::ECDSA_P384_SHA384_ASN1_SIGNING,
        }
    }
}

/// A public key, held as its SubjectPublicKeyInfo DER.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    spki_der: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.describe())
    }
}

impl PublicKey {
    /// Reads a SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8], source: &str) -> Result<Self> {
        SubjectPublicKeyInfoOwned::from_der(der)
            .map_err(|_| Error::input(source, "not a valid public key (SubjectPublicKeyInfo)"))?;
        Ok(PublicKey { spki_der: der.to_vec() })
    }

    /// The SubjectPublicKeyInfo DER (what a `PUBLIC KEY` PEM block holds).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The SubjectPublicKeyInfo as RustCrypto's type.
    pub fn spki(&self) -> Result<SubjectPublicKeyInfoOwned> {
        SubjectPublicKeyInfoOwned::from_der(&self.spki_der).map_err(|_| undecodable())
    }

    /// The subjectPublicKey BIT STRING contents (PKCS#1 RSAPublicKey, or an EC point).
    pub fn subject_public_key_bits(&self) -> Result<Vec<u8>> {
        let spki = self.spki()?;
        spki.subject_public_key.as_bytes().map(<[u8]>::to_vec).ok_or_else(undecodable)
    }

    /// PEM `PUBLIC KEY` text.
    pub fn to_pem(&self) -> String {
        crate::pem::encode_pem(crate::pem::PUBLIC_KEY, &self.spki_der)
    }

    /// Subject Key Identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 method 1, as Go does).
    pub fn key_identifier(&self) -> Result<Vec<u8>> {
        let bits = self.subject_public_key_bits()?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &bits);
        Ok(digest.as_ref().to_vec())
    }

    /// "RSA 2048", "ECDSA P-256", or "unknown".
    pub fn describe(&self) -> String {
        match self.kind() {
            Some(KeyKind::Rsa(bits)) => format!("RSA {bits}"),
            Some(KeyKind::Ec(Curve::P256)) => "ECDSA P-256".into(),
            Some(KeyKind::Ec(Curve::P384)) => "ECDSA P-384".into(),
            None => "unknown".into(),
        }
    }

    /// The key size in bits (RSA modulus or curve size).
    pub fn bits(&self) -> Option<usize> {
        match self.kind()? {
            KeyKind::Rsa(bits) => Some(bits),
            KeyKind::Ec(Curve::P256) => Some(256),
            KeyKind::Ec(Curve::P384) => Some(384),
        }
    }

    /// Whether this is an RSA key.
    pub fn is_rsa(&self) -> bool {
        matches!(self.kind(), Some(KeyKind::Rsa(_)))
    }

    fn kind(&self) -> Option<KeyKind> {
        let spki = self.spki().ok()?;
        if spki.algorithm.oid == RSA_ENCRYPTION {
            let bits = spki.subject_public_key.as_bytes()?;
            let rsa = pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(bits).ok()?;
            Some(KeyKind::Rsa(significant_bits(rsa.modulus.as_bytes())))
        } else if spki.algorithm.oid == ID_EC_PUBLIC_KEY {
            let curve = spki.algorithm.parameters.as_ref()?.decode_as::<ObjectIdentifier>().ok()?;
            Curve::from_oid(&curve).map(KeyKind::Ec)
        } else {
            None
        }
    }

    /// Verifies `signature` over `message` made with the algorithm `alg_oid`.
    pub fn verify(&self, alg_oid: &ObjectIdentifier, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let kind = self.kind().ok_or(SignatureError::UnsupportedKey)?;
        if let KeyKind::Rsa(bits) = kind
            && !RSA_BITS.contains(&bits)
        {
            return Err(SignatureError::RsaKeySize(bits));
        }
        let algorithm: &dyn sig::VerificationAlgorithm = match (kind, *alg_oid) {
            (KeyKind::Rsa(_), o) if o == SHA_256_WITH_RSA_ENCRYPTION => &sig::RSA_PKCS1_2048_8192_SHA256,
            (KeyKind::Rsa(_), o) if o == SHA_384_WITH_RSA_ENCRYPTION => &sig::RSA_PKCS1_2048_8192_SHA384,
            (KeyKind::Rsa(_), o) if o == SHA_512_WITH_RSA_ENCRYPTION => &sig::RSA_PKCS1_2048_8192_SHA512,
            (KeyKind::Ec(Curve::P256), o) if o == ECDSA_WITH_SHA_256 => &sig::ECDSA_P256_SHA256_ASN1,
            (KeyKind::Ec(Curve::P256), o) if o == ECDSA_WITH_SHA_384 => &sig::ECDSA_P256_SHA384_ASN1,
            (KeyKind::Ec(Curve::P384), o) if o == ECDSA_WITH_SHA_256 => &sig::ECDSA_P384_SHA256_ASN1,
            (KeyKind::Ec(Curve::P384), o) if o == ECDSA_WITH_SHA_384 => &sig::ECDSA_P384_SHA384_ASN1,
            _ => return Err(SignatureError::UnsupportedAlgorithm),
        };
        let bits = self.subject_public_key_bits().map_err(|_| SignatureError::UnsupportedKey)?;
        sig::UnparsedPublicKey::new(algorithm, &bits).verify(message, signature).map_err(|_| SignatureError::Invalid)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Rsa(usize),
    Ec(Curve),
}

/// Why a signature did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// The signature does not match.
    Invalid,
    /// The signature algorithm is not one we verify.
    UnsupportedAlgorithm,
    /// The key type is not one we verify.
    UnsupportedKey,
    /// An RSA key of this many bits, outside [`RSA_BITS`].
    RsaKeySize(usize),
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::Invalid => "signature does not verify",
            SignatureError::UnsupportedAlgorithm => "unsupported signature algorithm",
            SignatureError::UnsupportedKey => "unsupported public key type",
            SignatureError::RsaKeySize(bits) => {
                return write!(
                    f,
                    "an RSA key of {bits} bits; keys of {} to {} bits are supported",
                    RSA_BITS.start(),
                    RSA_BITS.end()
                );
            }
        })
    }
}
