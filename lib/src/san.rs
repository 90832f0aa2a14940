//! Subject Alternative Names: DNS names and IP addresses, told apart automatically, and the
//! service CIDR whose first address is the API server's in-cluster IP.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use der::asn1::{Ia5String, OctetString};
use x509_cert::ext::pkix::name::GeneralName;

use crate::error::{Error, Result};

/// One SAN entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum San {
    /// A DNS name (may start with `*.`).
    Dns(String),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// An e-mail address (`email:` prefix).
    Email(String),
    /// A URI (`uri:` prefix).
    Uri(String),
}

/// apimachinery's `validation.IsDNS1123Subdomain`: at most 253 characters of lower-case
/// letters, digits, `-` and `.`, each dot-separated part starting and ending with a letter or
/// digit.
pub fn is_dns1123_subdomain(name: &str) -> bool {
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        b.first().is_some_and(alnum) && b.last().is_some_and(alnum) && b.iter().all(|c| alnum(c) || *c == b'-')
    };
    !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok)
}

impl San {
    /// Parses a SAN as users type it: `10.0.0.1`, `::1`, `node-1`, `*.example.com`, or with
    /// openssl's prefixes `DNS:`, `IP:`, `email:`, `URI:`.
    pub fn parse(s: &str) -> Result<San> {
        let bad = |m: &str| Error::usage(format!("invalid SAN '{}': {m}", crate::term::sanitize(s)));
        if s.is_empty() {
            return Err(bad("empty"));
        }
        if s.trim() != s || s.contains(char::is_whitespace) {
            return Err(bad("contains white space"));
        }
        let lower = s.to_ascii_lowercase();
        if let Some(ip) = lower.strip_prefix("ip:") {
            return ip.parse::<IpAddr>().map(San::Ip).map_err(|_| bad("not an IP address"));
        }
        if lower.starts_with("dns:") {
            return check_dns(&s[4..]).map(|()| San::Dns(s[4..].to_ascii_lowercase())).map_err(|m| bad(&m));
        }
        if lower.starts_with("email:") {
            let v = &s[6..];
            if !v.contains('@') || !v.is_ascii() {
                return Err(bad("not an e-mail address"));
            }
            return Ok(San::Email(v.to_string()));
        }
        if lower.starts_with("uri:") {
            let v = &s[4..];
            if !v.contains(':') || !v.is_ascii() {
                return Err(bad("not a URI"));
            }
            return Ok(San::Uri(v.to_string()));
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(San::Ip(ip));
        }
        // Something that looks like an address but does not parse is a typo, not a DNS name.
        if s.contains(':') || s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(bad("not a valid IP address"));
        }
        check_dns(s).map_err(|m| bad(&m))?;
        Ok(San::Dns(s.to_ascii_lowercase()))
    }

    /// Whether a SAN read from a CSR obeys the rules [`San::parse`] applies to what users type:
    /// a DNS name of valid labels (one leading `*.` at most, never an IP address), an e-mail
    /// address or URI of printable ASCII without spaces.
    pub fn check(&self) -> std::result::Result<(), String> {
        let printable = |v: &str| v.chars().all(|c| c.is_ascii_graphic());
        match self {
            San::Dns(d) => {
                check_dns(d)?;
                if d.parse::<IpAddr>().is_ok() || d.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    return Err("an IP address written as a DNS name".into());
                }
                Ok(())
            }
            San::Email(e) if printable(e) && e.contains('@') => Ok(()),
            San::Email(_) => Err("not an e-mail address of printable ASCII".into()),
            San::Uri(u) if printable(u) && u.contains(':') => Ok(()),
            San::Uri(_) => Err("not a URI of printable ASCII".into()),
            San::Ip(_) => Ok(()),
        }
    }

    /// Why kubeadm would refuse this as an extra SAN (`apiServer.certSANs`): validation.go
    /// `ValidateCertSANs` accepts an IP, a DNS-1123 subdomain or `*.` + one; DNS-1123 allows
    /// lowercase letters, digits, '-' and '.', so '_' is refused (docs/kubeadm.md §3).
    pub fn kubeadm_refusal(&self) -> Option<String> {
        let San::Dns(d) = self else { return None };
        let body = d.strip_prefix("*.").unwrap_or(d);
        let ok = body.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        (!ok).then(|| {
            format!(
                "kubeadm refuses SAN '{}': not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.')",
                crate::term::sanitize(d)
            )
        })
    }

    /// As an X.509 GeneralName.
    pub fn to_general_name(&self) -> Result<GeneralName> {
        let ia5 = |v: &str| Ia5String::new(v).map_err(|_| Error::usage(format!("SAN '{v}' is not ASCII")));
        Ok(match self {
            San::Dns(d) => GeneralName::DnsName(ia5(d)?),
            San::Email(e) => GeneralName::Rfc822Name(ia5(e)?),
            San::Uri(u) => GeneralName::UniformResourceIdentifier(ia5(u)?),
            San::Ip(ip) => {
                let bytes = match ip {
                    IpAddr::V4(v4) => v4.octets().to_vec(),
                    IpAddr::V6(v6) => v6.octets().to_vec(),
                };
                GeneralName::IpAddress(OctetString::new(bytes).map_err(|_| Error::usage("bad IP SAN"))?)
            }
        })
    }

    /// openssl's config form (`DNS:x`, `IP:1.2.3.4`).
    pub fn to_openssl(&self) -> String {
        match self {
            San::Dns(d) => format!("DNS:{d}"),
            San::Ip(ip) => format!("IP:{ip}"),
            San::Email(e) => format!("email:{e}"),
            San::Uri(u) => format!("URI:{u}"),
        }
    }
}

