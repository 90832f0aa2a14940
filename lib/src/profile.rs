//! The kubeadm identities as one table, row for row with `shared/kubeadm-pki.md`:
//! who signs each certificate, where kubeadm keeps it, its CN, groups, usages and SANs.
//! Adding a profile is adding a row.

use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::name::Subject;
use crate::san::{San, first_service_ip};

/// What a certificate may be used for (its extended key usages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Usage {
    /// TLS server authentication (`serverAuth`).
    Server,
    /// TLS client authentication (`clientAuth`).
    Client,
}

impl Usage {
    /// Parses `server`/`client` (and openssl's `serverAuth`/`clientAuth`, the API's `server auth`).
    pub fn parse(s: &str) -> Result<Usage> {
        match s.to_ascii_lowercase().replace([' ', '-', '_'], "").as_str() {
            "server" | "serverauth" => Ok(Usage::Server),
            "client" | "clientauth" => Ok(Usage::Client),
            _ => Err(Error::usage(format!("unknown usage '{s}': use server or client"))),
        }
    }

    /// `server` or `client`.
    pub fn name(self) -> &'static str {
        match self {
            Usage::Server => "server",
            Usage::Client => "client",
        }
    }
}

/// Which SANs a profile gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SanRule {
    /// None beyond `--san`.
    None,
    /// A CA: a DNS SAN equal to its CN, as kubeadm writes.
    CaName,
    /// The API server's names and IPs.
    ApiServer,
    /// etcd server and peer: NODE, localhost, ADVERTISE_IP, 127.0.0.1, ::1.
    Etcd,
    /// The kubelet's serving cert: NODE and the node IP if given.
    KubeletServing,
}

/// The CAs of a kubeadm cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaName {
    /// `ca` (CN `kubernetes`): the cluster CA.
    Cluster,
    /// `etcd/ca` (CN `etcd-ca`).
    Etcd,
    /// `front-proxy-ca` (CN `front-proxy-ca`).
    FrontProxy,
}

impl CaName {
    /// The CA's file stem under `pki/`.
    pub fn file(self) -> &'static str {
        match self {
            CaName::Cluster => "ca",
            CaName::Etcd => "etcd/ca",
            CaName::FrontProxy => "front-proxy-ca",
        }
    }

    /// The profile that creates it.
    pub fn profile(self) -> &'static str {
        match self {
            CaName::Cluster => "ca",
            CaName::Etcd => "etcd-ca",
            CaName::FrontProxy => "front-proxy-ca",
        }
    }
}

/// Where a profile's output lives in a kubeadm tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// `pki/<stem>.crt` and `.key`.
    Pki(&'static str),
    /// A kubeconfig beside `pki/`.
    Kubeconfig(&'static str),
    /// Not part of the kubeadm tree (other components' identities).
    Elsewhere,
}

/// One identity of the cluster PKI.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// The name given to `--profile`.
    pub name: &'static str,
    /// One line for `--list-profiles` and `--explain`.
    pub summary: &'static str,
    /// The CA that signs it; `None` for a self-signed CA.
    pub signer: Option<CaName>,
    /// Where kubeadm keeps it.
    pub location: Location,
    /// CN; `{node}` stands for `--node-name`.
    pub cn: &'static str,
    /// O values (Kubernetes groups).
    pub orgs: &'static [&'static str],
    /// Extended key usages.
    pub usages: &'static [Usage],
    /// Whether it is a CA.
    pub is_ca: bool,
    /// Which SANs it gets.
    pub sans: SanRule,
    /// Whether `--node-name` is required.
    pub needs_node: bool,
    /// Whether `--advertise-address` is required.
    pub needs_address: bool,
}

const SERVER: &[Usage] = &[Usage::Server];
const CLIENT: &[Usage] = &[Usage::Client];
const BOTH: &[Usage] = &[Usage::Server, Usage::Client];

const fn ca(name: &'static str, cn: &'static str, location: Location, summary: &'static str) -> Profile {
    Profile {
        name,
        summary,
        signer: None,
        location,
        cn,
        orgs: &[],
        usages: &[],
        is_ca: true,
        sans: SanRule::CaName,
        needs_node: false,
        needs_address: false,
    }
}

