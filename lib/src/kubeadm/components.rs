//! kubeadm's components as data: where each runs, which orders its restarts, and which of its
//! flags point at which file of the tree. `k8s-verify --flags` and `--graph` list the flags
//! (`wiring`); the rotation's restart rules name a component here and take where it runs from
//! it (`rotation::plan`).

/// Where a component runs, which decides how its restarts are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runs {
    /// On each control-plane node, as an etcd member: restarted one member at a time.
    EtcdMember,
    /// On each control-plane node: restarted one node at a time.
    ControlPlane,
    /// On every node: control-plane nodes first, then workers.
    EveryNode,
    /// Once for the cluster: an object in the API, or the Pods.
    Cluster,
    /// Nowhere: a user's client.
    Client,
}

/// One flag of a component and the file of the tree it points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flag {
    pub flag: &'static str,
    /// Under the kubeadm tree (`/etc/kubernetes`).
    pub file: &'static str,
    pub why: &'static str,
}

/// A component: its name, where it runs and its flags that point into the tree.
#[derive(Debug, PartialEq, Eq)]
pub struct Component {
    pub name: &'static str,
    pub runs: Runs,
    pub flags: &'static [Flag],
}

const fn flag(flag: &'static str, file: &'static str, why: &'static str) -> Flag {
    Flag { flag, file, why }
}

/// kube-apiserver.
pub const KUBE_APISERVER: Component = Component {
    name: "kube-apiserver",
    runs: Runs::ControlPlane,
    flags: &[
        flag("--tls-cert-file", "pki/apiserver.crt", "its serving certificate"),
        flag("--tls-private-key-file", "pki/apiserver.key", "its serving key"),
        flag("--client-ca-file", "pki/ca.crt", "trusts client certificates signed by the cluster CA"),
        flag(
            "--kubelet-client-certificate",
            "pki/apiserver-kubelet-client.crt",
            "its client identity towards kubelets",
        ),
        flag("--kubelet-client-key", "pki/apiserver-kubelet-client.key", "key of that identity"),
        flag("--etcd-cafile", "pki/etcd/ca.crt", "trusts etcd's serving certificate"),
        flag("--etcd-certfile", "pki/apiserver-etcd-client.crt", "its client identity towards etcd"),
        flag("--etcd-keyfile", "pki/apiserver-etcd-client.key", "key of that identity"),
        flag("--proxy-client-cert-file", "pki/front-proxy-client.crt", "its identity towards aggregated API servers"),
        flag("--proxy-client-key-file", "pki/front-proxy-client.key", "key of that identity"),
        flag("--requestheader-client-ca-file", "pki/front-proxy-ca.crt", "trusts the front proxy's requests"),
        flag("--service-account-key-file", "pki/sa.pub", "verifies service-account tokens"),
        flag("--service-account-signing-key-file", "pki/sa.key", "signs service-account tokens"),
    ],
};

/// kube-controller-manager.
pub const KUBE_CONTROLLER_MANAGER: Component = Component {
    name: "kube-controller-manager",
    runs: Runs::ControlPlane,
    flags: &[
        flag("--kubeconfig", "controller-manager.conf", "its identity towards the API server"),
        flag("--cluster-signing-cert-file", "pki/ca.crt", "signs certificates approved through the certificates API"),
        flag("--cluster-signing-key-file", "pki/ca.key", "key for that"),
        flag("--root-ca-file", "pki/ca.crt", "published to pods as the cluster CA"),
        flag("--service-account-private-key-file", "pki/sa.key", "signs service-account tokens"),
        flag("--requestheader-client-ca-file", "pki/front-proxy-ca.crt", "trusts the front proxy"),
    ],
};

/// kube-scheduler.
pub const KUBE_SCHEDULER: Component = Component {
    name: "kube-scheduler",
    runs: Runs::ControlPlane,
    flags: &[flag("--kubeconfig", "scheduler.conf", "its identity towards the API server")],
};

/// kubelet.
pub const KUBELET: Component = Component {
    name: "kubelet",
    runs: Runs::EveryNode,
    flags: &[
        flag("--kubeconfig", "kubelet.conf", "its identity system:node:NODE"),
        flag("--client-ca-file", "pki/ca.crt", "trusts kube-apiserver's client certificate"),
    ],
};

/// etcd.
pub const ETCD: Component = Component {
    name: "etcd",
    runs: Runs::EtcdMember,
    flags: &[
        flag("--cert-file", "pki/etcd/server.crt", "its serving certificate"),
        flag("--key-file", "pki/etcd/server.key", "its serving key"),
        flag("--trusted-ca-file", "pki/etcd/ca.crt", "trusts client certificates signed by the etcd CA"),
        flag("--peer-cert-file", "pki/etcd/peer.crt", "its identity towards other members"),
        flag("--peer-key-file", "pki/etcd/peer.key", "key of that identity"),
        flag("--peer-trusted-ca-file", "pki/etcd/ca.crt", "trusts other members"),
    ],
};

/// kubectl.
pub const KUBECTL: Component = Component {
    name: "kubectl",
    runs: Runs::Client,
    flags: &[flag("--kubeconfig", "admin.conf", "the administrator's identity")],
};

/// The cluster-info ConfigMap in kube-public, which `kubeadm join` reads the CA bundle from.
pub const CLUSTER_INFO: Component = Component { name: "cluster-info ConfigMap", runs: Runs::Cluster, flags: &[] };

/// The Pods that read the kube-root-ca.crt ConfigMap kube-controller-manager publishes.
pub const PODS: Component =
    Component { name: "Pods (kube-proxy, CoreDNS, workloads)", runs: Runs::Cluster, flags: &[] };

/// The extension-apiserver-authentication ConfigMap kube-apiserver writes in kube-system.
pub const EXTENSION_APISERVER_AUTHENTICATION: Component =
    Component { name: "extension-apiserver-authentication ConfigMap", runs: Runs::Cluster, flags: &[] };

/// Every component, the ones with flags in the order `--flags` lists them.
pub const COMPONENTS: &[&Component] = &[
    &KUBE_APISERVER,
    &KUBE_CONTROLLER_MANAGER,
    &KUBE_SCHEDULER,
    &KUBELET,
    &ETCD,
    &KUBECTL,
    &CLUSTER_INFO,
    &PODS,
    &EXTENSION_APISERVER_AUTHENTICATION,
];

/// Every flag as (component, flag, file, why), in the table's order.
pub fn flags() -> impl Iterator<Item = (&'static str, &'static str, &'static str, &'static str)> {
    COMPONENTS.iter().flat_map(|c| c.flags.iter().map(|f| (c.name, f.flag, f.file, f.why)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_component_is_named_once_and_each_flag_once_per_component() {
        for (i, c) in COMPONENTS.iter().enumerate() {
            assert!(COMPONENTS[..i].iter().all(|o| o.name != c.name), "{} twice", c.name);
            for (j, f) in c.flags.iter().enumerate() {
                assert!(c.flags[..j].iter().all(|o| o.flag != f.flag), "{} {} twice", c.name, f.flag);
            }
        }
        assert_eq!(flags().count(), 29);
        assert_eq!(KUBELET.runs, Runs::EveryNode);
    }
}
