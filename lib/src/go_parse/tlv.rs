//! DER read as Go's cryptobyte reads it: TLVs, context tags, minimal integers that fit an `int`,
//! object identifiers, and an extension as read — the pieces both the certificate and its
//! extensions are parsed with.

use der::asn1::AnyRef;
use der::{Reader, SliceReader, Tag, Tagged};

use crate::go_release::GoRelease;

/// One extension as read: its OID (dotted), whether it is critical, and its value.
pub(crate) struct Ext<'a> {
    pub(super) oid: String,
    pub(super) critical: bool,
    pub(super) value: &'a [u8],
}

pub(super) fn seq<'a>(r: &mut SliceReader<'a>, err: &str) -> Result<AnyRef<'a>, String> {
    match r.decode::<AnyRef<'a>>() {
        Ok(a) if a.tag() == Tag::Sequence => Ok(a),
        _ => Err(err.into()),
    }
}

/// Every TLV in `bytes`; `None` when they do not parse as DER.
pub(crate) fn items(bytes: &[u8]) -> Option<Vec<AnyRef<'_>>> {
    let mut r = SliceReader::new(bytes).ok()?;
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(r.decode::<AnyRef<'_>>().ok()?);
    }
    Some(out)
}

pub(super) fn context(n: u8, constructed: bool) -> Tag {
    Tag::ContextSpecific { constructed, number: der::TagNumber(u32::from(n)) }
}

/// A minimal DER INTEGER that fits an i64 (Go reads the version, RSA exponent and path length
/// into an `int`).
pub(super) fn integer(v: &[u8]) -> Option<i64> {
    if v.is_empty() || v.len() > 8 || minimal(v).is_none() {
        return None;
    }
    let mut n: i64 = if v.first().is_some_and(|b| b & 0x80 != 0) { -1 } else { 0 };
    for b in v {
        n = (n << 8) | i64::from(*b);
    }
    Some(n)
}

/// Whether a DER INTEGER's content is minimally encoded (`Some`), as cryptobyte demands.
pub(super) fn minimal(v: &[u8]) -> Option<()> {
    match v {
        [] => None,
        [0, next, ..] if next & 0x80 == 0 => None,
        [0xff, next, ..] if next & 0x80 != 0 => None,
        _ => Some(()),
    }
}

/// An OBJECT IDENTIFIER as Go reads it: dotted; `None` when malformed (go1.21 also refuses a
/// sub-identifier padded with a leading 0x80 byte).
pub(crate) fn oid_of(a: &AnyRef<'_>, go: GoRelease) -> Option<String> {
    let v = a.value();
    let padded =
        v.iter().enumerate().any(|(i, b)| *b == 0x80 && (i == 0 || v.get(i - 1).is_some_and(|p| p & 0x80 == 0)));
    if a.tag() != Tag::ObjectIdentifier || (padded && go.refuses_padded_oids()) {
        return None;
    }
    der::asn1::ObjectIdentifier::from_bytes(v).ok().map(|o| o.to_string())
}
