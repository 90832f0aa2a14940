//! X.509 name constraints as Go's crypto/x509 applies them (verify.go: checkNameConstraints,
//! matchDomainConstraint, matchIPConstraint, matchEmailConstraint, matchURIConstraint;
//! go1.19 through go1.24): a CA's permitted and excluded DNS, IP, e-mail and URI subtrees,
//! checked against a leaf's SANs.

use std::net::IpAddr;

use der::Decode;
use x509_cert::ext::pkix::NameConstraints as Encoded;
use x509_cert::ext::pkix::constraints::name::GeneralSubtrees;
use x509_cert::ext::pkix::name::GeneralName;

use crate::go_release::GoRelease;
use crate::san::San;

/// One CA's constraints, by kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameConstraints {
    /// Permitted subtrees.
    pub permitted: Subtrees,
    /// Excluded subtrees.
    pub excluded: Subtrees,
    /// A subtree of a kind Go does not handle (directoryName, otherName, ...): a critical
    /// extension with one is unhandled for Go.
    pub unhandled: bool,
}

/// Subtrees of the kinds Go checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subtrees {
    /// DNS domains (`example.com`, `.example.com`, or empty for all).
    pub dns: Vec<String>,
    /// IP ranges: address bytes and mask bytes of the same length.
    pub ip: Vec<(Vec<u8>, Vec<u8>)>,
    /// E-mail constraints (a mailbox, a domain or `.domain`).
    pub email: Vec<String>,
    /// URI domain constraints.
    pub uri: Vec<String>,
}

impl NameConstraints {
    /// Decodes the extension's value; `None` when it is malformed (Go refuses to parse it).
    pub fn decode(value: &[u8]) -> Option<NameConstraints> {
        let nc = Encoded::from_der(value).ok()?;
        let mut out = NameConstraints::default();
        out.permitted = subtrees(nc.permitted_subtrees.as_ref(), &mut out.unhandled)?;
        out.excluded = subtrees(nc.excluded_subtrees.as_ref(), &mut out.unhandled)?;
        Some(out)
    }

    /// Go's verdict on one SAN: `Err(detail)` as in "… not authorized to sign for this name: DETAIL".
    pub fn check(&self, san: &San) -> Result<(), String> {
        self.check_counted(san, &mut 0, usize::MAX, GoRelease::default()).map_err(|e| match e {
            Refusal::Name(detail) => detail,
            Refusal::TooManyComparisons => "too many comparisons".into(),
        })
    }

    /// [`NameConstraints::check`], counting comparisons as Go's checkNameConstraints does: before
    /// the excluded constraints of the SAN's kind are tried their number is added to `count`, then
    /// that of the permitted ones; past `max`, Go gives up (`TooManyConstraints`).
    pub fn check_counted(&self, san: &San, count: &mut usize, max: usize, go: GoRelease) -> Result<(), Refusal> {
        match san {
            San::Dns(name) => {
                if reverse_labels(name, go).is_none() {
                    return Err(Refusal::Name(format!("x509: cannot parse dnsName {}", go_quote(name))));
                }
                let m = |c: &String| match_domain(name, c, go);
                apply("DNS name", name, (&self.excluded.dns, &self.permitted.dns), (count, max), m)
            }
            San::Ip(ip) => {
                let bytes = match ip {
                    IpAddr::V4(v4) => v4.octets().to_vec(),
                    IpAddr::V6(v6) => v6.octets().to_vec(),
                };
                let shown = ip.to_canonical().to_string();
                let matches = |(net, mask): &(Vec<u8>, Vec<u8>)| {
                    Ok(net.len() == bytes.len() && bytes.iter().zip(net).zip(mask).all(|((b, n), m)| b & m == n & m))
                };
                apply("IP address", &shown, (&self.excluded.ip, &self.permitted.ip), (count, max), matches)
            }
            San::Email(mailbox) => {
                let Some((local, domain)) = mailbox.rsplit_once('@').filter(|(l, d)| !l.is_empty() && !d.is_empty())
                else {
                    // Go prints the zero rfc2821Mailbox it failed to fill, not the name.
                    return Err(Refusal::Name("x509: cannot parse rfc822Name {\"\" \"\"}".into()));
                };
                let m = |c: &String| match c.rsplit_once('@') {
                    Some((cl, cd)) => Ok(cl == local && cd.eq_ignore_ascii_case(domain)),
                    None => match_domain(domain, c, go),
                };
                apply("email address", mailbox, (&self.excluded.email, &self.permitted.email), (count, max), m)
            }
            San::Uri(uri) => {
                let m = |c: &String| match_uri(uri, c, go);
                apply("URI", uri, (&self.excluded.uri, &self.permitted.uri), (count, max), m)
            }
        }
    }
}

