//! Subjects: the CN (Kubernetes user name) and every O (Kubernetes group), in order.
//!
//! Each attribute is written as its own RDN, as `openssl req -subj /O=a/O=b/CN=x` does, so
//! no group is lost or reordered. Reading accepts both separate RDNs and Go's multi-valued
//! RDNs (`O=a+O=b`, what kubeadm and cfssl write).

use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc4519::{
    COMMON_NAME, COUNTRY_NAME, LOCALITY_NAME, ORGANIZATION_NAME, ORGANIZATIONAL_UNIT_NAME, SERIAL_NUMBER,
    ST as STATE_OR_PROVINCE_NAME, STREET,
};
use der::asn1::{Any, PrintableStringRef};
use der::{Decode, Encode, Tag};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::error::{Error, Result};

const EMAIL_ADDRESS: ObjectIdentifier = const_oid::db::rfc3280::EMAIL_ADDRESS;
const POSTAL_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.17");

/// Attribute short names we read and write, as openssl names them.
const ATTRS: &[(&str, ObjectIdentifier)] = &[
    ("CN", COMMON_NAME),
    ("O", ORGANIZATION_NAME),
    ("OU", ORGANIZATIONAL_UNIT_NAME),
    ("C", COUNTRY_NAME),
    ("ST", STATE_OR_PROVINCE_NAME),
    ("L", LOCALITY_NAME),
    ("street", STREET),
    ("postalCode", POSTAL_CODE),
    ("serialNumber", SERIAL_NUMBER),
    ("emailAddress", EMAIL_ADDRESS),
];

/// A subject as an ordered list of (attribute, value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    /// Attributes in order; each becomes its own RDN when written.
    pub attrs: Vec<(ObjectIdentifier, String)>,
}

impl Subject {
    /// A subject with CN `cn` and one O per group, written O first then CN, as Go orders them.
    pub fn new(cn: Option<&str>, orgs: &[String]) -> Subject {
        let mut attrs: Vec<(ObjectIdentifier, String)> = orgs.iter().map(|o| (ORGANIZATION_NAME, o.clone())).collect();
        if let Some(cn) = cn {
            attrs.push((COMMON_NAME, cn.to_string()));
        }
        Subject { attrs }
    }

    /// Parses openssl's `-subj` syntax: `/CN=alice/O=dev/O=ops` (`\/` escapes a slash,
    /// `+` joins attributes of one RDN, which we write as separate RDNs).
    pub fn parse_openssl(s: &str) -> Result<Subject> {
        let bad = |m: &str| Error::usage(format!("--subj '{s}': {m}"));
        let body = s.strip_prefix('/').ok_or_else(|| bad("must start with '/', e.g. /CN=alice/O=dev"))?;
        let mut parts = Vec::new();
        let mut cur = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(n) => cur.push(n),
                    None => return Err(bad("trailing backslash")),
                },
                '/' | '+' => parts.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        parts.push(cur);
        let mut attrs = Vec::new();
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| bad(&format!("'{part}' is not TYPE=value")))?;
            let oid = attr_oid(k.trim()).ok_or_else(|| bad(&format!("unknown attribute type '{k}'")))?;
            if v.is_empty() {
                continue; // openssl skips empty values too
            }
            attrs.push((oid, v.to_string()));
        }
        Ok(Subject { attrs })
    }

    /// Each CN and O value holding a character outside ASCII, marked with its code points
    /// (`O 'sуstem:masters' has U+0443 at 2`): a look-alike of an ASCII name is another name to
    /// Kubernetes.
    pub fn non_ascii(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (label, value) in
            self.cn().map(|cn| ("CN", cn.to_string())).into_iter().chain(self.orgs().into_iter().map(|o| ("O", o)))
        {
            let marks: Vec<String> = value
                .chars()
                .enumerate()
                .filter(|(_, c)| !c.is_ascii())
                .map(|(i, c)| format!("U+{:04X} at {}", u32::from(c), i + 1))
                .collect();
            if !marks.is_empty() {
                out.push(format!("{label} '{}' has {}", crate::term::sanitize(&value), marks.join(", ")));
            }
        }
        out
    }

    /// The first CN, if any.
    pub fn cn(&self) -> Option<&str> {
        self.values(COMMON_NAME).next()
    }

    /// Every O value, in order.
    pub fn orgs(&self) -> Vec<String> {
        self.values(ORGANIZATION_NAME).map(str::to_string).collect()
    }

    fn values(&self, oid: ObjectIdentifier) -> impl Iterator<Item = &str> {
        self.attrs.iter().filter(move |(o, _)| *o == oid).map(|(_, v)| v.as_str())
    }

    /// Replaces the CN (or adds one at the end).
    pub fn set_cn(&mut self, cn: &str) {
        match self.attrs.iter_mut().find(|(o, _)| *o == COMMON_NAME) {
            Some(slot) => slot.1 = cn.to_string(),
            None => self.attrs.push((COMMON_NAME, cn.to_string())),
        }
    }

    /// Replaces every O with `orgs` (placed where the first O was, or first).
    pub fn set_orgs(&mut self, orgs: &[String]) {
        let at = self.attrs.iter().position(|(o, _)| *o == ORGANIZATION_NAME).unwrap_or(0);
        self.attrs.retain(|(o, _)| *o != ORGANIZATION_NAME);
        let at = at.min(self.attrs.len());
        for (i, org) in orgs.iter().enumerate() {
            self.attrs.insert(at + i, (ORGANIZATION_NAME, org.clone()));
        }
    }

    /// Whether the subject is empty.
    pub fn is_empty(&self) -> bool {
        self.attrs.is_empty()
    }

    /// Encodes as an X.509 Name, one RDN per attribute (C as PrintableString, the rest UTF8String).
    pub fn to_name(&self) -> Result<Name> {
        let mut seq = RdnSequence::default();
        for (oid, value) in &self.attrs {
            if value.is_empty() {
                return Err(Error::usage(format!("empty value for {}", attr_short(oid))));
            }
            let any = if *oid == COUNTRY_NAME {
                let p = PrintableStringRef::new(value)
                    .map_err(|_| Error::usage(format!("country '{value}' must be a two-letter code")))?;
                Any::encode_from(&p)
            } else {
                Any::new(Tag::Utf8String, value.as_bytes())
            }
            .map_err(|_| Error::usage(format!("cannot encode subject value '{value}'")))?;
            let rdn = RelativeDistinguishedName::try_from(vec![AttributeTypeAndValue { oid: *oid, value: any }])
                .map_err(|_| Error::usage("cannot encode subject"))?;
            seq.push(rdn);
        }
        let der = seq.to_der().map_err(|_| Error::usage("cannot encode subject"))?;
        Name::from_der(&der).map_err(|_| Error::usage("cannot encode subject"))
    }
}

