//! Certificate signing requests: build one from a [`Request`] and a key; read one (from us,
//! openssl, kubeadm or cfssl) and verify its self-signature before anything else looks at it.

use der::asn1::{BitString, SetOfVec};
use der::{Decode, Encode};
use x509_cert::attr::Attribute;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq, Version};
use x509_parser::prelude::{FromDer, ParsedCriAttribute, X509CertificationRequest};

use crate::error::{Error, Result};
use crate::ext;
use crate::key::{PrivateKey, PublicKey, SignatureError};
use crate::name::{Subject, oid_of, subject_of};
use crate::request::Request;

/// Builds and signs a CSR (DER). The request's SANs, usages and CA flag travel as an
/// extensionRequest, as `openssl req -addext` writes them.
pub fn build(req: &Request, key: &PrivateKey) -> Result<Vec<u8>> {
    build_with_subject(req, key, None)
}

/// What an existing certificate was issued for — subject (verbatim), SANs, usages, CA flag —
/// as `kubeadm certs renew` copies it into the new certificate.
pub fn request_from_cert(cert: &crate::cert::Cert) -> Result<(Request, Name)> {
    let name = name_for_copy(&cert.subject_raw, &cert.subject)?;
    let req = Request {
        subject: cert.subject.clone(),
        sans: cert.ext.sans.clone(),
        usages: cert.ext.usages.clone(),
        is_ca: cert.is_ca(),
        path_len: cert.ext.path_len.filter(|_| cert.is_ca()),
    };
    Ok((req, name))
}

/// What a copy of `cert` by [`request_from_cert`] leaves out, one description each: SAN kinds
/// other than DNS, IP, e-mail and URI (otherName, directoryName), extended key usages other
/// than serverAuth and clientAuth (codeSigning), and extensions not understood.
pub fn dropped_by_copy(cert: &crate::cert::Cert) -> Vec<String> {
    let mut out: Vec<String> = cert.ext.other_sans.iter().map(|s| format!("subjectAltName {s}")).collect();
    for oid in &cert.ext.other_ekus {
        let name = crate::usage::eku_name(&oid.to_string()).map_or(String::new(), |n| format!(" ({n})"));
        out.push(format!("extended key usage {oid}{name}"));
    }
    out.extend(
        cert.ext
            .unknown
            .iter()
            .map(|(oid, critical)| format!("{}extension {oid}", if *critical { "critical " } else { "" })),
    );
    out
}

/// [`build`], with the subject given as an encoded Name (kept byte for byte) instead of
/// re-encoded from the request's attributes.
pub fn build_with_subject(req: &Request, key: &PrivateKey, subject: Option<&Name>) -> Result<Vec<u8>> {
    if req.names_nobody() {
        return Err(Error::usage("the CSR needs a subject or a SAN: give --cn, --subj or --profile"));
    }
    let mut extensions = Vec::new();
    if !req.sans.is_empty() {
        extensions.push(ext::subject_alt_name(&req.sans, req.subject.is_empty())?);
    }
    if req.is_ca || !req.usages.is_empty() {
        extensions.push(ext::key_usage(req.is_ca)?);
    }
    if !req.usages.is_empty() {
        extensions.push(ext::extended_key_usage(&req.usages)?);
    }
    if req.is_ca {
        extensions.push(ext::basic_constraints(true, req.path_len)?);
    }
    let mut attributes = SetOfVec::new();
    if !extensions.is_empty() {
        let attr = Attribute::try_from(ExtensionReq(extensions)).map_err(|_| encoding())?;
        attributes.insert(attr).map_err(|_| encoding())?;
    }
    let info = CertReqInfo {
        version: Version::V1,
        subject: match subject {
            Some(name) => name.clone(),
            None => req.subject.to_name()?,
        },
        public_key: key.public_key().spki()?,
        attributes,
    };
    let tbs = info.to_der().map_err(|_| encoding())?;
    let signature = key.sign(&tbs)?;
    let csr = CertReq {
        info,
        algorithm: key.signature_algorithm(),
        signature: BitString::from_bytes(&signature).map_err(|_| encoding())?,
    };
    csr.to_der().map_err(|_| encoding())
}

fn encoding() -> Error {
    Error::internal("cannot encode the CSR")
}

/// A CSR whose self-signature has been verified.
#[derive(Clone, Debug)]
pub struct Csr {
    /// What it asks for.
    pub request: Request,
    /// The subject exactly as encoded in the CSR, to be copied into the certificate.
    pub subject_name: Name,
    /// The requester's public key.
    pub public_key: PublicKey,
    /// Extensions the CSR asked for that are never copied (non-critical, unknown): OIDs.
    pub ignored: Vec<String>,
    /// Whether the CSR asked for no usages at all (kubeadm's external-CA CSRs).
    pub requests_no_usages: bool,
}

