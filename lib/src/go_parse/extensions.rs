//! The bodies of the extensions Go's parser knows (parser.go processExtensions, go1.19), each
//! refused with Go's words: key usage, basic constraints, SANs, name constraints, CRL
//! distribution points, key identifiers, extended key usage, policies and authority information
//! access. Other extensions are not parsed (an unknown critical one fails `Verify`, not here).

use der::asn1::AnyRef;
use der::{Reader, Tag, Tagged};

use super::tlv::{Ext, context, integer, items, oid_of};
use crate::go_release::GoRelease;

/// Every known extension's body, in the certificate's order; the first refusal wins.
pub(super) fn process(exts: &[Ext<'_>], go: GoRelease) -> Result<(), String> {
    for e in exts {
        let v = e.value;
        // go1.23 refuses these three when critical, before reading them.
        let critical_refused = match e.oid.as_str() {
            "2.5.29.35" => Some("authority key identifier"),
            "2.5.29.14" => Some("subject key identifier"),
            "1.3.6.1.5.5.7.1.1" => Some("authority info access"),
            _ => None,
        };
        if let Some(what) = critical_refused.filter(|_| e.critical && go.refuses_critical_key_ids()) {
            return Err(format!("x509: {what} incorrectly marked critical"));
        }
        match e.oid.as_str() {
            "2.5.29.15" => key_usage(v)?,
            "2.5.29.19" => basic_constraints(v, go)?,
            "2.5.29.17" => sans(v, go)?,
            "2.5.29.30" => name_constraints(v, go)?,
            "2.5.29.31" => crl_distribution_points(v)?,
            "2.5.29.35" => authority_key_id(v)?,
            "2.5.29.37" => ekus(v, go)?,
            "2.5.29.14" => {
                Cursor(v).read(Tag::OctetString).map(|_| ()).ok_or("x509: invalid subject key identifier")?
            }
            "2.5.29.32" => policies(v, go)?,
            "1.3.6.1.5.5.7.1.1" => authority_info_access(v, go)?,
            _ => {}
        }
    }
    Ok(())
}

/// cryptobyte's way of reading: one TLV at a time from the front, whatever follows it left
/// unread (Go reads most extension bodies so, ignoring trailing bytes).
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    /// The next TLV and the bytes after it.
    fn next(&self) -> Option<(AnyRef<'a>, &'a [u8])> {
        let mut r = der::SliceReader::new(self.0).ok()?;
        let any: AnyRef<'a> = r.decode().ok()?;
        let used = usize::try_from(u32::from(r.position())).ok()?;
        Some((any, self.0.get(used..)?))
    }

    /// ReadASN1: the next TLV's content when its tag is `tag`.
    fn read(&mut self, tag: Tag) -> Option<&'a [u8]> {
        let (any, rest) = self.next().filter(|(a, _)| a.tag() == tag)?;
        self.0 = rest;
        Some(any.value())
    }

    /// PeekASN1Tag: whether the next tag is `tag` (its length unread).
    fn peek(&self, tag: Tag) -> bool {
        der::SliceReader::new(self.0).ok().and_then(|r| Tag::peek(&r).ok()) == Some(tag)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// ReadASN1ObjectIdentifier.
    fn read_oid(&mut self, go: GoRelease) -> Option<String> {
        let (any, rest) = self.next()?;
        let oid = oid_of(&any, go)?;
        self.0 = rest;
        Some(oid)
    }
}

/// The single TLV of `v`, when it has `tag`.
fn one(v: &[u8], tag: Tag) -> Option<AnyRef<'_>> {
    match items(v)?.as_slice() {
        [a] if a.tag() == tag => Some(*a),
        _ => None,
    }
}

fn key_usage(v: &[u8]) -> Result<(), String> {
    let bits = Cursor(v).read(Tag::BitString).ok_or("x509: invalid key usage")?;
    // cryptobyte ReadASN1BitString: a padding count under 8, none on an empty string, and zero
    // padding bits.
    match bits {
        [pad] if *pad == 0 => Ok(()),
        [pad, .., last] if *pad < 8 && last & ((1u8 << pad) - 1) == 0 => Ok(()),
        _ => Err("x509: invalid key usage".into()),
    }
}

