//! Where `--connect` goes: `HOST:PORT`, `[IPV6]:PORT` or an `https://` URL as kubeconfigs hold it.

use std::str::FromStr;

/// Where to connect: `HOST:PORT`, `[IPV6]:PORT`, or `https://HOST[:PORT][/…]` (port 443).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The host name or address, without brackets.
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (rest, default_port) = match s.split_once("://") {
            Some(("https", rest)) => (rest.split('/').next().unwrap_or(""), Some(443)),
            Some((scheme, _)) => return Err(format!("'{}' is not https", crate::term::sanitize(scheme))),
            None => (s, None),
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (host, after) = inner.split_once(']').ok_or("an IPv6 address needs its closing ']'")?;
            (host, after.strip_prefix(':'))
        } else {
            match rest.rsplit_once(':') {
                Some((h, _)) if h.contains(':') => return Err("write an IPv6 address in brackets: [::1]:6443".into()),
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            }
        };
        if host.is_empty() || host.chars().any(|c| c.is_control() || c.is_whitespace() || "/?#@".contains(c)) {
            return Err("expected HOST:PORT or https://HOST:PORT".into());
        }
        let port = match (port, default_port) {
            (Some(p), _) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or("the port must be 1 to 65535")?,
            (None, Some(p)) => p,
            (None, None) => return Err("give a port: HOST:PORT (6443 for kube-apiserver)".into()),
        };
        Ok(Target { host: host.to_string(), port })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_as_kubectl_writes_servers() {
        let t = |s: &str| s.parse::<Target>();
        assert_eq!(t("10.0.0.10:6443"), Ok(Target { host: "10.0.0.10".into(), port: 6443 }));
        assert_eq!(t("https://cp.example:6443/"), Ok(Target { host: "cp.example".into(), port: 6443 }));
        assert_eq!(t("https://cp.example"), Ok(Target { host: "cp.example".into(), port: 443 }));
        assert_eq!(t("[fd00::1]:2379"), Ok(Target { host: "fd00::1".into(), port: 2379 }));
        assert_eq!(t("https://[fd00::1]:6443").map(|t| t.to_string()), Ok("[fd00::1]:6443".into()));
        for bad in ["cp.example", "http://a:1", "fd00::1:6443", "a:0", "a:99999", ":6443", "a b:1", "[::1"] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }
}
