//! The data: every identity of a kubeadm cluster PKI, one row each, as kubeadm writes it in the
//! release the project follows by default (see `docs/kubeadm.md`, whose profile table a test
//! compares with this one row by row). A new identity is a new row; a new fact is a column.

use super::model::CaName::{Cluster, Etcd, FrontProxy};
use super::model::Location::{Elsewhere, Kubeconfig, Pki};
use super::model::{Profile, SanRule, ServerRule};
use crate::kubeadm::release::Server::{ControlPlane, Local};
use crate::usage::Usage;

const SERVER: &[Usage] = &[Usage::Server];
const CLIENT: &[Usage] = &[Usage::Client];
const BOTH: &[Usage] = &[Usage::Server, Usage::Client];

/// The columns a CA row does not set.
const CA: Profile = Profile {
    name: "",
    summary: "",
    signer: None,
    location: Elsewhere,
    cn: "",
    orgs: &[],
    usages: &[],
    is_ca: true,
    sans: SanRule::CaName,
    per_node: None,
    optional: false,
    renewed_by_kubeadm: true,
    server: ServerRule::None,
};

/// The columns a leaf row does not set.
const LEAF: Profile = Profile { is_ca: false, sans: SanRule::None, ..CA };

/// Every profile: the three CAs, the certificates under `pki/`, the kubeconfigs' client
/// certificates, and the identities kubeadm does not write (the kubelet's serving
/// certificate, kube-proxy).
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "ca",
        summary: "cluster CA: signs the API server, kubelet and every kubeconfig client cert",
        location: Pki("ca"),
        cn: "kubernetes",
        ..CA
    },
    Profile {
        name: "etcd-ca",
        summary: "etcd CA: signs only etcd-related certs, isolated from the cluster CA",
        location: Pki("etcd/ca"),
        cn: "etcd-ca",
        ..CA
    },
    Profile {
        name: "front-proxy-ca",
        summary: "front-proxy CA: signs only front-proxy-client (API aggregation)",
        location: Pki("front-proxy-ca"),
        cn: "front-proxy-ca",
        ..CA
    },
    Profile {
        name: "apiserver",
        summary: "kube-apiserver's serving cert (--tls-cert-file)",
        signer: Some(Cluster),
        location: Pki("apiserver"),
        cn: "kube-apiserver",
        usages: SERVER,
        sans: SanRule::ApiServer,
        ..LEAF
    },
    Profile {
        name: "apiserver-kubelet-client",
        summary: "kube-apiserver's client cert to kubelets (--kubelet-client-certificate)",
        signer: Some(Cluster),
        location: Pki("apiserver-kubelet-client"),
        cn: "kube-apiserver-kubelet-client",
        orgs: &["kubeadm:cluster-admins"],
        usages: CLIENT,
        ..LEAF
    },
    Profile {
        name: "front-proxy-client",
        summary: "kube-apiserver's client cert to aggregated API servers (--proxy-client-cert-file)",
        signer: Some(FrontProxy),
        location: Pki("front-proxy-client"),
        cn: "front-proxy-client",
        usages: CLIENT,
        ..LEAF
    },
    Profile {
        name: "etcd-server",
        summary: "etcd's serving cert (--cert-file)",
        signer: Some(Etcd),
        location: Pki("etcd/server"),
        cn: "{node}",
        usages: BOTH,
        sans: SanRule::Etcd,
        per_node: Some(Pki("etcd/server")),
        ..LEAF
    },
    Profile {
        name: "etcd-peer",
        summary: "etcd's peer cert, for member-to-member TLS (--peer-cert-file)",
        signer: Some(Etcd),
        location: Pki("etcd/peer"),
        cn: "{node}",
        usages: BOTH,
        sans: SanRule::Etcd,
        per_node: Some(Pki("etcd/peer")),
        ..LEAF
    },
    Profile {
        name: "etcd-healthcheck-client",
        summary: "client cert for etcd liveness probes",
        signer: Some(Etcd),
        location: Pki("etcd/healthcheck-client"),
        cn: "kube-etcd-healthcheck-client",
        usages: CLIENT,
        ..LEAF
    },
    Profile {
        name: "apiserver-etcd-client",
        summary: "kube-apiserver's client cert to etcd (--etcd-certfile)",
        signer: Some(Etcd),
        location: Pki("apiserver-etcd-client"),
        cn: "kube-apiserver-etcd-client",
        usages: CLIENT,
        ..LEAF
    },
    Profile {
        name: "admin",
        summary: "cluster administrator (admin.conf), cluster-admin through RBAC; --org system:masters as kubeadm <= 1.28 wrote it",
        signer: Some(Cluster),
        location: Kubeconfig("admin.conf"),
        server: ServerRule::Fixed(ControlPlane),
        cn: "kubernetes-admin",
        orgs: &["kubeadm:cluster-admins"],
        usages: CLIENT,
        ..LEAF
    },
    Profile {
        name: "super-admin",
        summary: "break-glass administrator that bypasses RBAC (super-admin.conf)",
        signer: Some(Cluster),
        location: Kubeconfig("super-admin.conf"),
        server: ServerRule::Fixed(ControlPlane),
        cn: "kubernetes-super-admin",
        orgs: &["system:masters"],
        usages: CLIENT,
        optional: true,
        ..LEAF
    },
    Profile {
        name: "kubelet",
        summary: "the kubelet's client identity (kubelet.conf), seen by the Node authorizer",
        signer: Some(Cluster),
        location: Kubeconfig("kubelet.conf"),
        server: ServerRule::Kubelet,
        cn: "system:node:{node}",
        orgs: &["system:nodes"],
        usages: CLIENT,
        per_node: Some(Kubeconfig("kubelet.conf")),
        renewed_by_kubeadm: false,
        ..LEAF
    },
    Profile {
        name: "kubelet-serving",
        summary: "the kubelet's serving cert (--tls-cert-file), dialled by kube-apiserver",
        signer: Some(Cluster),
        location: Elsewhere,
        cn: "system:node:{node}",
        orgs: &["system:nodes"],
        usages: SERVER,
        sans: SanRule::KubeletServing,
        per_node: Some(Pki("kubelet")),
        ..LEAF
    },
    Profile {
        name: "kube-proxy",
        summary: "kube-proxy's client identity",
        signer: Some(Cluster),
        location: Elsewhere,
        cn: "system:kube-proxy",
        orgs: &["system:node-proxier"],
        usages: CLIENT,
        ..LEAF
    },
    Profile {
        name: "controller-manager",
        summary: "kube-controller-manager's client identity (controller-manager.conf)",
        signer: Some(Cluster),
        location: Kubeconfig("controller-manager.conf"),
        server: ServerRule::Fixed(Local),
        cn: "system:kube-controller-manager",
        usages: CLIENT,
        ..LEAF
    },
    Profile {
        name: "scheduler",
        summary: "kube-scheduler's client identity (scheduler.conf)",
        signer: Some(Cluster),
        location: Kubeconfig("scheduler.conf"),
        server: ServerRule::Fixed(Local),
        cn: "system:kube-scheduler",
        usages: CLIENT,
        ..LEAF
    },
];