/// Why a SAN is refused: a name's detail, or Go's comparison budget spent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// "… not authorized to sign for this name: DETAIL", or a parse error in Go's words.
    Name(String),
    /// Go's `TooManyConstraints`.
    TooManyComparisons,
}

fn apply<C: ConstraintText>(
    kind: &str,
    name: &str,
    (excluded, permitted): (&[C], &[C]),
    (count, max): (&mut usize, usize),
    matches: impl Fn(&C) -> Result<bool, String>,
) -> Result<(), Refusal> {
    *count = count.saturating_add(excluded.len());
    if *count > max {
        return Err(Refusal::TooManyComparisons);
    }
    for c in excluded {
        if matches(c).map_err(Refusal::Name)? {
            return Err(Refusal::Name(format!(
                "{kind} {} is excluded by constraint {}",
                go_quote(name),
                go_quote(&c.text())
            )));
        }
    }
    *count = count.saturating_add(permitted.len());
    if *count > max {
        return Err(Refusal::TooManyComparisons);
    }
    let mut ok = true;
    for c in permitted {
        ok = matches(c).map_err(Refusal::Name)?;
        if ok {
            break;
        }
    }
    if ok {
        Ok(())
    } else {
        Err(Refusal::Name(format!("{kind} {} is not permitted by any constraint", go_quote(name))))
    }
}

/// How a constraint is quoted in Go's message (`%q` of the constraint value).
trait ConstraintText {
    fn text(&self) -> String;
}

impl ConstraintText for String {
    fn text(&self) -> String {
        self.clone()
    }
}

impl ConstraintText for (Vec<u8>, Vec<u8>) {
    /// Go prints a *net.IPNet with %q as its String(): `10.0.0.0/8`.
    fn text(&self) -> String {
        let (net, mask) = self;
        let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
        let ip = match net.len() {
            4 => <[u8; 4]>::try_from(net.as_slice()).map(IpAddr::from).map(|i| i.to_string()),
            _ => <[u8; 16]>::try_from(net.as_slice()).map(IpAddr::from).map(|i| i.to_string()),
        };
        format!("{}/{ones}", ip.unwrap_or_default())
    }
}

fn subtrees(trees: Option<&GeneralSubtrees>, unhandled: &mut bool) -> Option<Subtrees> {
    let mut out = Subtrees::default();
    for tree in trees.into_iter().flatten() {
        match &tree.base {
            GeneralName::DnsName(d) => {
                let d = d.to_string();
                let trimmed = d.strip_prefix('.').unwrap_or(&d);
                if !d.is_empty() && reverse_labels(trimmed, GoRelease { minor: 19 }).is_none() {
                    return None;
                }
                out.dns.push(d);
            }
            GeneralName::IpAddress(ip) => {
                let b = ip.as_bytes();
                if b.len() != 8 && b.len() != 32 {
                    return None;
                }
                let (net, mask) = b.split_at(b.len() / 2);
                out.ip.push((net.to_vec(), mask.to_vec()));
            }
            GeneralName::Rfc822Name(e) => out.email.push(e.to_string()),
            GeneralName::UniformResourceIdentifier(u) => out.uri.push(u.to_string()),
            _ => *unhandled = true,
        }
    }
    Some(out)
}

/// Go's domainToReverseLabels: labels right to left; `None` for an empty label or a byte
/// outside 33..=126; the empty domain has no labels (and is fine); a leading dot is dropped
/// before go1.23 and refused from it.
fn reverse_labels(domain: &str, go: GoRelease) -> Option<Vec<&str>> {
    let domain = if go.refuses_leading_dot() { domain } else { domain.strip_prefix('.').unwrap_or(domain) };
    if domain.is_empty() {
        return Some(Vec::new());
    }
    let labels: Vec<&str> = domain.rsplit('.').collect();
    let ok = labels.iter().all(|l| !l.is_empty() && l.bytes().all(|c| (33..=126).contains(&c)));
    ok.then_some(labels)
}

