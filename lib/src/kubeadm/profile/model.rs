//! What a kubeadm profile is: who signs it, where kubeadm keeps it, its CN, groups, usages and
//! SAN rule, and the cluster parameters it is filled with. The rows are data in `table`.

use std::net::IpAddr;

use crate::san::ServiceCidr;
use crate::usage::Usage;

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

/// Which API server kubeadm points a profile's kubeconfig at (docs/kubeadm.md section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerRule {
    /// Not one of kubeadm's kubeconfigs.
    None,
    /// The same in every release followed.
    Fixed(crate::kubeadm::release::Server),
    /// kubelet.conf: the release's `kubelet_server`.
    Kubelet,
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

    /// Every CA, in kubeadm's order.
    pub const ALL: [CaName; 3] = [CaName::Cluster, CaName::Etcd, CaName::FrontProxy];

    /// The profile that creates it, which is also kubeadm's name for it (the CERTIFICATE
    /// AUTHORITY column of `kubeadm certs check-expiration`).
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

impl Location {
    /// The file stem it names in a kubeadm tree (`pki/apiserver`, `admin.conf`), if any.
    pub fn path(self) -> Option<String> {
        match self {
            Location::Pki(stem) => Some(format!("pki/{stem}")),
            Location::Kubeconfig(file) => Some(file.to_string()),
            Location::Elsewhere => None,
        }
    }
}

/// One identity of the cluster PKI: a row of [`PROFILES`].
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
    /// Where each extra node's own copy lives under `nodes/N/`, if every node has one.
    pub per_node: Option<Location>,
    /// Whether a kubeadm tree may lack it (super-admin.conf: written by kubeadm >= 1.29 only).
    pub optional: bool,
    /// Whether `kubeadm certs renew` renews it and `check-expiration` lists it (kubelet.conf is
    /// left to the kubelet's own rotation; phases/certs/renewal/manager.go).
    pub renewed_by_kubeadm: bool,
    /// The server of its kubeconfig.
    pub server: ServerRule,
}

/// The cluster parameters a profile is filled with.
#[derive(Clone, Debug)]
pub struct Params {
    /// `--node-name`: must equal the name the node registers with.
    pub node_name: Option<String>,
    /// `--advertise-address`: the API server's (and etcd's) address on the node.
    pub advertise_address: Option<IpAddr>,
    /// `--service-cidr`, default 10.96.0.0/12.
    pub service_cidr: ServiceCidr,
    /// `--dns-domain`, default cluster.local.
    pub dns_domain: String,
    /// `--control-plane-endpoint` `HOST[:PORT]` (a name, an IPv4 address or `[IPv6]`), if not
    /// the advertise address; read once, where the flag is.
    pub control_plane_endpoint: Option<crate::kubeadm::control_plane::Endpoint>,
    /// `--kubernetes-version`: the kubeadm release whose subjects are written.
    pub release: &'static crate::kubeadm::release::Release,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            node_name: None,
            advertise_address: None,
            service_cidr: ServiceCidr::default(),
            dns_domain: "cluster.local".into(),
            control_plane_endpoint: None,
            release: crate::kubeadm::release::newest(),
        }
    }
}
