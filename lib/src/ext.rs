//! X.509 extensions k8s-pki writes and reads: SAN, key usage, extended key usage, basic
//! constraints and key identifiers. Encoding is RustCrypto's; criticality follows Go's
//! crypto/x509 (kubeadm): key usage and basic constraints critical, the rest not.

use const_oid::db::rfc5280::{ID_KP_CLIENT_AUTH, ID_KP_SERVER_AUTH};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::OctetString;
use der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};

use crate::error::{Error, Result};
use crate::name_constraints::NameConstraints;
use crate::san::San;
use crate::usage::Usage;

/// OID of the SAN extension.
pub const SAN_OID: ObjectIdentifier = SubjectAltName::OID;
/// OID of the key usage extension.
pub const KEY_USAGE_OID: ObjectIdentifier = KeyUsage::OID;
/// OID of the extended key usage extension.
pub const EKU_OID: ObjectIdentifier = ExtendedKeyUsage::OID;
/// OID of the basic constraints extension.
pub const BASIC_CONSTRAINTS_OID: ObjectIdentifier = BasicConstraints::OID;
/// OID of the subject key identifier extension.
pub const SKI_OID: ObjectIdentifier = SubjectKeyIdentifier::OID;
/// OID of the authority key identifier extension.
pub const AKI_OID: ObjectIdentifier = AuthorityKeyIdentifier::OID;

fn encode<T: Encode + AssociatedOid>(value: &T, critical: bool) -> Result<Extension> {
    let der = value.to_der().map_err(|_| Error::internal("cannot encode an X.509 extension"))?;
    let extn_value = OctetString::new(der).map_err(|_| Error::internal("cannot encode an X.509 extension"))?;
    Ok(Extension { extn_id: T::OID, critical, extn_value })
}

/// Subject Alternative Name; critical only when the subject is empty (RFC 5280).
pub fn subject_alt_name(sans: &[San], subject_empty: bool) -> Result<Extension> {
    let names = sans.iter().map(San::to_general_name).collect::<Result<Vec<_>>>()?;
    encode(&SubjectAltName(names), subject_empty)
}

/// Key usage: a CA signs certificates; every key signs, and (as kubeadm sets for all keys)
/// may encipher keys.
pub fn key_usage(is_ca: bool) -> Result<Extension> {
    let mut flags = KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment;
    if is_ca {
        flags |= KeyUsages::KeyCertSign;
    }
    encode(&KeyUsage(flags), true)
}

/// Extended key usage from usages, in the order server, client.
pub fn extended_key_usage(usages: &[Usage]) -> Result<Extension> {
    let mut oids = Vec::new();
    if usages.contains(&Usage::Server) {
        oids.push(ID_KP_SERVER_AUTH);
    }
    if usages.contains(&Usage::Client) {
        oids.push(ID_KP_CLIENT_AUTH);
    }
    encode(&ExtendedKeyUsage(oids), false)
}

/// Basic constraints, critical: a CA with its path length limit (none unless the signer set one),
/// or not a CA.
pub fn basic_constraints(is_ca: bool, path_len: Option<u8>) -> Result<Extension> {
    encode(&BasicConstraints { ca: is_ca, path_len_constraint: path_len.filter(|_| is_ca) }, true)
}

/// The pathLenConstraint Go's crypto/x509 writes for a template's MaxPathLen and MaxPathLenZero
/// (x509.go, CreateCertificate): a positive value, 0 only with MaxPathLenZero, none for 0 alone or
/// -1. `Err` holds a value past 255, which no CA here is given, or below -1, which Go would
/// write as a negative pathLenConstraint.
pub fn go_path_len(max_path_len: i64, max_path_len_zero: bool) -> std::result::Result<Option<u8>, i64> {
    match (max_path_len, max_path_len_zero) {
        (0, true) => Ok(Some(0)),
        (n, _) if n > 0 => u8::try_from(n).map(Some).map_err(|_| n),
        (n, _) if n < -1 => Err(n),
        _ => Ok(None),
    }
}

/// Subject key identifier.
pub fn subject_key_identifier(id: &[u8]) -> Result<Extension> {
    let id = OctetString::new(id).map_err(|_| Error::internal("cannot encode a key identifier"))?;
    encode(&SubjectKeyIdentifier(id), false)
}

