//! A certificate's signature checked as Go's crypto/x509 checks it (x509.go: checkSignature,
//! CheckSignatureFrom), with Go's error strings: which algorithms it refuses as insecure, which
//! it does not implement, and what a failed RSA or ECDSA verification says. Release
//! differences are [`GoRelease`] data.

use aws_lc_rs::signature as sig;
use const_oid::ObjectIdentifier;
use der::Decode;
use spki::SubjectPublicKeyInfoOwned;

use crate::cert::Cert;
use crate::go_release::GoRelease;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hash {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
    None,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyAlgo {
    Rsa,
    Ecdsa,
    Ed25519,
    Dsa,
}

/// Go's SignatureAlgorithm table: OID, Go's name, hash, key algorithm.
const ALGORITHMS: &[(&str, &str, Hash, KeyAlgo)] = &[
    ("1.2.840.113549.1.1.4", "MD5-RSA", Hash::Md5, KeyAlgo::Rsa),
    ("1.2.840.113549.1.1.5", "SHA1-RSA", Hash::Sha1, KeyAlgo::Rsa),
    ("1.2.840.113549.1.1.11", "SHA256-RSA", Hash::Sha256, KeyAlgo::Rsa),
    ("1.2.840.113549.1.1.12", "SHA384-RSA", Hash::Sha384, KeyAlgo::Rsa),
    ("1.2.840.113549.1.1.13", "SHA512-RSA", Hash::Sha512, KeyAlgo::Rsa),
    ("1.2.840.10040.4.3", "DSA-SHA1", Hash::Sha1, KeyAlgo::Dsa),
    ("2.16.840.1.101.3.4.3.2", "DSA-SHA256", Hash::Sha256, KeyAlgo::Dsa),
    ("1.2.840.10045.4.1", "ECDSA-SHA1", Hash::Sha1, KeyAlgo::Ecdsa),
    ("1.2.840.10045.4.3.2", "ECDSA-SHA256", Hash::Sha256, KeyAlgo::Ecdsa),
    ("1.2.840.10045.4.3.3", "ECDSA-SHA384", Hash::Sha384, KeyAlgo::Ecdsa),
    ("1.2.840.10045.4.3.4", "ECDSA-SHA512", Hash::Sha512, KeyAlgo::Ecdsa),
    ("1.3.101.112", "Ed25519", Hash::None, KeyAlgo::Ed25519),
];

/// Go's ErrUnsupportedAlgorithm.
pub const UNSUPPORTED: &str = "x509: cannot verify signature: algorithm unimplemented";
/// Go's ConstraintViolationError.
pub const CONSTRAINT_VIOLATION: &str =
    "x509: invalid signature: parent certificate cannot sign this kind of certificate";

const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const P521: &str = "1.3.132.0.35";

struct Key {
    algo: KeyAlgo,
    curve: Option<String>,
    bits: Vec<u8>,
}

fn key_of(spki_der: &[u8]) -> Option<Key> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).ok()?;
    let algo = match spki.algorithm.oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => KeyAlgo::Rsa,
        "1.2.840.10045.2.1" => KeyAlgo::Ecdsa,
        "1.3.101.112" => KeyAlgo::Ed25519,
        "1.2.840.10040.4.1" => KeyAlgo::Dsa,
        _ => return None,
    };
    let curve =
        spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok()).map(|o| o.to_string());
    Some(Key { algo, curve, bits: spki.subject_public_key.raw_bytes().to_vec() })
}

/// Go leaves a certificate's `PublicKey` nil for an algorithm other than RSA, ECDSA, Ed25519
/// and DSA (parser.go parsePublicKey; X25519 only through ParsePKIXPublicKey); from go1.22.1
/// (and 1.21.8) `buildChains` skips such a candidate issuer (verify.go, CVE-2024-24783).
pub fn key_is_known(cert: &Cert) -> bool {
    key_of(cert.public_key.spki_der()).is_some()
}

fn key_type_name(algo: KeyAlgo) -> &'static str {
    match algo {
        KeyAlgo::Rsa => "*rsa.PublicKey",
        KeyAlgo::Ecdsa => "*ecdsa.PublicKey",
        KeyAlgo::Ed25519 => "ed25519.PublicKey",
        KeyAlgo::Dsa => "*dsa.PublicKey",
    }
}