#[allow(clippy::too_many_arguments)]
const fn leaf(
    name: &'static str,
    signer: CaName,
    location: Location,
    cn: &'static str,
    orgs: &'static [&'static str],
    usages: &'static [Usage],
    sans: SanRule,
    summary: &'static str,
) -> Profile {
    let needs_node = matches!(sans, SanRule::ApiServer | SanRule::Etcd | SanRule::KubeletServing)
        || cn.len() >= 6 && is_node_template(cn);
    let needs_address = matches!(sans, SanRule::ApiServer | SanRule::Etcd);
    Profile {
        name,
        summary,
        signer: Some(signer),
        location,
        cn,
        orgs,
        usages,
        is_ca: false,
        sans,
        needs_node,
        needs_address,
    }
}

const fn is_node_template(cn: &str) -> bool {
    let b = cn.as_bytes();
    let mut i = 0;
    while i + 6 <= b.len() {
        if b[i] == b'{'
            && b[i + 1] == b'n'
            && b[i + 2] == b'o'
            && b[i + 3] == b'd'
            && b[i + 4] == b'e'
            && b[i + 5] == b'}'
        {
            return true;
        }
        i += 1;
    }
    false
}

use CaName::{Cluster, Etcd, FrontProxy};
use Location::{Elsewhere, Kubeconfig, Pki};

/// Every profile, in the order of the spec.
pub const PROFILES: &[Profile] = &[
    ca("ca", "kubernetes", Pki("ca"), "cluster CA: signs the API server, kubelet and every kubeconfig client cert"),
    ca("etcd-ca", "etcd-ca", Pki("etcd/ca"), "etcd CA: signs only etcd-related certs, isolated from the cluster CA"),
    ca(
        "front-proxy-ca",
        "front-proxy-ca",
        Pki("front-proxy-ca"),
        "front-proxy CA: signs only front-proxy-client (API aggregation)",
    ),
    leaf(
        "apiserver",
        Cluster,
        Pki("apiserver"),
        "kube-apiserver",
        &[],
        SERVER,
        SanRule::ApiServer,
        "kube-apiserver's serving cert (--tls-cert-file)",
    ),
    leaf(
        "apiserver-kubelet-client",
        Cluster,
        Pki("apiserver-kubelet-client"),
        "kube-apiserver-kubelet-client",
        &["kubeadm:cluster-admins"],
        CLIENT,
        SanRule::None,
        "kube-apiserver's client cert to kubelets (--kubelet-client-certificate)",
    ),
    leaf(
        "front-proxy-client",
        FrontProxy,
        Pki("front-proxy-client"),
        "front-proxy-client",
        &[],
        CLIENT,
        SanRule::None,
        "kube-apiserver's client cert to aggregated API servers (--proxy-client-cert-file)",
    ),
    leaf(
        "etcd-server",
        Etcd,
        Pki("etcd/server"),
        "{node}",
        &[],
        BOTH,
        SanRule::Etcd,
        "etcd's serving cert (--cert-file)",
    ),
    leaf(
        "etcd-peer",
        Etcd,
        Pki("etcd/peer"),
        "{node}",
        &[],
        BOTH,
        SanRule::Etcd,
        "etcd's peer cert, for member-to-member TLS (--peer-cert-file)",
    ),
    leaf(
        "etcd-healthcheck-client",
        Etcd,
        Pki("etcd/healthcheck-client"),
        "kube-etcd-healthcheck-client",
        &[],
        CLIENT,
        SanRule::None,
        "client cert for etcd liveness probes",
    ),
    leaf(
        "apiserver-etcd-client",
        Etcd,
        Pki("apiserver-etcd-client"),
        "kube-apiserver-etcd-client",
        &[],
        CLIENT,
        SanRule::None,
        "kube-apiserver's client cert to etcd (--etcd-certfile)",
    ),
    leaf(
        "admin",
        Cluster,
        Kubeconfig("admin.conf"),
        "kubernetes-admin",
        &["system:masters"],
        CLIENT,
        SanRule::None,
        "cluster administrator (admin.conf); --org kubeadm:cluster-admins for kubeadm >= 1.29's group",
    ),
    leaf(
        "super-admin",
        Cluster,
        Kubeconfig("super-admin.conf"),
        "kubernetes-super-admin",
        &["system:masters"],
        CLIENT,
        SanRule::None,
        "break-glass administrator that bypasses RBAC (super-admin.conf)",
    ),
    leaf(
        "kubelet",
        Cluster,
        Kubeconfig("kubelet.conf"),
        "system:node:{node}",
        &["system:nodes"],
        CLIENT,
        SanRule::None,
        "the kubelet's client identity (kubelet.conf), seen by the Node authorizer",
    ),
    leaf(
        "kubelet-serving",
        Cluster,
        Elsewhere,
        "system:node:{node}",
        &["system:nodes"],
        SERVER,
        SanRule::KubeletServing,
        "the kubelet's serving cert (--tls-cert-file), dialled by kube-apiserver",
    ),
    leaf(
        "kube-proxy",
        Cluster,
        Elsewhere,
        "system:kube-proxy",
        &["system:node-proxier"],
        CLIENT,
        SanRule::None,
        "kube-proxy's client identity",
    ),
    leaf(
        "controller-manager",
        Cluster,
        Kubeconfig("controller-manager.conf"),
        "system:kube-controller-manager",
        &[],
        CLIENT,
        SanRule::None,
        "kube-controller-manager's client identity (controller-manager.conf)",
    ),
    leaf(
        "scheduler",
        Cluster,
        Kubeconfig("scheduler.conf"),
        "system:kube-scheduler",
        &[],
        CLIENT,
        SanRule::None,
        "kube-scheduler's client identity (scheduler.conf)",
    ),
];