/// Authority key identifier naming the issuer's key.
pub fn authority_key_identifier(id: &[u8]) -> Result<Extension> {
    let id = OctetString::new(id).map_err(|_| Error::internal("cannot encode a key identifier"))?;
    encode(
        &AuthorityKeyIdentifier {
            key_identifier: Some(id),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
        false,
    )
}

/// What a set of extensions asks for or grants, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// SANs of the kinds we handle (DNS, IP, e-mail, URI).
    pub sans: Vec<San>,
    /// SAN kinds we do not handle (otherName, directoryName, ...), by description.
    pub other_sans: Vec<String>,
    /// serverAuth / clientAuth from EKU.
    pub usages: Vec<Usage>,
    /// Other EKU OIDs.
    pub other_ekus: Vec<ObjectIdentifier>,
    /// Whether an EKU extension is present at all.
    pub has_eku: bool,
    /// Basic constraints CA flag, if present.
    pub is_ca: Option<bool>,
    /// Path length constraint, if present.
    pub path_len: Option<u8>,
    /// Key usage flags, if present.
    pub key_usage: Option<KeyUsage>,
    /// Subject key identifier.
    pub ski: Option<Vec<u8>>,
    /// Authority key identifier's key id.
    pub aki: Option<Vec<u8>>,
    /// Extensions we do not understand: (OID, critical).
    pub unknown: Vec<(ObjectIdentifier, bool)>,
    /// Whether there is a SAN extension at all.
    pub has_san: bool,
    /// Whether the SAN extension is marked critical.
    pub san_critical: bool,
    /// Name constraints and whether they are critical.
    pub name_constraints: Option<(NameConstraints, bool)>,
}

/// OID of the name constraints extension.
pub const NAME_CONSTRAINTS_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");

/// Decodes extensions given as (OID bytes, critical, value DER). `source` names the input.
pub fn decode<'a>(exts: impl IntoIterator<Item = (ObjectIdentifier, bool, &'a [u8])>, source: &str) -> Result<Decoded> {
    let bad = |what: &str| Error::input(source, format!("malformed {what} extension"));
    let mut d = Decoded::default();
    for (oid, critical, value) in exts {
        // Go reads name constraints whole and every other body from its first element on.
        let value = if oid == NAME_CONSTRAINTS_OID { value } else { first_element(value) };
        match oid {
            o if o == NAME_CONSTRAINTS_OID => {
                let nc = NameConstraints::decode(value).ok_or_else(|| bad("nameConstraints"))?;
                d.name_constraints = Some((nc, critical));
            }
            o if o == SAN_OID => {
                d.has_san = true;
                d.san_critical = critical;
                let san = SubjectAltName::from_der(value).map_err(|_| bad("subjectAltName"))?;
                for name in san.0 {
                    match general_name_to_san(&name) {
                        Some(s) => d.sans.push(s),
                        None => d.other_sans.push(describe_general_name(&name)),
                    }
                }
            }
            o if o == EKU_OID => {
                let eku = ExtendedKeyUsage::from_der(value).map_err(|_| bad("extendedKeyUsage"))?;
                d.has_eku = true;
                for oid in eku.0 {
                    if oid == ID_KP_SERVER_AUTH {
                        d.usages.push(Usage::Server);
                    } else if oid == ID_KP_CLIENT_AUTH {
                        d.usages.push(Usage::Client);
                    } else {
                        d.other_ekus.push(oid);
                    }
                }
            }
            o if o == BASIC_CONSTRAINTS_OID => {
                let (ca, path_len) = basic_constraints_of(value).ok_or_else(|| bad("basicConstraints"))?;
                d.is_ca = Some(ca);
                d.path_len = path_len;
            }
            o if o == KEY_USAGE_OID => {
                d.key_usage = Some(KeyUsage::from_der(value).map_err(|_| bad("keyUsage"))?);
            }
            o if o == SKI_OID => {
                let ski = SubjectKeyIdentifier::from_der(value).map_err(|_| bad("subjectKeyIdentifier"))?;
                d.ski = Some(ski.0.as_bytes().to_vec());
            }
            o if o == AKI_OID => {
                d.aki = key_identifier_of(value).ok_or_else(|| bad("authorityKeyIdentifier"))?;
            }
            other => d.unknown.push((other, critical)),
        }
    }
    Ok(d)
}