impl fmt::Display for San {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            San::Dns(d) | San::Email(d) | San::Uri(d) => f.write_str(d),
            San::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

fn check_dns(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("empty DNS name".into());
    }
    if name.len() > 253 {
        return Err("DNS name longer than 253 characters".into());
    }
    let body = name.strip_prefix("*.").unwrap_or(name);
    for label in body.split('.') {
        if label.is_empty() {
            return Err("empty label in DNS name".into());
        }
        if label.len() > 63 {
            return Err("DNS label longer than 63 characters".into());
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err("DNS names may contain only letters, digits, '-', '_' and '.'".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a DNS label cannot start or end with '-'".into());
        }
    }
    Ok(())
}

/// A service CIDR (`--service-cidr`): kubeadm's `serviceSubnet`, a dual-stack pair `v4,v6`
/// allowed (the first is the primary). Its first usable address is given to the `kubernetes`
/// service, so it must be in the API server's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceCidr {
    text: String,
    first_ip: IpAddr,
}

impl Default for ServiceCidr {
    /// kubeadm's default, `10.96.0.0/12` (constants.go DefaultServicesSubnet).
    fn default() -> ServiceCidr {
        ServiceCidr { text: "10.96.0.0/12".into(), first_ip: IpAddr::V4(Ipv4Addr::new(10, 96, 0, 1)) }
    }
}

impl std::str::FromStr for ServiceCidr {
    type Err = Error;

    fn from_str(text: &str) -> Result<ServiceCidr> {
        Ok(ServiceCidr { text: text.trim().to_string(), first_ip: first_service_ip(text)? })
    }
}

impl fmt::Display for ServiceCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl ServiceCidr {
    /// The first usable address (`10.96.0.0/12` → `10.96.0.1`).
    pub fn first_ip(&self) -> IpAddr {
        self.first_ip
    }
}

fn first_service_ip(cidr: &str) -> Result<IpAddr> {
    let bad = |m: &str| Error::usage(format!("invalid service CIDR '{}': {m}", crate::term::sanitize(cidr)));
    let first = cidr.split(',').next().unwrap_or(cidr).trim();
    let (addr, len) = first.split_once('/').ok_or_else(|| bad("expected ADDRESS/PREFIX, e.g. 10.96.0.0/12"))?;
    let ip: IpAddr = addr.parse().map_err(|_| bad("not an IP address"))?;
    let len: u32 = len.parse().map_err(|_| bad("prefix length is not a number"))?;
    match ip {
        IpAddr::V4(v4) => {
            if len > 30 {
                return Err(bad("prefix length must be at most 30"));
            }
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let net = u32::from(v4) & mask;
            Ok(IpAddr::V4(Ipv4Addr::from(net + 1)))
        }
        IpAddr::V6(v6) => {
            if len > 126 {
                return Err(bad("prefix length must be at most 126"));
            }
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            let net = u128::from(v6) & mask;
            Ok(IpAddr::V6(Ipv6Addr::from(net + 1)))
        }
    }
}

impl std::str::FromStr for San {
    type Err = Error;

    fn from_str(s: &str) -> Result<San> {
        San::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sans_from_a_csr_obey_the_same_rules() {
        for bad in ["*", "*.*.com", "a b", "a\0b", "10.0.0.1", "-a.com", "a..b", "a\n$ touch x"] {
            assert!(San::Dns(bad.into()).check().is_err(), "{bad:?}");
        }
        for good in ["node-1", "*.example.com", "kubernetes.default.svc", "a_b.local"] {
            assert_eq!(San::Dns(good.into()).check(), Ok(()), "{good}");
        }
        assert!(San::Email("a b@c".into()).check().is_err());
        assert!(San::Uri("spiffe://x/\u{1b}".into()).check().is_err());
        assert_eq!(San::Uri("spiffe://cluster.local/ns/a".into()).check(), Ok(()));
    }

    #[test]
    fn tells_ips_from_names() {
        assert_eq!(San::parse("10.0.0.1").ok(), Some(San::Ip("10.0.0.1".parse().expect("ip"))));
        assert_eq!(San::parse("::1").ok(), Some(San::Ip("::1".parse().expect("ip"))));
        assert_eq!(San::parse("Node-1").ok(), Some(San::Dns("node-1".into())));
        assert_eq!(San::parse("*.example.com").ok(), Some(San::Dns("*.example.com".into())));
        assert_eq!(San::parse("IP:127.0.0.1").ok(), Some(San::Ip("127.0.0.1".parse().expect("ip"))));
        assert_eq!(San::parse("DNS:a.b").ok(), Some(San::Dns("a.b".into())));
    }

    #[test]
    fn rejects_bad_sans() {
        for bad in ["300.1.1.1", "", " a", "a b", "1.2.3", "fe80::zz", "a..b", "-a", "ä.com", "IP:x"] {
            let err = San::parse(bad).expect_err(bad);
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().starts_with("invalid SAN"), "{err}");
        }
    }

    #[test]
    fn service_ip_is_the_first_address() {
        assert_eq!(first_service_ip("10.96.0.0/12").ok(), Some("10.96.0.1".parse().expect("ip")));
        assert_eq!(first_service_ip("10.100.5.7/16").ok(), Some("10.100.0.1".parse().expect("ip")));
        assert_eq!(first_service_ip("fd00::/108,10.0.0.0/8").ok(), Some("fd00::1".parse().expect("ip")));
        for bad in ["10.96.0.0", "10.96.0.0/33", "x/12", "10.96.0.0/a"] {
            assert!(first_service_ip(bad).is_err(), "{bad}");
        }
    }
}
