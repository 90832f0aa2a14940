//! Issuing certificates: sign a verified CSR with a CA, or self-sign a new CA.
//!
//! The signer decides: usages come from `--usage`/`--profile` when given (else from what the
//! CSR asked), CA:TRUE only when allowed, validity from the signer's flags. The subject and the
//! DNS/IP/e-mail/URI SANs are copied from the CSR; no other requested extension ever is.

use der::asn1::BitString;
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::cert::Cert;
use crate::csr::Csr;
use crate::error::{Error, Result};

pub mod batch;
mod cautions;
mod options;
mod usages;

use crate::ext;
use crate::key::{PrivateKey, PublicKey};
use crate::usage::Usage;
use crate::validity::{BACKDATE, format_time};
pub use options::IssueOptions;
pub use usages::NO_USAGES;
use usages::{decide_usages, path_len, refuse_nameless};

/// A certificate just issued, with anything the user should hear about.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// Warnings for stderr (one line each).
    pub warnings: Vec<String>,
}

/// A CA ready to sign: its certificate, its key (checked to match), and its key identifier.
pub struct Ca {
    /// The CA certificate.
    pub cert: Cert,
    key: PrivateKey,
    name: Name,
    ski: Vec<u8>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ca({})", self.cert.subject)
    }
}

impl Ca {
    /// Loads a CA and checks it can sign: the key matches the certificate, the certificate
    /// is a CA allowed to sign certificates, and it is valid at `now`.
    pub fn new(cert: Cert, key: PrivateKey, cert_name: &str, key_name: &str, now: i64) -> Result<Ca> {
        if cert.public_key != *key.public_key() {
            return Err(Error::refused_as(
                crate::error::Refusal::KeyMismatch,
                format!("{key_name} does not match {cert_name}"),
            ));
        }
        if !cert.is_ca() {
            return Err(Error::refused_as(
                crate::error::Refusal::UnfitCa,
                format!("{cert_name} is not a CA certificate (basicConstraints CA:TRUE is missing)"),
            ));
        }
        if cert.ext.key_usage.is_some_and(|ku| !ku.key_cert_sign()) {
            return Err(Error::refused_as(
                crate::error::Refusal::UnfitCa,
                format!("{cert_name} may not sign certificates (keyUsage lacks keyCertSign)"),
            ));
        }
        if now > cert.not_after {
            return Err(Error::refused_as(
                crate::error::Refusal::UnfitCa,
                format!("{cert_name} expired on {}", format_time(cert.not_after)),
            ));
        }
        if now < cert.not_before {
            return Err(Error::refused_as(
                crate::error::Refusal::UnfitCa,
                format!("{cert_name} is not valid before {}", format_time(cert.not_before)),
            ));
        }
        let name = crate::csr::name_for_copy(&cert.subject_raw, &cert.subject)?;
        let ski = match &cert.ext.ski {
            Some(ski) => ski.clone(),
            None => key.public_key().key_identifier()?,
        };
        Ok(Ca { cert, key, name, ski })
    }

    /// Loads a CA from files named by flags. The certificate file may be a trust bundle (a CA
    /// mid-rotation lists old and new CAs): the signer is the certificate that matches the key,
    /// wherever it is in the file.
    pub fn from_files(cert_path: &std::path::Path, key_path: &std::path::Path, now: i64) -> Result<Ca> {
        let (cert_name, key_name) = (cert_path.display().to_string(), key_path.display().to_string());
        let key = PrivateKey::read_file(key_path)?;
        let certs = Cert::read_all(cert_path)?;
        let several = certs.len() > 1;
        let count = certs.len();
        let index = certs.iter().position(|c| c.public_key == *key.public_key());
        let mut certs = certs.into_iter();
        let cert = match index {
            Some(i) => certs.nth(i),
            None if several => {
                return Err(Error::refused_as(
                    crate::error::Refusal::KeyMismatch,
                    format!("{key_name} matches none of the {count} certificates in {cert_name}"),
                ));
            }
            None => certs.next(),
        }
        .ok_or_else(|| Error::input(&cert_name, "expected a CERTIFICATE"))?;
        Ca::new(cert, key, &cert_name, &key_name, now)
    }

