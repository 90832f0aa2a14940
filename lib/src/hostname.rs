//! `--host`: a name or address a client dials, matched against a certificate as Go's
//! `x509.Certificate.VerifyHostname` matches it (crypto/x509/verify.go, go1.19 through
//! go1.24), with Go's `HostnameError` text when it does not match.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::cert::Cert;
use crate::go_release::GoRelease;
use crate::san::San;

/// A host as given: an IP address (optionally in `[ ]`) or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host(String);

impl FromStr for Host {
    type Err = String;

    fn from_str(s: &str) -> Result<Host, String> {
        if s.is_empty() || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("a host is a DNS name or an IP address, without spaces or control characters".into());
        }
        Ok(Host(s.to_string()))
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::term::sanitize(&self.0))
    }
}

impl From<&San> for Host {
    /// The name or address of a SAN (what a client dials to be matched by it).
    fn from(san: &San) -> Host {
        match san {
            San::Dns(d) | San::Email(d) | San::Uri(d) => Host(d.clone()),
            San::Ip(ip) => Host(ip.to_string()),
        }
    }
}

impl Host {
    /// The host as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host without the `[ ]` an address may be written in (Go's `candidateIP`).
    fn unbracketed(&self) -> &str {
        let h = &self.0;
        let inner = if h.len() >= 3 && h.starts_with('[') && h.ends_with(']') { h.get(1..h.len() - 1) } else { None };
        inner.unwrap_or(h)
    }

    /// The address, if the host is one (`[::1]` included), as Go's net.ParseIP reads it.
    pub fn ip(&self) -> Option<IpAddr> {
        self.unbracketed().parse().ok()
    }
}

/// Go's VerifyHostname: `Err` is HostnameError's text.
pub fn verify_hostname(cert: &Cert, host: &Host, go: GoRelease) -> Result<(), String> {
    if let Some(ip) = host.ip() {
        let found = cert.ext.sans.iter().any(|s| matches!(s, San::Ip(i) if i.to_canonical() == ip.to_canonical()));
        return if found { Ok(()) } else { Err(hostname_error(cert, host.unbracketed())) };
    }
    let candidate = host.0.to_ascii_lowercase();
    let valid_candidate = valid_hostname(&candidate, false, go);
    let found = dns_names(cert).iter().any(|pattern| {
        if valid_candidate && valid_hostname(pattern, true, go) {
            match_hostnames(pattern, &candidate)
        } else {
            match_exactly(pattern, &candidate)
        }
    });
    if found { Ok(()) } else { Err(hostname_error(cert, &host.0)) }
}

fn dns_names(cert: &Cert) -> Vec<&str> {
    cert.ext.sans.iter().filter_map(|s| if let San::Dns(d) = s { Some(d.as_str()) } else { None }).collect()
}

/// HostnameError.Error().
fn hostname_error(cert: &Cert, host: &str) -> String {
    if !cert.ext.has_san && match_hostnames(cert.subject.cn().unwrap_or(""), host) {
        return "x509: certificate relies on legacy Common Name field, use SANs instead".into();
    }
    let valid = if host.parse::<IpAddr>().is_ok() {
        let ips: Vec<String> = cert
            .ext
            .sans
            .iter()
            .filter_map(|s| if let San::Ip(i) = s { Some(i.to_canonical().to_string()) } else { None })
            .collect();
        if ips.is_empty() {
            return format!("x509: cannot validate certificate for {host} because it doesn't contain any IP SANs");
        }
        ips.join(", ")
    } else {
        dns_names(cert).join(", ")
    };
    if valid.is_empty() {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    }
    format!("x509: certificate is valid for {valid}, not {host}")
}

/// Whether Go would match a dialled name against this CN or SAN as a host name pattern (Go's
/// `validHostname(name, true)`): otherwise only an exact match counts.
pub fn valid_pattern(name: &str, go: GoRelease) -> bool {
    valid_hostname(name, true, go)
}

/// Go's validHostname: labels of letters, digits, `-` (not first), `_`; a pattern may start
/// with a `*` label; an input may end with one dot. From go1.23 a bare `*` is not a pattern
/// (verify.go validHostname), so it matches only a dialled `*`.
fn valid_hostname(host: &str, is_pattern: bool, go: GoRelease) -> bool {
    let host = if is_pattern { host } else { host.strip_suffix('.').unwrap_or(host) };
    if host.is_empty() || (go.refuses_bare_wildcard() && host == "*") {
        return false;
    }
    host.split('.').enumerate().all(|(i, part)| {
        !part.is_empty()
            && ((is_pattern && i == 0 && part == "*")
                || part.chars().enumerate().all(|(j, c)| c.is_ascii_alphanumeric() || (c == '-' && j != 0) || c == '_'))
    })
}

fn match_exactly(a: &str, b: &str) -> bool {
    if a.is_empty() || a == "." || b.is_empty() || b == "." {
        return false;
    }
    a.eq_ignore_ascii_case(b)
}

fn match_hostnames(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let (p, h): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), host.split('.').collect());
    p.len() == h.len() && p.iter().zip(&h).enumerate().all(|(i, (pp, hp))| (i == 0 && *pp == "*") || pp == hp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_hostname_rules() {
        let go = GoRelease::default();
        assert!(valid_hostname("a_b.example.com.", false, go));
        assert!(!valid_hostname("-a.example.com", false, go));
        assert!(valid_hostname("*.example.com", true, go));
        assert!(!valid_hostname("a.*.com", true, go));
        assert!(!valid_hostname("*", true, go), "go1.23+: a bare * is no pattern");
        assert!(valid_hostname("*", true, GoRelease { minor: 22 }));
        assert!(match_hostnames("*.example.com", "a.example.com."));
        assert!(!match_hostnames("*.example.com", "example.com"));
        assert!(!match_hostnames("*.example.com", "a.b.example.com"));
        assert!(match_exactly("A.b", "a.B"));
        let h: Host = "[::1]".parse().expect("host");
        assert_eq!(h.ip(), "::1".parse().ok());
        assert!("a b".parse::<Host>().is_err());
    }
}