fn match_domain(domain: &str, constraint: &str, go: GoRelease) -> Result<bool, String> {
    if constraint.is_empty() {
        return Ok(true);
    }
    let domain_labels = reverse_labels(domain, go)
        .ok_or_else(|| format!("x509: internal error: cannot parse domain {}", go_quote(domain)))?;
    let (must_have_subdomains, constraint) = match constraint.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, constraint),
    };
    let constraint_labels = reverse_labels(constraint, go)
        .ok_or_else(|| format!("x509: internal error: cannot parse domain {}", go_quote(constraint)))?;
    if domain_labels.len() < constraint_labels.len()
        || (must_have_subdomains && domain_labels.len() == constraint_labels.len())
    {
        return Ok(false);
    }
    Ok(constraint_labels.iter().zip(&domain_labels).all(|(c, d)| c.eq_ignore_ascii_case(d)))
}

fn match_uri(uri: &str, constraint: &str, go: GoRelease) -> Result<bool, String> {
    let after_scheme = uri.split_once("://").map(|(_, rest)| rest);
    let host = after_scheme
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""))
        .map(|authority| authority.rsplit_once('@').map_or(authority, |(_, h)| h))
        .unwrap_or("");
    if host.is_empty() {
        return Err(format!("URI with empty host ({}) cannot be matched against constraints", go_quote(uri)));
    }
    let host = match host.rsplit_once(':') {
        Some((h, port)) if !host.ends_with(']') && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    if (host.starts_with('[') && host.ends_with(']')) || host.parse::<IpAddr>().is_ok() {
        return Err(format!("URI with IP ({}) cannot be matched against constraints", go_quote(uri)));
    }
    match_domain(host, constraint, go)
}

/// Go's `%q`: a double-quoted string with `"` and `\` escaped and non-printable characters
/// as `\n`, `\x00`, `\u200b` escapes.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if crate::term::sanitize(&c.to_string()) != c.to_string() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nc(permitted: &[&str], excluded: &[&str]) -> NameConstraints {
        NameConstraints {
            permitted: Subtrees { dns: permitted.iter().map(|s| s.to_string()).collect(), ..Subtrees::default() },
            excluded: Subtrees { dns: excluded.iter().map(|s| s.to_string()).collect(), ..Subtrees::default() },
            unhandled: false,
        }
    }

    #[test]
    fn domains_as_go_matches_them() {
        let c = nc(&["example.com"], &[]);
        assert_eq!(c.check(&San::Dns("example.com".into())), Ok(()));
        assert_eq!(c.check(&San::Dns("a.EXAMPLE.com".into())), Ok(()));
        assert_eq!(
            c.check(&San::Dns("badexample.com".into())),
            Err("DNS name \"badexample.com\" is not permitted by any constraint".into())
        );
        let dot = nc(&[".example.com"], &[]);
        assert!(dot.check(&San::Dns("example.com".into())).is_err());
        assert_eq!(dot.check(&San::Dns("a.example.com".into())), Ok(()));
        let ex = nc(&[], &["bad.example.com"]);
        assert_eq!(
            ex.check(&San::Dns("x.bad.example.com".into())),
            Err("DNS name \"x.bad.example.com\" is excluded by constraint \"bad.example.com\"".into())
        );
    }

    #[test]
    fn ips_and_uris() {
        let c = NameConstraints {
            permitted: Subtrees { ip: vec![(vec![10, 0, 0, 0], vec![255, 0, 0, 0])], ..Subtrees::default() },
            ..NameConstraints::default()
        };
        assert_eq!(c.check(&San::Ip("10.1.2.3".parse().expect("ip"))), Ok(()));
        assert_eq!(
            c.check(&San::Ip("11.0.0.1".parse().expect("ip"))),
            Err("IP address \"11.0.0.1\" is not permitted by any constraint".into())
        );
        let go = GoRelease::default();
        assert_eq!(match_uri("spiffe://cluster.local/ns/a", "cluster.local", go), Ok(true));
        assert!(match_uri("https://10.0.0.1:443/", "x", go).is_err());
        // A leading dot: dropped by go1.19, refused by go1.23.
        assert!(reverse_labels(".a.com", GoRelease { minor: 19 }).is_some());
        assert!(reverse_labels(".a.com", go).is_none());
    }

    #[test]
    fn quotes_as_go() {
        assert_eq!(go_quote("a\"b\n\u{200b}"), "\"a\\\"b\\n\\u200b\"");
    }
}