/// basicConstraints read as Go reads it (parser.go parseBasicConstraintsExtension, 1.19–1.24):
/// an optional BOOLEAN then an optional INTEGER that fits an int64, anything after ignored. A
/// negative pathLen is no constraint (Go's Verify skips `MaxPathLen < 0`), and so is one above 255,
/// which no chain reaches.
fn basic_constraints_of(value: &[u8]) -> Option<(bool, Option<u8>)> {
    use der::{Reader, Tag, Tagged, asn1::AnyRef};
    let outer = AnyRef::decode(&mut der::SliceReader::new(value).ok()?).ok()?;
    if outer.tag() != Tag::Sequence {
        return None;
    }
    let mut r = der::SliceReader::new(outer.value()).ok()?;
    let mut ca = false;
    if !r.is_finished() && Tag::peek(&r).ok()? == Tag::Boolean {
        ca = bool::decode(&mut r).ok()?;
    }
    let mut path_len = None;
    if !r.is_finished() && Tag::peek(&r).ok()? == Tag::Integer {
        let int = der::asn1::Int::decode(&mut r).ok()?;
        let bytes = int.as_bytes();
        if bytes.len() > 8 {
            return None;
        }
        let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
        path_len = if negative {
            None
        } else {
            bytes
                .iter()
                .try_fold(0u64, |n, b| n.checked_mul(256)?.checked_add(u64::from(*b)))
                .and_then(|n| u8::try_from(n).ok())
        };
    }
    Some((ca, path_len))
}

/// The first TLV of `value` (all of it when there is none to read).
fn first_element(value: &[u8]) -> &[u8] {
    use der::Reader;
    let Ok(mut r) = der::SliceReader::new(value) else { return value };
    let used = r.decode::<der::asn1::AnyRef<'_>>().ok().and_then(|_| usize::try_from(u32::from(r.position())).ok());
    used.and_then(|n| value.get(..n)).unwrap_or(value)
}

/// An authority key identifier's keyIdentifier (`[0]`), as Go reads it: the SEQUENCE's first
/// element when it is one, the rest unread.
fn key_identifier_of(value: &[u8]) -> Option<Option<Vec<u8>>> {
    use der::{Reader, Tag, asn1::AnyRef};
    let outer: AnyRef<'_> = der::SliceReader::new(value).ok()?.decode().ok()?;
    if der::Tagged::tag(&outer) != Tag::Sequence {
        return None;
    }
    let key_id = Tag::ContextSpecific { constructed: false, number: der::TagNumber(0) };
    let mut r = der::SliceReader::new(outer.value()).ok()?;
    if r.is_finished() || Tag::peek(&r).ok()? != key_id {
        return Some(None);
    }
    let id: AnyRef<'_> = r.decode().ok()?;
    Some(Some(id.value().to_vec()))
}

fn general_name_to_san(name: &GeneralName) -> Option<San> {
    match name {
        GeneralName::DnsName(d) => Some(San::Dns(d.to_string())),
        GeneralName::Rfc822Name(e) => Some(San::Email(e.to_string())),
        GeneralName::UniformResourceIdentifier(u) => Some(San::Uri(u.to_string())),
        GeneralName::IpAddress(ip) => {
            let b = ip.as_bytes();
            match b.len() {
                4 => <[u8; 4]>::try_from(b).ok().map(|a| San::Ip(std::net::IpAddr::from(a))),
                16 => <[u8; 16]>::try_from(b).ok().map(|a| San::Ip(std::net::IpAddr::from(a))),
                _ => None,
            }
        }
        _ => None,
    }
}

fn describe_general_name(name: &GeneralName) -> String {
    match name {
        GeneralName::OtherName(o) => format!("otherName {}", o.type_id),
        GeneralName::DirectoryName(_) => "directoryName".into(),
        GeneralName::RegisteredId(o) => format!("registeredID {o}"),
        GeneralName::IpAddress(_) => "malformed IP address".into(),
        _ => "unsupported name".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_extensions_decode_back() {
        let sans = vec![
            San::parse("node-1").expect("dns"),
            San::parse("10.0.0.1").expect("ip"),
            San::parse("::1").expect("ip6"),
        ];
        let exts = [
            subject_alt_name(&sans, false).expect("san"),
            key_usage(true).expect("ku"),
            extended_key_usage(&[Usage::Client, Usage::Server]).expect("eku"),
            basic_constraints(true, None).expect("bc"),
            subject_key_identifier(&[1, 2, 3]).expect("ski"),
            authority_key_identifier(&[4, 5]).expect("aki"),
        ];
        let d = decode(exts.iter().map(|e| (e.extn_id, e.critical, e.extn_value.as_bytes())), "test").expect("decode");
        assert_eq!(d.sans, sans);
        assert_eq!(d.usages, vec![Usage::Server, Usage::Client]);
        assert_eq!(d.is_ca, Some(true));
        assert!(d.key_usage.expect("ku").key_cert_sign());
        assert_eq!(d.ski, Some(vec![1, 2, 3]));
        assert_eq!(d.aki, Some(vec![4, 5]));
        assert!(d.unknown.is_empty());
        assert!(exts[1].critical && exts[3].critical && !exts[0].critical);
    }
}