    /// Issues a certificate for a verified CSR.
    pub fn issue(&self, csr: &Csr, opts: &IssueOptions) -> Result<Issued> {
        let mut warnings = Vec::new();
        refuse_nameless(csr)?;
        if opts.leaf_only && csr.request.is_ca {
            warnings.push(
                "the CSR asks to be a CA (CA:TRUE); issued as a leaf (CA:FALSE), as kube-controller-manager's signer does"
                    .to_string(),
            );
        }
        let (usages, is_ca) = decide_usages(csr, opts, false)?;
        if is_ca && self.cert.ext.path_len == Some(0) {
            return Err(Error::refused_as(
                crate::error::Refusal::UnfitCa,
                "the signing CA has pathLenConstraint 0: it may not issue another CA (Go would report \
                 'x509: too many intermediates for path length constraint')",
            ));
        }
        let (not_before, mut not_after) = window(opts)?;
        if not_after > self.cert.not_after {
            if opts.clamp {
                not_after = self.cert.not_after;
            } else {
                warnings.push(format!(
                    "the certificate ({}) would outlive its CA, which expires {}; it will stop verifying then (use --clamp to cut it to the CA's expiry)",
                    format_time(not_after),
                    format_time(self.cert.not_after)
                ));
            }
        }
        warnings.extend(cautions::before_signing(
            csr,
            (is_ca, &usages),
            (not_before, not_after),
            (self.cert.not_before, self.cert.not_after),
            opts.now,
        ));
        let basic = (is_ca, path_len(csr, opts));
        let der = build(csr, &usages, basic, (not_before, not_after), &self.name, &self.key, Some(&self.ski))?;
        Ok(Issued { der, warnings })
    }
}

/// Self-signs a CSR with its own key (a new root CA, normally).
pub fn self_sign(csr: &Csr, key: &PrivateKey, opts: &IssueOptions) -> Result<Issued> {
    if csr.public_key != *key.public_key() {
        return Err(Error::refused_as(
            crate::error::Refusal::KeyMismatch,
            "the CSR was not made with the key in the stream; cannot self-sign it",
        ));
    }
    refuse_nameless(csr)?;
    let (usages, is_ca) = decide_usages(csr, opts, true)?;
    let window = window(opts)?;
    let der = build(csr, &usages, (is_ca, path_len(csr, opts)), window, &csr.subject_name, key, None)?;
    Ok(Issued { der, warnings: Vec::new() })
}

fn window(opts: &IssueOptions) -> Result<(i64, i64)> {
    let not_before = opts.not_before.unwrap_or(opts.now - BACKDATE);
    let not_after = opts.not_after.unwrap_or(opts.now + opts.lifetime);
    if not_after <= not_before {
        return Err(Error::usage(format!(
            "notAfter ({}) must be after notBefore ({})",
            format_time(not_after),
            format_time(not_before)
        )));
    }
    Ok((not_before, not_after))
}

/// A random positive 128-bit serial number (with a leading zero octet when the top bit is set).
pub fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 17];
    aws_lc_rs::rand::fill(&mut bytes[1..]).map_err(|_| Error::internal("no randomness for a serial number"))?;
    // Never zero: RFC 5280 wants positive serials.
    if bytes[1..].iter().all(|b| *b == 0) {
        bytes[16] = 1;
    }
    SerialNumber::new(&bytes).map_err(|_| Error::internal("cannot encode a serial number"))
}

fn time(secs: i64) -> Result<Time> {
    let secs_u64 = u64::try_from(secs).map_err(|_| {
        Error::usage(format!("cannot encode the date {}: dates before 1970 are not supported", format_time(secs)))
    })?;
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs_u64);
    Time::try_from(t).map_err(|_| Error::usage(format!("cannot encode the date {}", format_time(secs))))
}

