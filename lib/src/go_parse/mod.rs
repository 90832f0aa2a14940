//! What Go's `x509.ParseCertificate` refuses, with Go's words (crypto/x509 parser.go, go1.19;
//! release differences as [`GoRelease`] data). A certificate Go cannot parse never reaches path
//! validation in any Kubernetes component: a peer's fails the TLS handshake, a member of a CA
//! bundle is skipped by `CertPool.AppendCertsFromPEM`. So k8s-verify says "Go cannot parse this
//! certificate" exactly where Go's parser fails, and nothing else about it.
//!
//! The walk follows `parseCertificate`'s order: framing, version, serial, the inner and outer
//! signature algorithms, names, validity, the public key (`parsePublicKey`), the extension list
//! (duplicates refused while it is read), then each known extension's body in order
//! (`processExtensions`, [`extensions`]), and trailing data last. docs/verification.md lists every
//! refusal and what is not modelled.

mod extensions;
mod tlv;

use tlv::{Ext, context, integer, items, minimal, oid_of, seq};

use der::asn1::AnyRef;
use der::{Reader, SliceReader, Tag, Tagged};

use crate::go_release::GoRelease;

/// Go's error for `der`, or `Ok` when Go's parser accepts it.
pub fn check(der: &[u8], go: GoRelease) -> Result<(), String> {
    let mut outer = SliceReader::new(der).map_err(|_| "x509: malformed certificate".to_string())?;
    let cert = seq(&mut outer, "x509: malformed certificate")?;
    let mut c = SliceReader::new(cert.value()).map_err(|_| "x509: malformed certificate".to_string())?;
    let tbs = seq(&mut c, "x509: malformed tbs certificate")?;
    let mut t = SliceReader::new(tbs.value()).map_err(|_| "x509: malformed tbs certificate".to_string())?;
    let version = version(&mut t)?;
    serial(&mut t, go)?;
    let inner = seq(&mut t, "x509: malformed signature algorithm identifier")?;
    let outer_alg = seq(&mut c, "x509: malformed algorithm identifier")?;
    if inner.value() != outer_alg.value() {
        return Err("x509: inner and outer signature algorithm identifiers don't match".into());
    }
    if items(inner.value()).and_then(|i| i.first().and_then(|o| oid_of(o, go))).is_none() {
        return Err("x509: malformed OID".into());
    }
    seq(&mut t, "x509: malformed issuer")?;
    validity(&mut t, go)?;
    seq(&mut t, "x509: malformed issuer")?;
    let spki = seq(&mut t, "x509: malformed spki")?;
    public_key(spki.value(), go)?;
    if version == 3 {
        let exts = extension_list(&mut t, go)?;
        extensions::process(&exts, go)?;
    }
    if !outer.is_finished() {
        return Err("x509: trailing data".into());
    }
    Ok(())
}

/// `[0] EXPLICIT INTEGER` version, default v1: Go's `cert.Version` (1 to 3).
fn version(t: &mut SliceReader<'_>) -> Result<u32, String> {
    if Tag::peek(t).ok() != Some(context(0, true)) {
        return Ok(1);
    }
    let v = t.decode::<AnyRef<'_>>().map_err(|_| "x509: malformed version".to_string())?;
    let n = match items(v.value()).as_deref() {
        Some([i]) if i.tag() == Tag::Integer => integer(i.value()).ok_or("x509: malformed version")?,
        _ => return Err("x509: malformed version".into()),
    };
    if n < 0 {
        return Err("x509: malformed version".into());
    }
    if n > 2 {
        return Err("x509: invalid version".into());
    }
    Ok(n as u32 + 1)
}

fn serial(t: &mut SliceReader<'_>, go: GoRelease) -> Result<(), String> {
    let s = t.decode::<AnyRef<'_>>().map_err(|_| "x509: malformed serial number".to_string())?;
    if s.tag() != Tag::Integer || minimal(s.value()).is_none() {
        return Err("x509: malformed serial number".into());
    }
    if go.refuses_negative_serials() && s.value().first().is_some_and(|b| b & 0x80 != 0) {
        return Err("x509: negative serial number".into());
    }
    Ok(())
}

fn validity(t: &mut SliceReader<'_>, go: GoRelease) -> Result<(), String> {
    let v = seq(t, "x509: malformed validity")?;
    let times = items(v.value()).ok_or("x509: malformed validity")?;
    let [not_before, not_after, ..] = times.as_slice() else { return Err("x509: malformed validity".into()) };
    for time in [not_before, not_after] {
        match time.tag() {
            Tag::UtcTime if !utc_time(time.value(), go) => return Err("x509: malformed UTCTime".into()),
            Tag::GeneralizedTime if !generalized_time(time.value(), go) => {
                return Err("x509: malformed GeneralizedTime".into());
            }
            Tag::UtcTime | Tag::GeneralizedTime => {}
            _ => return Err("x509: unsupported time format".into()),
        }
    }
    Ok(())
}

/// Digits `s` as a number.
fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(
        0u32,
        |n, b| if b.is_ascii_digit() { n.checked_mul(10)?.checked_add(u32::from(b - b'0')) } else { None },
    )
}