/// Looks a profile up by name.
pub fn find(name: &str) -> Result<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
        Error::usage(format!("unknown profile '{name}'; profiles: {}", names.join(", ")))
    })
}

/// The leaf profile a requested identity belongs to (CN with `{node}` filled in, the same set of
/// O values), for signers that apply kubeadm's usages to CSRs that request none. kubelet and
/// kubelet-serving share an identity: a CSR with SANs is the serving one; the API server's and
/// etcd's profiles need their tell-tale SAN (`kubernetes`, `localhost`). The admin identities
/// accept kubeadm's older group too.
pub fn for_identity(cn: &str, orgs: &[String], sans: &[San]) -> Option<&'static Profile> {
    let mut got = orgs.to_vec();
    got.sort();
    let matches = |p: &&Profile| {
        if p.is_ca {
            return false;
        }
        let cn_ok = match p.cn.split_once("{node}") {
            Some((pre, post)) => cn.len() > pre.len() + post.len() && cn.starts_with(pre) && cn.ends_with(post),
            None => p.cn == cn,
        };
        let mut want: Vec<String> = p.orgs.iter().map(|o| o.to_string()).collect();
        want.sort();
        let older = matches!(p.name, "admin" | "apiserver-kubelet-client")
            && (got == ["system:masters"] || got == ["kubeadm:cluster-admins"]);
        let has = |name: &str| sans.contains(&San::Dns(name.to_string()));
        let sans_ok = match p.sans {
            SanRule::ApiServer => has("kubernetes"),
            SanRule::Etcd => has("localhost"),
            SanRule::KubeletServing => !sans.is_empty(),
            SanRule::None | SanRule::CaName => true,
        };
        cn_ok && (want == got || older) && sans_ok
    };
    let candidates: Vec<&Profile> = PROFILES.iter().filter(matches).collect();
    candidates.iter().find(|p| (p.sans == SanRule::None) == sans.is_empty()).or_else(|| candidates.first()).copied()
}

/// The names of every profile (for completions and help).
pub fn names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name).collect()
}

