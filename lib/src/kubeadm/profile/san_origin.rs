//! Which of a profile's rules put a SAN into its request, in words a learner can check against
//! kubeadm's own (cmd/kubeadm/app/util/pkiutil/pki_helpers.go: GetAPIServerAltNames,
//! GetEtcdAltNames, GetEtcdPeerAltNames): `k8s-csr --explain` says it beside each SAN.

use super::model::{Params, Profile, SanRule};
use crate::san::San;

impl Profile {
    /// Why this profile, filled with `params`, holds `san`; `None` for a SAN none of its rules
    /// makes (one added with `--san`).
    pub fn san_origin(&self, san: &San, params: &Params) -> Option<&'static str> {
        let node = params.node_name.as_deref().unwrap_or_default();
        let advertise = params.advertise_address.map(San::Ip);
        let endpoint = params.control_plane_endpoint.as_ref();
        match self.sans {
            SanRule::None => None,
            SanRule::CaName => Some("kubeadm writes a CA's CN as its one DNS SAN; no client dials it"),
            SanRule::ApiServer => match san {
                San::Ip(ip) if *ip == params.service_cidr.first_ip() => Some(
                    "the first address of the Service CIDR (--service-cidr, default 10.96.0.0/12): the ClusterIP of the kubernetes Service, which pods dial",
                ),
                s if Some(s) == advertise.as_ref() => {
                    Some("the advertise address (--advertise-address): where this node's kube-apiserver listens")
                }
                s if endpoint.is_some_and(|e| e.host == *s) => Some(
                    "the control-plane endpoint (--control-plane-endpoint): the address every client and node dials, often a load balancer",
                ),
                San::Dns(d) if d == node => Some("the node's name (--node-name)"),
                San::Dns(d) if *d == format!("kubernetes.default.svc.{}", params.dns_domain) => Some(
                    "the kubernetes Service's full name in the cluster's DNS domain (--dns-domain, default cluster.local), which pods dial",
                ),
                San::Dns(d) if ["kubernetes", "kubernetes.default", "kubernetes.default.svc"].contains(&d.as_str()) => {
                    Some("a short name of the kubernetes Service in the default namespace, which pods dial")
                }
                _ => None,
            },
            SanRule::Etcd => match san {
                s if Some(s) == advertise.as_ref() => Some(
                    "the advertise address (--advertise-address): where this node's etcd is dialled (by its peers on the peer port, by kube-apiserver on the client port)",
                ),
                San::Ip(ip) if ip.is_loopback() => {
                    Some("a loopback address: kube-apiserver and etcdctl on the same node")
                }
                San::Dns(d) if d == "localhost" => {
                    Some("the loopback name: kube-apiserver and etcdctl on the same node")
                }
                San::Dns(d) if d == node => Some("the node's name (--node-name), the etcd member's name"),
                _ => None,
            },
            SanRule::KubeletServing => match san {
                s if Some(s) == advertise.as_ref() => {
                    Some("the node's address (--advertise-address): kube-apiserver dials it for logs, exec and metrics")
                }
                San::Dns(d) if d == node => Some("the node's name (--node-name)"),
                _ => None,
            },
        }
    }
}