/// The OID of an openssl short attribute name (case-insensitive for the common ones).
fn attr_oid(short: &str) -> Option<ObjectIdentifier> {
    ATTRS.iter().find(|(s, _)| s.eq_ignore_ascii_case(short)).map(|(_, o)| *o)
}

/// The openssl short name of an attribute OID, or the dotted OID.
pub fn attr_short(oid: &ObjectIdentifier) -> String {
    ATTRS.iter().find(|(_, o)| o == oid).map(|(s, _)| s.to_string()).unwrap_or_else(|| oid.to_string())
}

/// Converts x509-parser's OID to const-oid's.
pub fn oid_of(oid: &x509_parser::der_parser::oid::Oid<'_>) -> Option<ObjectIdentifier> {
    ObjectIdentifier::from_bytes(oid.as_bytes()).ok()
}

/// Every attribute of a parsed name, in order.
pub fn subject_of(name: &x509_parser::x509::X509Name<'_>) -> Subject {
    let attrs = name
        .iter_attributes()
        .filter_map(|atv| {
            let oid = oid_of(atv.attr_type())?;
            let value = atv.as_str().map(str::to_string).unwrap_or_else(|_| {
                format!("#{}", atv.attr_value().data.iter().map(|b| format!("{b:02x}")).collect::<String>())
            });
            Some((oid, value))
        })
        .collect();
    Subject { attrs }
}

impl fmt::Display for Subject {
    /// openssl's one-line form: `O = system:masters, CN = kubernetes-admin` style, compact.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> =
            self.attrs.iter().map(|(oid, v)| format!("{}={}", attr_short(oid), crate::term::sanitize(v))).collect();
        f.write_str(&parts.join(", "))
    }
}

impl Subject {
    /// openssl's `-subj` form: `/O=system:masters/CN=kubernetes-admin`.
    pub fn to_openssl(&self) -> String {
        self.attrs
            .iter()
            .map(|(oid, v)| format!("/{}={}", attr_short(oid), v.replace('/', "\\/").replace('+', "\\+")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_survives_encoding() {
        let groups = vec!["dev".to_string(), "ops".to_string(), "system:masters".to_string()];
        let s = Subject::new(Some("alice"), &groups);
        let der = s.to_name().expect("encode").to_der().expect("der");
        let (_, name) =
            <x509_parser::x509::X509Name<'_> as x509_parser::prelude::FromDer<'_, _>>::from_der(&der).expect("decode");
        let back = subject_of(&name);
        assert_eq!(back.orgs(), groups);
        assert_eq!(back.cn(), Some("alice"));
        assert_eq!(back, s);
    }

    #[test]
    fn openssl_subj_syntax() {
        let s = Subject::parse_openssl("/CN=system:node:n1/O=system:nodes/O=a\\/b").expect("parses");
        assert_eq!(s.cn(), Some("system:node:n1"));
        assert_eq!(s.orgs(), vec!["system:nodes", "a/b"]);
        assert_eq!(s.to_openssl(), "/CN=system:node:n1/O=system:nodes/O=a\\/b");
        let multi = Subject::parse_openssl("/O=a+O=b/CN=x").expect("parses");
        assert_eq!(multi.orgs(), vec!["a", "b"]);
        assert!(Subject::parse_openssl("CN=x").is_err());
        assert!(Subject::parse_openssl("/XX=1").is_err());
        assert!(Subject::parse_openssl("/CN").is_err());
    }

    #[test]
    fn overrides_keep_order() {
        let mut s = Subject::new(Some("kubernetes-admin"), &["system:masters".to_string()]);
        s.set_orgs(&["kubeadm:cluster-admins".to_string(), "x".to_string()]);
        s.set_cn("root");
        assert_eq!(s.to_string(), "O=kubeadm:cluster-admins, O=x, CN=root");
    }

    #[test]
    fn country_must_be_printable() {
        assert!(Subject::parse_openssl("/C=DE/CN=x").expect("parse").to_name().is_ok());
        assert!(Subject::parse_openssl("/C=Ü/CN=x").expect("parse").to_name().is_err());
    }
}