/// The `--list-profiles` table.
pub fn table() -> String {
    let mut out =
        format!("{:<26} {:<15} {:<31} {:<24} {:<14} {}\n", "PROFILE", "SIGNED BY", "CN", "O", "USAGES", "FILE");
    for p in PROFILES {
        let signer = p.signer.map(|c| c.file()).unwrap_or("(self-signed)");
        let orgs = if p.orgs.is_empty() { "-".to_string() } else { p.orgs.join(",") };
        let usages =
            if p.is_ca { "CA".to_string() } else { p.usages.iter().map(|u| u.name()).collect::<Vec<_>>().join(",") };
        let file = p.path().unwrap_or_else(|| "-".into());
        out.push_str(&format!(
            "{:<26} {:<15} {:<31} {:<24} {:<14} {}\n",
            p.name,
            signer,
            p.cn.replace("{node}", "NODE"),
            orgs,
            usages,
            file
        ));
    }
    out
}

/// The cluster parameters a profile is filled with.
#[derive(Clone, Debug)]
pub struct Params {
    /// `--node-name`: must equal the name the node registers with.
    pub node_name: Option<String>,
    /// `--advertise-address`: the API server's (and etcd's) address on the node.
    pub advertise_address: Option<IpAddr>,
    /// `--service-cidr`, default 10.96.0.0/12.
    pub service_cidr: String,
    /// `--dns-domain`, default cluster.local.
    pub dns_domain: String,
    /// `--control-plane-endpoint` host (name or IP), if not the advertise address.
    pub control_plane_endpoint: Option<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            node_name: None,
            advertise_address: None,
            service_cidr: "10.96.0.0/12".into(),
            dns_domain: "cluster.local".into(),
            control_plane_endpoint: None,
        }
    }
}

/// What a CSR asks for: subject, SANs, usages and whether it is a CA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The subject.
    pub subject: Subject,
    /// SANs in order, without duplicates.
    pub sans: Vec<San>,
    /// Extended key usages.
    pub usages: Vec<Usage>,
    /// Whether it asks to be a CA.
    pub is_ca: bool,
}

impl Request {
    /// Adds SANs, skipping duplicates.
    pub fn add_sans(&mut self, sans: impl IntoIterator<Item = San>) {
        for san in sans {
            if !self.sans.contains(&san) {
                self.sans.push(san);
            }
        }
    }
}