/// A Name to copy into a certificate: the original encoding when it is valid DER, else our
/// re-encoding of the same attributes (one RDN each).
pub(crate) fn name_for_copy(raw: &[u8], subject: &Subject) -> Result<Name> {
    match Name::from_der(raw) {
        Ok(name) => Ok(name),
        Err(_) => subject.to_name(),
    }
}

impl Csr {
    /// Parses a DER CSR and verifies its self-signature. A CSR that does not verify, or
    /// asks for a critical extension we do not understand, is refused.
    pub fn from_der(der: &[u8], source: &str) -> Result<Csr> {
        let (rest, csr) = X509CertificationRequest::from_der(der)
            .map_err(|_| Error::input(source, "not a valid certificate signing request"))?;
        if !rest.is_empty() {
            return Err(Error::input(source, "trailing data after the CSR"));
        }
        let info = &csr.certification_request_info;
        let public_key = PublicKey::from_spki_der(info.subject_pki.raw, source)?;
        let alg = oid_of(&csr.signature_algorithm.algorithm)
            .ok_or_else(|| Error::input(source, "CSR has an invalid signature algorithm"))?;
        match public_key.verify(&alg, info.raw, &csr.signature_value.data) {
            Ok(()) => {}
            Err(SignatureError::Invalid) => {
                return Err(Error::refused_as(
                    crate::error::Refusal::Csr,
                    format!(
                        "{source}: the CSR's signature does not verify: it was altered or not made with its own key"
                    ),
                ));
            }
            Err(e) => {
                return Err(Error::refused_as(
                    crate::error::Refusal::Csr,
                    format!("{source}: cannot verify the CSR's signature: {e}"),
                ));
            }
        }
        let subject = subject_of(&info.subject);
        let subject_name = name_for_copy(info.subject.as_raw(), &subject)?;
        let mut raw_exts = Vec::new();
        for attr in info.iter_attributes() {
            if let ParsedCriAttribute::ExtensionRequest(req) = attr.parsed_attribute() {
                for e in &req.extensions {
                    let oid = oid_of(&e.oid).ok_or_else(|| Error::input(source, "invalid extension OID"))?;
                    raw_exts.push((oid, e.critical, e.value));
                }
            }
        }
        let decoded = ext::decode(raw_exts, source)?;
        if let Some((oid, _)) = decoded.unknown.iter().find(|(_, critical)| *critical) {
            return Err(Error::refused_as(
                crate::error::Refusal::Csr,
                format!("{source}: the CSR asks for an unknown critical extension {oid}"),
            ));
        }
        let mut ignored: Vec<String> = decoded.unknown.iter().map(|(o, _)| o.to_string()).collect();
        ignored.extend(decoded.other_sans.iter().map(|s| format!("SAN {s}")));
        ignored.extend(decoded.other_ekus.iter().map(|o| format!("extended key usage {o}")));
        let requests_no_usages = decoded.usages.is_empty() && decoded.is_ca != Some(true);
        Ok(Csr {
            request: Request {
                subject,
                sans: decoded.sans,
                usages: decoded.usages,
                is_ca: decoded.is_ca == Some(true),
                path_len: decoded.path_len.filter(|_| decoded.is_ca == Some(true)),
            },
            subject_name,
            public_key,
            ignored,
            requests_no_usages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Algorithm;
    use crate::kubeadm::profile::{Params, find};

    fn apiserver_csr() -> (Request, Vec<u8>) {
        let params =
            Params { node_name: Some("n1".into()), advertise_address: "10.0.0.10".parse().ok(), ..Params::default() };
        let req = find("apiserver").and_then(|p| p.request(&params)).expect("request");
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let der = build(&req, &key).expect("csr");
        (req, der)
    }

    #[test]
    fn built_csrs_read_back_with_everything() {
        let (req, der) = apiserver_csr();
        let csr = Csr::from_der(&der, "test").expect("parses and verifies");
        assert_eq!(csr.request, req);
        assert!(!csr.requests_no_usages);
    }

    #[test]
    fn a_changed_byte_is_refused() {
        let (_, der) = apiserver_csr();
        // Flip one byte inside the subject (the CN "kube-apiserver" is ASCII in the TBS).
        let pos = der.windows(14).position(|w| w == b"kube-apiserver").expect("cn present");
        let mut bad = der.clone();
        bad[pos] ^= 0x01;
        let err = Csr::from_der(&bad, "test").expect_err("refused");
        assert_eq!(err.exit_code(), 4);
        assert!(err.to_string().contains("signature"));
        // And one byte of the signature itself.
        let mut bad = der.clone();
        let last = bad.len() - 3;
        bad[last] ^= 0x01;
        assert!(Csr::from_der(&bad, "test").is_err());
    }

    #[test]
    fn garbage_is_bad_input() {
        assert_eq!(Csr::from_der(b"\x30\x03\x02\x01\x00", "t").expect_err("bad").exit_code(), 3);
    }
}