fn build(
    csr: &Csr,
    usages: &[Usage],
    (is_ca, path_len): (bool, Option<u8>),
    (not_before, not_after): (i64, i64),
    issuer: &Name,
    key: &PrivateKey,
    authority_key_id: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let req = &csr.request;
    // What the signer signs obeys the rules k8s-csr --san applies to what it asks for.
    for san in &req.sans {
        san.check().map_err(|why| {
            Error::refused_as(
                crate::error::Refusal::Csr,
                format!("the CSR asks for an invalid SAN '{}': {why}", crate::term::sanitize(&san.to_string())),
            )
        })?;
    }
    let ski = csr.public_key.key_identifier()?;
    let mut extensions = Vec::new();
    if !req.sans.is_empty() {
        extensions.push(ext::subject_alt_name(&req.sans, req.subject.is_empty())?);
    }
    extensions.push(ext::key_usage(is_ca)?);
    if !usages.is_empty() {
        extensions.push(ext::extended_key_usage(usages)?);
    }
    extensions.push(ext::basic_constraints(is_ca, path_len)?);
    extensions.push(ext::subject_key_identifier(&ski)?);
    // A self-signed CA names itself as its authority, as `openssl req -x509` does.
    extensions.push(ext::authority_key_identifier(authority_key_id.unwrap_or(&ski))?);

    let profile = Explicit { subject: csr.subject_name.clone(), issuer: issuer.clone(), extensions };
    let validity = Validity::new(time(not_before)?, time(not_after)?);
    let spki = csr.public_key.spki()?;
    let mut builder = CertificateBuilder::new(profile, random_serial()?, validity, spki)
        .map_err(|_| Error::internal("cannot build the certificate"))?;
    let signer = KeySigner { key };
    let tbs = builder.finalize(&signer).map_err(|_| Error::internal("cannot encode the certificate"))?;
    let signature = key.sign(&tbs)?;
    let signature = BitString::from_bytes(&signature).map_err(|_| Error::internal("cannot encode the signature"))?;
    let cert = builder.assemble(signature, &signer).map_err(|_| Error::internal("cannot encode the certificate"))?;
    cert.to_der().map_err(|_| Error::internal("cannot encode the certificate"))
}

/// A builder profile that adds exactly the extensions we computed, nothing else.
struct Explicit {
    subject: Name,
    issuer: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Explicit {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

/// Tells the certificate builder which algorithm and key sign; the signing itself is ours.
struct KeySigner<'a> {
    key: &'a PrivateKey,
}

#[derive(Clone)]
struct SpkiKey(PublicKey);

impl EncodePublicKey for SpkiKey {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        der::Document::from_der(self.0.spki_der()).map_err(spki::Error::from)
    }
}

impl signature::Keypair for KeySigner<'_> {
    type VerifyingKey = SpkiKey;
    fn verifying_key(&self) -> SpkiKey {
        SpkiKey(self.key.public_key().clone())
    }
}