fn basic_constraints(v: &[u8], go: GoRelease) -> Result<(), String> {
    // go1.19 and go1.20 tell the three refusals apart with a letter.
    let bad = |letter: &str| {
        if go.basic_constraints_suffix() {
            format!("x509: invalid basic constraints {letter}")
        } else {
            "x509: invalid basic constraints".into()
        }
    };
    let mut s = Cursor(Cursor(v).read(Tag::Sequence).ok_or_else(|| bad("a"))?);
    if s.peek(Tag::Boolean) && !matches!(s.read(Tag::Boolean), Some([0] | [0xff])) {
        return Err(bad("b"));
    }
    if !s.is_empty() && s.peek(Tag::Integer) && s.read(Tag::Integer).and_then(integer).is_none() {
        return Err(bad("c"));
    }
    Ok(())
}

/// Whether every character is ASCII (Go's isIA5String, over the bytes read as UTF-8).
fn ia5(v: &[u8]) -> bool {
    v.is_ascii()
}

fn sans(v: &[u8], go: GoRelease) -> Result<(), String> {
    let s = Cursor(v).read(Tag::Sequence).ok_or("x509: invalid subject alternative names")?;
    let names = items(s).ok_or("x509: invalid subject alternative name")?;
    for n in names {
        let value = n.value();
        match n.tag() {
            t if t == context(1, false) && !ia5(value) => return Err("x509: SAN rfc822Name is malformed".into()),
            t if t == context(2, false) && !ia5(value) => return Err("x509: SAN dNSName is malformed".into()),
            t if t == context(6, false) => uri(value, go)?,
            t if t == context(7, false) && value.len() != 4 && value.len() != 16 => {
                return Err(format!("x509: cannot parse IP address of length {}", value.len()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A URI SAN: ASCII, and when it has an authority, a host whose labels Go accepts
/// (domainToReverseLabels). URIs `url.Parse` refuses for other reasons are not modelled.
fn uri(value: &[u8], go: GoRelease) -> Result<(), String> {
    if !ia5(value) {
        return Err("x509: SAN uniformResourceIdentifier is malformed".into());
    }
    let text = String::from_utf8_lossy(value);
    let Some((_, after)) = text.split_once("://") else { return Ok(()) };
    let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    if host.is_empty() || host.starts_with('[') {
        return Ok(());
    }
    if !domain_labels_ok(host, go) {
        return Err(format!("x509: cannot parse URI {}: invalid domain", crate::name_constraints::go_quote(&text)));
    }
    Ok(())
}

/// Go's domainToReverseLabels: no empty label (so no trailing dot), every byte in 33..=126; the
/// empty domain is fine; a leading dot is dropped before go1.23 and refused from it.
fn domain_labels_ok(d: &str, go: GoRelease) -> bool {
    let d = if go.refuses_leading_dot() { d } else { d.strip_prefix('.').unwrap_or(d) };
    d.is_empty() || d.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| (33..=126).contains(&b)))
}

fn name_constraints(v: &[u8], go: GoRelease) -> Result<(), String> {
    let invalid = "x509: invalid NameConstraints extension";
    let top = one(v, Tag::Sequence).ok_or(invalid)?;
    let parts = items(top.value()).ok_or(invalid)?;
    let (mut permitted, mut excluded) = (None, None);
    let mut rest = parts.as_slice();
    if let Some((p, tail)) = rest.split_first().filter(|(p, _)| p.tag() == context(0, true)) {
        permitted = Some(p.value());
        rest = tail;
    }
    if let Some((e, tail)) = rest.split_first().filter(|(e, _)| e.tag() == context(1, true)) {
        excluded = Some(e.value());
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(invalid.into());
    }
    if permitted.unwrap_or_default().is_empty() && excluded.unwrap_or_default().is_empty() {
        return Err("x509: empty name constraints extension".into());
    }
    for subtrees in [permitted, excluded].into_iter().flatten() {
        for subtree in items(subtrees).ok_or(invalid)? {
            let base = (subtree.tag() == Tag::Sequence).then(|| first(subtree.value())).flatten().ok_or(invalid)?;
            constraint(&base, go)?;
        }
    }
    Ok(())
}

/// One constraint's base: DNS names and IP ranges as Go checks them (other kinds are not
/// modelled here; an unknown kind is Go's "unhandled", not an error).
fn constraint(base: &AnyRef<'_>, go: GoRelease) -> Result<(), String> {
    let value = base.value();
    if base.tag() == context(2, false) {
        let text = String::from_utf8_lossy(value);
        if !ia5(value) {
            return Err(format!(
                "x509: invalid constraint value: x509: {} cannot be encoded as an IA5String",
                crate::name_constraints::go_quote(&text)
            ));
        }
        if !domain_labels_ok(text.strip_prefix('.').unwrap_or(&text), go) {
            return Err(format!(
                "x509: failed to parse dnsName constraint {}",
                crate::name_constraints::go_quote(&text)
            ));
        }
    } else if base.tag() == context(7, false) {
        if value.len() != 8 && value.len() != 32 {
            return Err(format!("x509: IP constraint contained value of length {}", value.len()));
        }
        let mask = value.get(value.len() / 2..).unwrap_or_default();
        let ones_then_zeros = mask.iter().map(|b| format!("{b:08b}")).collect::<String>();
        if ones_then_zeros.contains("01") {
            let hex: String = mask.iter().map(|b| format!("{b:02x}")).collect();
            return Err(format!("x509: IP constraint contained invalid mask {hex}"));
        }
    }
    Ok(())
}

/// The first TLV of `v`, whatever follows it.
fn first(v: &[u8]) -> Option<AnyRef<'_>> {
    Cursor(v).next().map(|(a, _)| a)
}

/// A SEQUENCE OF, each element read by `each` from its own cursor; `bad` when anything is off.
fn each_of(v: &[u8], tag: Tag, bad: &str, mut each: impl FnMut(&mut Cursor<'_>) -> Option<()>) -> Result<(), String> {
    let mut list = Cursor(Cursor(v).read(Tag::Sequence).ok_or(bad)?);
    while !list.is_empty() {
        let mut element = Cursor(list.read(tag).ok_or(bad)?);
        each(&mut element).ok_or(bad)?;
    }
    Ok(())
}

/// Distribution points: an optional `[0]` name holding a `[0]` full name, whose leading URIs
/// (`[6]`) are read.
fn crl_distribution_points(v: &[u8]) -> Result<(), String> {
    Cursor(v).read(Tag::Sequence).ok_or("x509: invalid CRL distribution points")?;
    each_of(v, Tag::Sequence, "x509: invalid CRL distribution point", |dp| {
        if !dp.peek(context(0, true)) {
            return Some(());
        }
        let mut full = Cursor(Cursor(dp.read(context(0, true))?).read(context(0, true))?);
        while !full.is_empty() && full.peek(context(6, false)) {
            full.read(context(6, false))?;
        }
        Some(())
    })
}

fn authority_key_id(v: &[u8]) -> Result<(), String> {
    let mut s = Cursor(Cursor(v).read(Tag::Sequence).ok_or("x509: invalid authority key identifier")?);
    if s.peek(context(0, false)) && s.read(context(0, false)).is_none() {
        return Err("x509: invalid authority key identifier".into());
    }
    Ok(())
}

fn ekus(v: &[u8], go: GoRelease) -> Result<(), String> {
    let bad = "x509: invalid extended key usages";
    let mut list = Cursor(Cursor(v).read(Tag::Sequence).ok_or(bad)?);
    while !list.is_empty() {
        list.read_oid(go).ok_or(bad)?;
    }
    Ok(())
}

fn policies(v: &[u8], go: GoRelease) -> Result<(), String> {
    each_of(v, Tag::Sequence, "x509: invalid certificate policies", |p| p.read_oid(go).map(|_| ()))
}

/// Each access description: a method OID, then a location read only when it is a URI (`[6]`).
fn authority_info_access(v: &[u8], go: GoRelease) -> Result<(), String> {
    each_of(v, Tag::Sequence, "x509: invalid authority info access", |d| {
        d.read_oid(go)?;
        if d.peek(context(6, false)) {
            d.read(context(6, false))?;
        }
        Some(())
    })
}
