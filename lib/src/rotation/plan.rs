//! What to restart after a step, node by node and in order, and why: the rules are data
//! (docs/rotation.md cites the source behind each "why"); [`restarts`] expands them over the
//! tree's nodes: etcd members strictly one at a time, control-plane nodes one at a time, then
//! workers.

use serde::Serialize;

use super::{Phase, Target};
use crate::kubeadm::components::{self, Component, Runs};

/// One rule: in `phase`, when one of `targets` rotates, restart `component` wherever it runs.
struct Rule {
    phase: Phase,
    targets: &'static [Target],
    component: &'static Component,
    reads: &'static [&'static str],
    why: &'static str,
    wait: &'static str,
}

use Target::{Ca, EtcdCa, FrontProxyCa, Sa};

const ETCD_WAIT: &str =
    "etcdctl endpoint health answers on this member and member list shows every member started, before the next";
const APISERVER_WAIT: &str = "/readyz answers ok on this node, before the next";

const RULES: &[Rule] = &[
    Rule {
        phase: Phase::Prepare,
        targets: &[EtcdCa],
        component: &components::ETCD,
        reads: &["pki/etcd/ca.crt"],
        why: "etcd does not reload --trusted-ca-file and --peer-trusted-ca-file (etcd 3.4, etcd-io/etcd#11555)",
        wait: ETCD_WAIT,
    },
    Rule {
        phase: Phase::Prepare,
        targets: &[Ca, EtcdCa, FrontProxyCa, Sa],
        component: &components::KUBE_APISERVER,
        reads: &["pki/ca.crt", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt", "pki/sa.pub"],
        why: "--etcd-cafile and --service-account-key-file are read at start; every API server must hold both SA keys before any signs with the new one",
        wait: APISERVER_WAIT,
    },
    Rule {
        phase: Phase::Prepare,
        targets: &[Ca, FrontProxyCa],
        component: &components::KUBE_CONTROLLER_MANAGER,
        reads: &["controller-manager.conf", "pki/ca.crt", "pki/ca-signer.crt", "pki/front-proxy-ca.crt"],
        why: "--root-ca-file and its kubeconfig are read at start; the first time, set --cluster-signing-cert-file=/etc/kubernetes/pki/ca-signer.crt (one certificate only) in ClusterConfiguration.controllerManager.extraArgs",
        wait: "",
    },
    Rule {
        phase: Phase::Prepare,
        targets: &[Ca],
        component: &components::KUBE_SCHEDULER,
        reads: &["scheduler.conf"],
        why: "its kubeconfig's CA data is read at start",
        wait: "",
    },
    Rule {
        phase: Phase::Prepare,
        targets: &[Ca],
        component: &components::KUBELET,
        reads: &["kubelet.conf", "pki/ca.crt"],
        why: "kubelet.conf is read at start, and before 1.36 the kubelet keeps advertising in its TLS handshake the client CA names it loaded at start (kubernetes#136762)",
        wait: "the node is Ready",
    },
    Rule {
        phase: Phase::Prepare,
        targets: &[Ca],
        component: &components::CLUSTER_INFO,
        reads: &["pki/ca.crt"],
        why: "kubeadm join reads the CA bundle from kube-public/cluster-info",
        wait: "",
    },
    Rule {
        phase: Phase::Prepare,
        targets: &[Ca],
        component: &components::PODS,
        reads: &["kube-root-ca.crt"],
        why: "in-cluster clients read ca.crt once (client-go v0.36 and later re-read it every 5 minutes); before issue --step servers they must hold the bundle",
        wait: "",
    },
    Rule {
        phase: Phase::IssueClients,
        targets: &[Ca, EtcdCa, FrontProxyCa, Sa],
        component: &components::KUBE_APISERVER,
        reads: &[
            "pki/apiserver-kubelet-client.crt",
            "pki/apiserver-etcd-client.crt",
            "pki/front-proxy-client.crt",
            "pki/sa.key",
        ],
        why: "its client certificates and the service-account signing key are read at start",
        wait: APISERVER_WAIT,
    },
    Rule {
        phase: Phase::IssueClients,
        targets: &[Ca, Sa],
        component: &components::KUBE_CONTROLLER_MANAGER,
        reads: &["controller-manager.conf", "pki/ca-signer.crt", "pki/ca.key", "pki/sa.key"],
        why: "its kubeconfig and --service-account-private-key-file are read at start",
        wait: "",
    },
    Rule {
        phase: Phase::IssueClients,
        targets: &[Ca],
        component: &components::KUBE_SCHEDULER,
        reads: &["scheduler.conf"],
        why: "its kubeconfig is read at start",
        wait: "",
    },
    Rule {
        phase: Phase::IssueClients,
        targets: &[Ca],
        component: &components::KUBELET,
        reads: &["kubelet.conf"],
        why: "kubelet.conf's client certificate is read at start",
        wait: "the node is Ready",
    },
    Rule {
        phase: Phase::IssueServers,
        targets: &[EtcdCa],
        component: &components::ETCD,
        reads: &["pki/etcd/server.crt", "pki/etcd/peer.crt"],
        why: "etcd re-reads its certificates per connection; the restart proves they load and drops old connections",
        wait: ETCD_WAIT,
    },
    Rule {
        phase: Phase::IssueServers,
        targets: &[Ca],
        component: &components::KUBE_APISERVER,
        reads: &["pki/apiserver.crt"],
        why: "it reloads its serving certificate, the restart proves it loads",
        wait: APISERVER_WAIT,
    },
    Rule {
        phase: Phase::IssueServers,
        targets: &[Ca],
        component: &components::KUBELET,
        reads: &["pki/kubelet.crt"],
        why: "the kubelet loads its serving certificate at start",
        wait: "the node is Ready",
    },
    Rule {
        phase: Phase::Distrust,
        targets: &[EtcdCa],
        component: &components::ETCD,
        reads: &["pki/etcd/ca.crt"],
        why: "etcd does not reload its trusted CA files",
        wait: ETCD_WAIT,
    },
    Rule {
        phase: Phase::Distrust,
        targets: &[Ca, EtcdCa, FrontProxyCa, Sa],
        component: &components::KUBE_APISERVER,
        reads: &["pki/ca.crt", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt", "pki/sa.pub"],
        why: "the old CAs and SA key leave what it trusts",
        wait: APISERVER_WAIT,
    },
    Rule {
        phase: Phase::Distrust,
        targets: &[Ca, FrontProxyCa],
        component: &components::KUBE_CONTROLLER_MANAGER,
        reads: &["controller-manager.conf", "pki/ca.crt"],
        why: "--root-ca-file is read at start",
        wait: "",
    },
    Rule {
        phase: Phase::Distrust,
        targets: &[Ca],
        component: &components::KUBE_SCHEDULER,
        reads: &["scheduler.conf"],
        why: "its kubeconfig's CA data is read at start",
        wait: "",
    },
    Rule {
        phase: Phase::Distrust,
        targets: &[Ca],
        component: &components::KUBELET,
        reads: &["kubelet.conf", "pki/ca.crt"],
        why: "clientCAFile is read at start",
        wait: "the node is Ready",
    },
    Rule {
        phase: Phase::Distrust,
        targets: &[Ca, FrontProxyCa],
        component: &components::EXTENSION_APISERVER_AUTHENTICATION,
        reads: &[],
        why: "kube-apiserver only ever adds CAs to it: delete it so it is rebuilt without the old ones; update cluster-info too",
        wait: "",
    },
];

/// One restart of the plan.
#[derive(Clone, Debug, Serialize)]
pub struct Restart {
    /// Position, from 1.
    pub order: usize,
    /// The node (empty for a cluster-wide action).
    pub node: String,
    /// The component.
    pub component: &'static str,
    /// The files it reads that the step changed or that make it restart.
    pub reads: Vec<&'static str>,
    /// Why.
    pub why: &'static str,
    /// What to wait for before the next.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub wait: &'static str,
}

/// A node of the tree and what runs there.
#[derive(Clone, Debug)]
pub struct Node {
    /// Its name.
    pub name: String,
    /// Whether it runs etcd and the control plane.
    pub control_plane: bool,
}

/// The restarts after the step into `phase`, for `targets`, on `nodes` (control plane first),
/// limited to `only` when given.
pub fn restarts(phase: Phase, targets: &[Target], nodes: &[Node], only: Option<&str>) -> Vec<Restart> {
    let mut out = Vec::new();
    let cp: Vec<&Node> = nodes.iter().filter(|n| n.control_plane).collect();
    let workers: Vec<&Node> = nodes.iter().filter(|n| !n.control_plane).collect();
    for rule in RULES.iter().filter(|r| r.phase == phase && r.targets.iter().any(|t| targets.contains(t))) {
        let runs = rule.component.runs;
        let on: Vec<&Node> = match runs {
            Runs::EtcdMember | Runs::ControlPlane => cp.clone(),
            Runs::EveryNode => cp.iter().chain(workers.iter()).copied().collect(),
            Runs::Cluster | Runs::Client => Vec::new(),
        };
        let mut push = |node: &str| {
            if only.is_none_or(|o| o == node || node.is_empty()) {
                out.push(Restart {
                    order: 0,
                    node: node.to_string(),
                    component: rule.component.name,
                    reads: rule.reads.to_vec(),
                    why: rule.why,
                    wait: rule.wait,
                });
            }
        };
        if runs == Runs::Cluster {
            push("");
        }
        for node in on {
            push(&node.name);
        }
    }
    for (i, r) in out.iter_mut().enumerate() {
        r.order = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes() -> Vec<Node> {
        vec![
            Node { name: "n1".into(), control_plane: true },
            Node { name: "n2".into(), control_plane: true },
            Node { name: "w1".into(), control_plane: false },
        ]
    }

    #[test]
    fn etcd_members_restart_one_by_one_before_the_api_servers_and_workers_last() {
        let plan = restarts(Phase::Prepare, &Target::ALL, &nodes(), None);
        let seq: Vec<String> = plan.iter().map(|r| format!("{}:{}", r.component, r.node)).collect();
        assert_eq!(&seq[..4], ["etcd:n1", "etcd:n2", "kube-apiserver:n1", "kube-apiserver:n2"]);
        let kubelets: Vec<&String> = seq.iter().filter(|s| s.starts_with("kubelet:")).collect();
        assert_eq!(kubelets, ["kubelet:n1", "kubelet:n2", "kubelet:w1"]);
        assert!(plan.iter().enumerate().all(|(i, r)| r.order == i + 1));
    }

    #[test]
    fn a_target_restarts_only_its_readers() {
        let plan = restarts(Phase::IssueServers, &[Target::EtcdCa], &nodes(), Some("n2"));
        let seq: Vec<String> = plan.iter().map(|r| format!("{}:{}", r.component, r.node)).collect();
        assert_eq!(seq, ["etcd:n2"]);
        assert!(restarts(Phase::Done, &Target::ALL, &nodes(), None).is_empty());
    }

    /// The restart rules and the wiring table name the same files: every file a rule says a
    /// component reads is one a flag of that component points at (`k8s-verify --flags`), the
    /// rotation's signer included, except the serving certificate a kubelet reads from its own
    /// directory (`--tls-cert-file`, which kubeadm does not set; the hard-way layout keeps it as
    /// `pki/kubelet.crt`).
    #[test]
    fn every_file_a_restart_reads_is_wired_to_that_component() {
        let wired = crate::kubeadm::wiring::flags_for(true);
        let mut checked = 0;
        for rule in RULES.iter().filter(|r| !r.component.flags.is_empty()) {
            for file in rule.reads {
                let of_component = wired.iter().any(|(c, _, f, _)| *c == rule.component.name && f == file);
                let kubelet_serving = rule.component.name == "kubelet" && *file == "pki/kubelet.crt";
                assert!(
                    of_component || kubelet_serving,
                    "{} reads {file} in {:?}, no flag says so",
                    rule.component.name,
                    rule.phase
                );
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }
}