fn algo_name(algo: KeyAlgo) -> &'static str {
    match algo {
        KeyAlgo::Rsa => "RSA",
        KeyAlgo::Ecdsa => "ECDSA",
        KeyAlgo::Ed25519 => "Ed25519",
        KeyAlgo::Dsa => "DSA",
    }
}

/// `CheckSignatureFrom(parent)`: may `parent` sign, and did it sign `child`? `Err` is Go's text.
pub fn check_signature_from(child: &Cert, parent: &Cert, go: GoRelease) -> Result<(), String> {
    let bc_valid = parent.ext.is_ca.is_some();
    if (parent.version == 3 && !bc_valid) || (bc_valid && !parent.is_ca()) {
        return Err(CONSTRAINT_VIOLATION.into());
    }
    if let Some(ku) = &parent.ext.key_usage
        && !ku.0.is_empty()
        && !ku.key_cert_sign()
    {
        return Err(CONSTRAINT_VIOLATION.into());
    }
    let key = key_of(parent.public_key.spki_der()).ok_or_else(|| UNSUPPORTED.to_string())?;
    check_signature(child, &key, go)
}

fn check_signature(child: &Cert, key: &Key, go: GoRelease) -> Result<(), String> {
    let oid = child.signature_algorithm.to_string();
    let Some(&(_, name, hash, algo)) = ALGORITHMS.iter().find(|(o, ..)| *o == oid) else {
        return Err(UNSUPPORTED.into());
    };
    match hash {
        Hash::Md5 => return Err(format!("x509: cannot verify signature: insecure algorithm {name}")),
        Hash::Sha1 => {
            let hint = go.sha1_hint() && algo != KeyAlgo::Dsa;
            let suffix = if hint { " (temporarily override with GODEBUG=x509sha1=1)" } else { "" };
            return Err(format!("x509: cannot verify signature: insecure algorithm {name}{suffix}"));
        }
        _ => {}
    }
    if key.algo != algo {
        return Err(format!(
            "x509: signature algorithm specifies an {} public key, but have public key of type {}",
            algo_name(algo),
            key_type_name(key.algo)
        ));
    }
    let (msg, signature) = (child.tbs.as_slice(), child.signature.as_slice());
    match algo {
        KeyAlgo::Rsa => {
            let bits = crate::pubkey::significant_bits(&rsa_modulus(&key.bits).unwrap_or_default());
            if bits < go.min_rsa_bits() {
                return Err(format!(
                    "crypto/rsa: {bits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)"
                ));
            }
            let alg: &dyn sig::VerificationAlgorithm = match hash {
                Hash::Sha256 => &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                Hash::Sha384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                _ => &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            };
            verify(alg, &key.bits, msg, signature).map_err(|()| "crypto/rsa: verification error".to_string())
        }
        KeyAlgo::Ecdsa => {
            let alg: &dyn sig::VerificationAlgorithm = match (key.curve.as_deref(), hash) {
                (Some(P256), Hash::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
                (Some(P256), Hash::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
                (Some(P256), Hash::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
                (Some(P384), Hash::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
                (Some(P384), Hash::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
                (Some(P384), Hash::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
                (Some(P521), Hash::Sha256) => &sig::ECDSA_P521_SHA256_ASN1,
                (Some(P521), Hash::Sha384) => &sig::ECDSA_P521_SHA384_ASN1,
                (Some(P521), Hash::Sha512) => &sig::ECDSA_P521_SHA512_ASN1,
                _ => return Err(UNSUPPORTED.into()),
            };
            verify(alg, &key.bits, msg, signature).map_err(|()| "x509: ECDSA verification failure".to_string())
        }
        KeyAlgo::Ed25519 => verify(&sig::ED25519, &key.bits, msg, signature)
            .map_err(|()| "x509: Ed25519 verification failure".to_string()),
        KeyAlgo::Dsa => Err(UNSUPPORTED.into()),
    }
}

fn verify(alg: &'static dyn sig::VerificationAlgorithm, key: &[u8], msg: &[u8], signature: &[u8]) -> Result<(), ()> {
    sig::UnparsedPublicKey::new(alg, key).verify(msg, signature).map_err(|_| ())
}

/// The modulus of a PKCS#1 RSAPublicKey.
fn rsa_modulus(der: &[u8]) -> Option<Vec<u8>> {
    pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(der).ok().map(|k| k.modulus.as_bytes().to_vec())
}