/// Whether `year-month-day hh:mm:ss` is a real time (what `time.Parse` checks).
fn real_time(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> bool {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && hour < 24 && minute < 60 && second < 60
}

/// The zone after the seconds: `Z`, or `±hhmm` other than zero (Go formats zero as `Z`, and a
/// time that does not format back to its own bytes is refused); go1.23 also refuses an offset
/// over 24 hours.
fn zone(z: &[u8], go: GoRelease) -> bool {
    match z {
        [b'Z'] => true,
        [b'+' | b'-', rest @ ..] if rest.len() == 4 => {
            let (hh, mm) = (digits(rest.get(..2).unwrap_or_default()), digits(rest.get(2..).unwrap_or_default()));
            matches!((hh, mm), (Some(h), Some(m)) if (h <= 24 || !go.limits_zone_hours()) && m < 60 && (h, m) != (0, 0))
        }
        _ => false,
    }
}

/// Go's UTCTime: `YYMMDDhhmmss` or `YYMMDDhhmm`, then the zone; nothing else (cryptobyte
/// ReadASN1UTCTime: layouts "060102150405Z0700" and "0601021504Z0700", formatted back).
fn utc_time(v: &[u8], go: GoRelease) -> bool {
    let f = |a: usize, b: usize| v.get(a..b).and_then(digits);
    let (Some(yy), Some(mo), Some(d), Some(h), Some(mi)) = (f(0, 2), f(2, 4), f(4, 6), f(6, 8), f(8, 10)) else {
        return false;
    };
    let (secs, z) = match v.len() {
        13 | 17 => (f(10, 12), v.get(12..)),
        11 | 15 => (Some(0), v.get(10..)),
        _ => (None, None),
    };
    let year = if yy >= 50 { 1900 + yy } else { 2000 + yy };
    match (secs, z) {
        (Some(s), Some(z)) => real_time(year, mo, d, h, mi, s) && zone(z, go),
        _ => false,
    }
}

/// Go's GeneralizedTime: `YYYYMMDDhhmmss` and the zone; no fraction, no missing seconds.
fn generalized_time(v: &[u8], go: GoRelease) -> bool {
    if v.len() != 15 && v.len() != 19 {
        return false;
    }
    let f = |a: usize, b: usize| v.get(a..b).and_then(digits);
    match (f(0, 4), f(4, 6), f(6, 8), f(8, 10), f(10, 12), f(12, 14)) {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) => {
            real_time(y, mo, d, h, mi, s) && zone(v.get(14..).unwrap_or_default(), go)
        }
        _ => false,
    }
}

const RSA: &str = "1.2.840.113549.1.1.1";
const EC: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";

/// parsePublicKey: RSA, ECDSA (named P-224/256/384/521 curves, uncompressed points on the
/// curve), Ed25519; any other algorithm is accepted (its signatures fail later).
fn public_key(spki: &[u8], go: GoRelease) -> Result<(), String> {
    let parts = items(spki).ok_or("x509: malformed spki")?;
    let [alg, bits, ..] = parts.as_slice() else { return Err("x509: malformed spki".into()) };
    if alg.tag() != Tag::Sequence || bits.tag() != Tag::BitString {
        return Err("x509: malformed spki".into());
    }
    let ai = items(alg.value()).ok_or("x509: malformed public key algorithm identifier")?;
    let oid = ai.first().and_then(|o| oid_of(o, go)).ok_or("x509: malformed public key algorithm identifier")?;
    let params = ai.get(1);
    let key = bits.value().split_first().map(|(_, k)| k).unwrap_or_default();
    match oid.as_str() {
        RSA => rsa_key(params, key),
        EC => ec_key(params, key, go),
        ED25519 if params.is_some() => Err("x509: Ed25519 key encoded with illegal parameters".into()),
        ED25519 if key.len() != 32 => Err("x509: wrong Ed25519 public key size".into()),
        _ => Ok(()),
    }
}

fn rsa_key(params: Option<&AnyRef<'_>>, key: &[u8]) -> Result<(), String> {
    if !params.is_some_and(|p| p.tag() == Tag::Null && p.value().is_empty()) {
        return Err("x509: RSA key missing NULL parameters".into());
    }
    let parts = match items(key).as_deref() {
        Some([s]) if s.tag() == Tag::Sequence => items(s.value()).ok_or("x509: invalid RSA public key")?,
        _ => return Err("x509: invalid RSA public key".into()),
    };
    let (Some(n), Some(e)) = (parts.first(), parts.get(1)) else { return Err("x509: invalid RSA modulus".into()) };
    if n.tag() != Tag::Integer || minimal(n.value()).is_none() {
        return Err("x509: invalid RSA modulus".into());
    }
    let e = if e.tag() == Tag::Integer { integer(e.value()) } else { None };
    let e = e.ok_or("x509: invalid RSA public exponent")?;
    let n_positive = n.value().first().is_some_and(|b| b & 0x80 == 0) && n.value().iter().any(|b| *b != 0);
    if !n_positive {
        return Err("x509: RSA modulus is not a positive number".into());
    }
    if e <= 0 {
        return Err("x509: RSA public exponent is not a positive number".into());
    }
    Ok(())
}

