//! The API server URLs kubeadm writes into kubeconfigs (util/endpoint.go; docs/kubeadm.md
//! section 5): the control-plane endpoint `HOST[:PORT]` as kubeadm parses it, the local
//! endpoint `https://ADVERTISE:6443`, and which of them a kubeconfig gets.

use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::kubeadm::release::Server;
use crate::san::{San, is_dns1123_subdomain};

/// The API server's port when none is written (kubeadm's `bindPort` default).
pub const API_PORT: u16 = 6443;

/// A control-plane endpoint: a DNS name or an IP address, and maybe a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The host: also the SAN kubeadm adds to the API server's certificate for it
    /// (pkiutil `GetAPIServerAltNames`), an IP or a DNS name.
    pub host: San,
    /// The port written in it.
    pub port: Option<u16>,
}

/// `https://HOST:PORT`, an IPv6 host in brackets.
fn url(host: &San, port: u16) -> String {
    match host {
        San::Ip(IpAddr::V6(ip)) => format!("https://[{ip}]:{port}"),
        other => format!("https://{other}:{port}"),
    }
}

/// Where a node's kubeconfigs point: its advertise address and the control-plane endpoint.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// `--advertise-address`: the local API endpoint's host.
    pub advertise: IpAddr,
    /// `--control-plane-endpoint`, if there is one.
    pub control_plane: Option<Endpoint>,
}

impl Endpoints {
    /// The URL of `server`: the local one is `https://ADVERTISE:6443` (`GetLocalAPIEndpoint`);
    /// the control-plane one is the endpoint with its own port or 6443, or the local one when
    /// there is no endpoint (`GetControlPlaneEndpoint`).
    pub fn url(&self, server: Server) -> String {
        match (server, &self.control_plane) {
            (Server::ControlPlane, Some(cpe)) => url(&cpe.host, cpe.port.unwrap_or(API_PORT)),
            _ => url(&San::Ip(self.advertise), API_PORT),
        }
    }
}

/// Reads `HOST[:PORT]` as kubeadm's util/endpoint.go `ParseHostPort` does: the host may be a
/// DNS name, an IPv4 address, or an IPv6 address in brackets (or bare, without a port); the
/// port, when given, is 1 to 65535.
pub fn parse(endpoint: &str) -> Result<Endpoint> {
    let bad = |m: &str| Error::usage(format!("--control-plane-endpoint '{}': {m}", crate::term::sanitize(endpoint)));
    let (host, port) = if let Some(rest) = endpoint.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| bad("unclosed [ in an IPv6 address"))?;
        match after {
            "" => (h, None),
            _ => (h, Some(after.strip_prefix(':').ok_or_else(|| bad("expected :PORT after ]"))?)),
        }
    } else if endpoint.matches(':').count() > 1 {
        (endpoint, None) // a bare IPv6 address
    } else {
        match endpoint.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (endpoint, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
        ),
    };
    if endpoint.starts_with('[') || host.contains(':') {
        let ip = host.parse::<std::net::Ipv6Addr>().map_err(|_| bad("not an IPv6 address"))?;
        return Ok(Endpoint { host: San::Ip(IpAddr::V6(ip)), port });
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(Endpoint { host: San::Ip(ip), port });
    }
    if !is_dns1123_subdomain(host) {
        return Err(bad(
            "the host must be an IP address or a lower-case RFC 1123 subdomain (letters, digits, '-' and '.')",
        ));
    }
    Ok(Endpoint { host: San::Dns(host.to_string()), port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_as_kubeadm_writes_them() {
        let v4 = |cpe: Option<&str>| Endpoints {
            advertise: "10.0.0.10".parse().expect("ip"),
            control_plane: cpe.map(|c| parse(c).expect("endpoint")),
        };
        assert_eq!(v4(None).url(Server::ControlPlane), "https://10.0.0.10:6443");
        assert_eq!(v4(Some("lb")).url(Server::ControlPlane), "https://lb:6443");
        assert_eq!(v4(Some("lb:443")).url(Server::ControlPlane), "https://lb:443");
        assert_eq!(v4(Some("lb:443")).url(Server::Local), "https://10.0.0.10:6443");
        assert_eq!(v4(Some("fd00::100")).url(Server::ControlPlane), "https://[fd00::100]:6443");
        assert_eq!(v4(Some("[fd00::100]:8443")).url(Server::ControlPlane), "https://[fd00::100]:8443");
        let v6 = Endpoints { advertise: "fd00::10".parse().expect("ip"), control_plane: None };
        assert_eq!(v6.url(Server::Local), "https://[fd00::10]:6443");
        assert_eq!(v6.url(Server::ControlPlane), "https://[fd00::10]:6443");
    }
}