impl Profile {
    /// Fills the profile with cluster parameters.
    pub fn request(&self, params: &Params) -> Result<Request> {
        let node = params.node_name.as_deref();
        if self.needs_node && node.is_none() {
            return Err(Error::usage(format!("profile '{}' needs --node-name", self.name)));
        }
        if self.needs_address && params.advertise_address.is_none() {
            return Err(Error::usage(format!("profile '{}' needs --advertise-address", self.name)));
        }
        let cn = self.cn.replace("{node}", node.unwrap_or(""));
        let orgs: Vec<String> = self.orgs.iter().map(|s| s.to_string()).collect();
        let mut req = Request {
            subject: Subject::new(Some(&cn), &orgs),
            sans: Vec::new(),
            usages: self.usages.to_vec(),
            is_ca: self.is_ca,
        };
        let node_san = || San::parse(node.unwrap_or_default());
        match self.sans {
            SanRule::None => {}
            SanRule::CaName => req.add_sans([San::Dns(cn.clone())]),
            SanRule::ApiServer => {
                let mut dns = vec![
                    node_san()?,
                    San::Dns("kubernetes".into()),
                    San::Dns("kubernetes.default".into()),
                    San::Dns("kubernetes.default.svc".into()),
                    San::parse(&format!("kubernetes.default.svc.{}", params.dns_domain))?,
                ];
                let mut ips = vec![San::Ip(first_service_ip(&params.service_cidr)?)];
                ips.extend(params.advertise_address.map(San::Ip));
                if let Some(endpoint) = &params.control_plane_endpoint {
                    match San::parse(endpoint)? {
                        ip @ San::Ip(_) => ips.push(ip),
                        other => dns.push(other),
                    }
                }
                // kubeadm de-duplicates and sorts the DNS names.
                dns.sort();
                dns.dedup();
                req.add_sans(dns);
                req.add_sans(ips);
            }
            SanRule::Etcd => {
                req.add_sans([node_san()?, San::Dns("localhost".into())]);
                req.add_sans(params.advertise_address.map(San::Ip));
                req.add_sans([
                    San::Ip("127.0.0.1".parse().map_err(|_| Error::usage("ip"))?),
                    San::Ip(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
                ]);
            }
            SanRule::KubeletServing => {
                req.add_sans([node_san()?]);
                req.add_sans(params.advertise_address.map(San::Ip));
            }
        }
        Ok(req)
    }

    /// The file stem under the kubeadm tree (`pki/apiserver`, `admin.conf`), if any.
    pub fn path(&self) -> Option<String> {
        match self.location {
            Location::Pki(stem) => Some(format!("pki/{stem}")),
            Location::Kubeconfig(name) => Some(name.to_string()),
            Location::Elsewhere => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params { node_name: Some("node-1".into()), advertise_address: "10.0.0.10".parse().ok(), ..Params::default() }
    }

    fn sans(p: &str) -> Vec<String> {
        find(p).and_then(|p| p.request(&params())).expect("request").sans.iter().map(San::to_openssl).collect()
    }

    #[test]
    fn apiserver_sans_follow_kubeadm() {
        assert_eq!(
            sans("apiserver"),
            vec![
                "DNS:kubernetes",
                "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc",
                "DNS:kubernetes.default.svc.cluster.local",
                "DNS:node-1",
                "IP:10.96.0.1",
                "IP:10.0.0.10"
            ]
        );
    }

    #[test]
    fn etcd_sans_follow_kubeadm() {
        let want = vec!["DNS:node-1", "DNS:localhost", "IP:10.0.0.10", "IP:127.0.0.1", "IP:::1"];
        assert_eq!(sans("etcd-server"), want);
        assert_eq!(sans("etcd-peer"), want);
    }

    #[test]
    fn node_profiles_need_a_node_name() {
        let err = find("kubelet").and_then(|p| p.request(&Params::default())).expect_err("needs node");
        assert!(err.to_string().contains("--node-name"));
        let req = find("kubelet").and_then(|p| p.request(&params())).expect("ok");
        assert_eq!(req.subject.cn(), Some("system:node:node-1"));
        assert_eq!(req.subject.orgs(), vec!["system:nodes"]);
        assert!(find("apiserver").and_then(|p| p.request(&Params { advertise_address: None, ..params() })).is_err());
    }

    #[test]
    fn every_profile_has_a_unique_name_and_a_signer_or_is_a_ca() {
        let mut names = names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PROFILES.len());
        for p in PROFILES {
            assert_eq!(p.signer.is_none(), p.is_ca, "{}", p.name);
            assert_eq!(p.usages.is_empty(), p.is_ca, "{}", p.name);
        }
        assert!(find("nope").is_err());
    }

    #[test]
    fn identities_find_their_profile() {
        let nodes = vec!["system:nodes".to_string()];
        let dns = |n: &str| vec![San::Dns(n.into())];
        assert_eq!(for_identity("system:node:n1", &nodes, &[]).map(|p| p.name), Some("kubelet"));
        assert_eq!(for_identity("system:node:n1", &nodes, &dns("n1")).map(|p| p.name), Some("kubelet-serving"));
        assert_eq!(for_identity("kube-apiserver", &[], &dns("kubernetes")).map(|p| p.name), Some("apiserver"));
        let admins = vec!["kubeadm:cluster-admins".to_string()];
        assert_eq!(for_identity("kubernetes-admin", &admins, &[]).map(|p| p.name), Some("admin"));
        assert_eq!(for_identity("node-1", &[], &dns("localhost")).map(|p| p.name), Some("etcd-server"));
        assert!(for_identity("alice", &[], &[]).is_none());
        assert!(for_identity("alice", &[], &dns("alice.example")).is_none());
        assert!(for_identity("system:node:", &nodes, &[]).is_none());
    }

    #[test]
    fn usages_parse_in_every_spelling() {
        for s in ["server", "serverAuth", "server auth", "SERVER"] {
            assert_eq!(Usage::parse(s).ok(), Some(Usage::Server));
        }
        assert_eq!(Usage::parse("client-auth").ok(), Some(Usage::Client));
        assert!(Usage::parse("codesigning").is_err());
    }
}