/// The named curves Go 1.19 knows (x509.go namedCurveFromOID), with the point size.
const CURVES: &[(&str, usize)] =
    &[("1.3.132.0.33", 28), ("1.2.840.10045.3.1.7", 32), ("1.3.132.0.34", 48), ("1.3.132.0.35", 66)];

fn ec_key(params: Option<&AnyRef<'_>>, key: &[u8], go: GoRelease) -> Result<(), String> {
    let curve = params.and_then(|p| oid_of(p, go)).ok_or("x509: invalid ECDSA parameters")?;
    let Some((_, size)) = CURVES.iter().find(|(oid, _)| *oid == curve) else {
        return Err("x509: unsupported elliptic curve".into());
    };
    let unmarshal = "x509: failed to unmarshal elliptic curve point".to_string();
    if key.len() != 1 + 2 * size || key.first() != Some(&4) {
        return Err(unmarshal);
    }
    let alg: Option<&'static dyn aws_lc_rs::signature::VerificationAlgorithm> = match *size {
        32 => Some(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1),
        48 => Some(&aws_lc_rs::signature::ECDSA_P384_SHA384_ASN1),
        66 => Some(&aws_lc_rs::signature::ECDSA_P521_SHA512_ASN1),
        _ => None,
    };
    match alg {
        Some(alg) if aws_lc_rs::signature::ParsedPublicKey::new(alg, key).is_err() => Err(unmarshal),
        _ => Ok(()),
    }
}

/// The `[3]` extension list, each read as Go reads it; a second extension with an OID already
/// seen is refused here, before any body is parsed.
fn extension_list<'a>(t: &mut SliceReader<'a>, go: GoRelease) -> Result<Vec<Ext<'a>>, String> {
    // Unique IDs ([1], [2]) may come first.
    while let Ok(tag) = Tag::peek(t) {
        if tag == context(3, true) {
            break;
        }
        if tag != context(1, false) && tag != context(2, false) {
            return Ok(Vec::new());
        }
        t.decode::<AnyRef<'_>>().map_err(|_| "x509: malformed extensions".to_string())?;
    }
    if t.is_finished() {
        return Ok(Vec::new());
    }
    let wrapper = t.decode::<AnyRef<'a>>().map_err(|_| "x509: malformed extensions".to_string())?;
    let list = match items(wrapper.value()).as_deref() {
        Some([s]) if s.tag() == Tag::Sequence => items(s.value()).ok_or("x509: malformed extensions")?,
        _ => return Err("x509: malformed extensions".into()),
    };
    let mut out: Vec<Ext<'a>> = Vec::new();
    for e in list {
        if e.tag() != Tag::Sequence {
            return Err("x509: malformed extension".into());
        }
        let parts = items(e.value()).ok_or("x509: malformed extension")?;
        let oid = parts.first().and_then(|o| oid_of(o, go)).ok_or("x509: malformed extension OID field")?;
        let (critical, value) = match parts.as_slice() {
            [_, c, v] => (Some(c), v),
            [_, v] => (None, v),
            _ => return Err("x509: malformed extension".into()),
        };
        if critical.is_some_and(|c| c.tag() != Tag::Boolean || !matches!(c.value(), [0] | [0xff])) {
            return Err("x509: malformed extension critical field".into());
        }
        if value.tag() != Tag::OctetString {
            return Err("x509: malformed extension value field".into());
        }
        if out.iter().any(|x| x.oid == oid) {
            return Err(if go.names_duplicate_oid() {
                format!(
                    "x509: certificate contains duplicate extension with OID {}",
                    crate::name_constraints::go_quote(&oid)
                )
            } else {
                "x509: certificate contains duplicate extensions".into()
            });
        }
        out.push(Ext { oid, critical: critical.is_some_and(|c| c.value() == [0xff]), value: value.value() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_go_reads_them() {
        let (g19, g24) = (GoRelease { minor: 19 }, GoRelease { minor: 24 });
        let utc = |v: &[u8]| utc_time(v, g24);
        let gt = |v: &[u8]| generalized_time(v, g24);
        assert!(utc(b"261207120000Z") && utc(b"2612071200Z") && utc(b"261207120000+0100"));
        assert!(!utc(b"261207120000+0000") && !utc(b"261207120000") && !utc(b"261302120000Z"));
        assert!(gt(b"20261207120000Z") && gt(b"20261207120000-0130"));
        assert!(!gt(b"20261207120000.5Z") && !gt(b"202612071200Z"));
        assert!(!gt(b"20260229120000Z") && gt(b"20280229120000Z") && gt(b"99991231235959Z"));
        // An offset over a day: go1.19 formats it back, go1.23 refuses it.
        assert!(generalized_time(b"20261207120000+2500", g19) && !gt(b"20261207120000+2500"));
    }

    #[test]
    fn integers_are_minimal() {
        assert_eq!(integer(&[2]), Some(2));
        assert_eq!(integer(&[0xff]), Some(-1));
        assert_eq!(integer(&[0, 1]), None);
        assert_eq!(integer(&[]), None);
    }
}