impl DynSignatureAlgorithmIdentifier for KeySigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(self.key.signature_algorithm())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Algorithm;
    use crate::kubeadm::profile::{Params, find};
    use crate::name::Subject;
    use crate::request::Request;
    use crate::san::San;
    use crate::validity::DAY;

    const NOW: i64 = 1_795_000_000;

    fn opts() -> IssueOptions {
        IssueOptions { lifetime: 365 * DAY, now: NOW, ..IssueOptions::default() }
    }

    fn csr_for(req: &Request, key: &PrivateKey) -> Csr {
        let der = crate::csr::build(req, key).expect("csr");
        Csr::from_der(&der, "test").expect("verifies")
    }

    fn new_ca() -> Ca {
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let req = find("ca").and_then(|p| p.request(&Params::default())).expect("req");
        let ca_opts = IssueOptions { lifetime: 3650 * DAY, ..opts() };
        let issued = self_sign(&csr_for(&req, &key), &key, &ca_opts).expect("self-signed");
        let cert = Cert::from_der(&issued.der, "ca.crt").expect("parses");
        Ca::new(cert, key, "ca.crt", "ca.key", NOW).expect("usable CA")
    }

    #[test]
    fn self_signed_ca_has_kubeadm_extensions() {
        let ca = new_ca();
        let c = &ca.cert;
        assert!(c.is_ca() && c.is_self_issued());
        assert!(c.ext.key_usage.expect("ku").key_cert_sign());
        assert_eq!(c.ext.sans, vec![San::Dns("kubernetes".into())]);
        assert_eq!(c.not_before, NOW - BACKDATE);
        assert_eq!(c.not_after, NOW + 3650 * DAY);
        assert!(c.signed_by(&c.public_key).is_ok());
        assert_eq!(c.version, 3);
    }

    #[test]
    fn leaf_keeps_every_group_and_chains() {
        let ca = new_ca();
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let groups: Vec<String> = ["a", "b", "system:masters"].iter().map(|s| s.to_string()).collect();
        let req = Request {
            subject: Subject::new(Some("alice"), &groups),
            usages: vec![Usage::Client],
            ..Request::default()
        };
        let issued = ca.issue(&csr_for(&req, &key), &opts()).expect("issued");
        let leaf = Cert::from_der(&issued.der, "leaf").expect("parses");
        assert_eq!(leaf.subject.orgs(), groups);
        assert_eq!(leaf.issuer_raw, ca.cert.subject_raw);
        assert!(leaf.signed_by(&ca.cert.public_key).is_ok());
        assert_eq!(leaf.ext.aki, ca.cert.ext.ski);
        assert_eq!(leaf.ext.is_ca, Some(false));
        assert_eq!(leaf.ext.usages, vec![Usage::Client]);
        assert!((9..=17).contains(&leaf.serial.len()), "128-bit random serial");
        assert!(issued.warnings.is_empty());
    }

    #[test]
    fn signer_refuses_what_it_should() {
        let ca = new_ca();
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let no_usage = Request { subject: Subject::new(Some("x"), &[]), ..Request::default() };
        let csr = csr_for(&no_usage, &key);
        let err = ca.issue(&csr, &opts()).expect_err("no usages");
        assert!(matches!(err, Error::Refused(crate::error::Refusal::NoUsages(_))), "{err:?}");
        assert_eq!(err.exit_code(), 4);
        let fixed = IssueOptions { usages: Some(vec![Usage::Server]), ..opts() };
        assert!(ca.issue(&csr, &fixed).is_ok());
        let wants_ca = Request { is_ca: true, ..no_usage };
        let csr = csr_for(&wants_ca, &key);
        let err = ca.issue(&csr, &opts()).expect_err("CA");
        assert!(matches!(err, Error::Refused(crate::error::Refusal::Policy(_))), "{err:?}");
        assert!(ca.issue(&csr, &IssueOptions { allow_ca: true, ..opts() }).is_ok());
    }

    #[test]
    fn outliving_the_ca_warns_or_clamps() {
        let ca = new_ca();
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let req = Request { subject: Subject::new(Some("x"), &[]), usages: vec![Usage::Client], ..Request::default() };
        let csr = csr_for(&req, &key);
        let long = IssueOptions { lifetime: 4000 * DAY, ..opts() };
        assert_eq!(ca.issue(&csr, &long).expect("issued").warnings.len(), 1);
        let clamped = ca.issue(&csr, &IssueOptions { clamp: true, ..long }).expect("issued");
        assert!(clamped.warnings.is_empty());
        assert_eq!(Cert::from_der(&clamped.der, "x").expect("parse").not_after, ca.cert.not_after);
    }

    #[test]
    fn ca_checks() {
        let ca = new_ca();
        let other = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let err = Ca::new(ca.cert.clone(), other, "ca.crt", "ca.key", NOW).expect_err("mismatch");
        assert_eq!(err.to_string(), "ca.key does not match ca.crt");
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let expired = ca.cert.not_after + 1;
        let c = ca.cert.clone();
        let _ = key;
        let k2 = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        assert!(Ca::new(c, k2, "ca.crt", "ca.key", expired).is_err());
    }

    #[test]
    fn serials_are_random_and_positive() {
        let a = random_serial().expect("serial");
        let b = random_serial().expect("serial");
        assert_ne!(a, b);
        assert!((9..=17).contains(&a.as_bytes().len()));
    }
}
