//! What to copy to each node after a step. The tree is the first node's `/etc/kubernetes`; every
//! other node gets the shared files it reads (control-plane nodes: everything under `pki/` the
//! step wrote; workers: `pki/ca.crt`, all `kubeadm join` puts there) and its own
//! `nodes/NAME/REL` as `REL`. Files only the signing machine needs (`pki/rotation/`, backups)
//! stay. A control-plane node's own admin.conf, super-admin.conf, controller-manager.conf and
//! scheduler.conf (each names its own API endpoint) and its API server certificate (its own
//! address) are not in the tree, so they are listed as files to update in place, never to
//! overwrite.

use serde::Serialize;

use super::plan::Node;

/// Files under `pki/` that differ per control-plane node: the API server's serving certificate
/// names the node's own address (kubeadm certs/certlist.go, `KubeadmCertAPIServer`), so it is
/// re-issued there, never copied.
const PER_NODE_PKI: &[&str] = &["pki/apiserver.crt", "pki/apiserver.key"];

/// One file to copy: from the tree to the node's `/etc/kubernetes`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Copy {
    /// Under the tree.
    pub from: String,
    /// Under the node's `/etc/kubernetes`.
    pub to: String,
}

/// What one node needs after a step.
#[derive(Clone, Debug, Serialize)]
pub struct NodeCopies {
    /// The node.
    pub node: String,
    /// The files to copy, shared ones first.
    pub copy: Vec<Copy>,
    /// Its own kubeconfigs, not in the tree, that need the same change made in place (new CA
    /// data, and a client certificate from the phase's CA), keeping their `server:`.
    #[serde(rename = "updateInPlace", skip_serializing_if = "Vec::is_empty")]
    pub update_in_place: Vec<String>,
}

/// Whether `rel` (of the main node) is a file every node has its own of: a row of the profile
/// table with a `per_node` place (etcd's server and peer certificates, kubelet.conf, the kubelet's
/// serving certificate), or the API server's certificate (it names the node's address).
fn per_node(rel: &str) -> bool {
    let stem = rel.strip_suffix(".crt").or_else(|| rel.strip_suffix(".key"));
    PER_NODE_PKI.contains(&rel)
        || crate::kubeadm::profile::PROFILES.iter().filter_map(|p| p.per_node).any(|loc| match loc {
            crate::kubeadm::profile::Location::Pki(s) => stem.and_then(|st| st.strip_prefix("pki/")) == Some(s),
            crate::kubeadm::profile::Location::Kubeconfig(f) => rel == f,
            crate::kubeadm::profile::Location::Elsewhere => false,
        })
}

/// Whether a worker has a file like `rel` at all (kubeadm join writes kubelet.conf and pki/ca.crt;
/// the kubelet its serving certificate).
fn on_worker(rel: &str) -> bool {
    rel == "kubelet.conf" || rel == "pki/ca.crt" || rel.starts_with("pki/kubelet.")
}

/// The copies for every node (or `only` one) after a step that wrote `written` (relative to the
/// tree; what the step as a whole writes, however often it was run); `main` is the tree's own
/// node. A node never gets another node's own file: what every node has its own of (per the
/// profile table) comes from its `nodes/NAME/`, or is listed to update in place.
pub fn copies(written: &[String], nodes: &[Node], main: &str, only: Option<&str>) -> Vec<NodeCopies> {
    let written: Vec<&str> = written
        .iter()
        .map(String::as_str)
        .filter(|rel| !rel.starts_with(&format!("pki/{}/", super::layout::DIR)) && !rel.starts_with("backup-"))
        .collect();
    let mut out = Vec::new();
    for node in nodes.iter().filter(|n| only.is_none_or(|o| o == n.name)) {
        let own = format!("nodes/{}/", node.name);
        let mut copy: Vec<Copy> = Vec::new();
        let mut update_in_place = Vec::new();
        if node.name != main {
            for rel in written.iter().filter(|rel| !rel.starts_with("nodes/")) {
                let reads = node.control_plane || on_worker(rel);
                if !reads {
                    continue;
                }
                if !per_node(rel) && rel.starts_with("pki/") {
                    copy.push(Copy { from: rel.to_string(), to: rel.to_string() });
                } else if (per_node(rel) || crate::kubeadm::profile::control_plane_kubeconfigs().any(|f| f == *rel))
                    && !rel.ends_with(".key")
                    && !written.contains(&format!("{own}{rel}").as_str())
                {
                    update_in_place.push(rel.to_string());
                }
            }
        }
        copy.extend(
            written
                .iter()
                .filter_map(|rel| rel.strip_prefix(&own).map(|to| Copy { from: rel.to_string(), to: to.to_string() })),
        );
        if !copy.is_empty() || !update_in_place.is_empty() {
            out.push(NodeCopies { node: node.name.clone(), copy, update_in_place });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_gets_the_shared_files_it_reads_and_its_own_under_their_names() {
        let nodes = [
            Node { name: "n1".into(), control_plane: true },
            Node { name: "n2".into(), control_plane: true },
            Node { name: "w1".into(), control_plane: false },
        ];
        let changes: Vec<String> = [
            "pki/ca.crt",
            "pki/etcd/ca.crt",
            "pki/rotation/ca.new.key",
            "admin.conf",
            "pki/apiserver.crt",
            "pki/apiserver.key",
            "nodes/n1/pki/kubelet.crt",
            "nodes/n2/pki/etcd/server.crt",
            "nodes/w1/kubelet.conf",
        ]
        .iter()
        .map(|r| r.to_string())
        .collect();
        let all = copies(&changes, &nodes, "n1", None);
        let of = |n: &str| all.iter().find(|c| c.node == n).expect("node").clone();
        let pairs = |c: NodeCopies| c.copy.into_iter().map(|c| format!("{}>{}", c.from, c.to)).collect::<Vec<_>>();
        assert_eq!(pairs(of("n1")), ["nodes/n1/pki/kubelet.crt>pki/kubelet.crt"]);
        assert_eq!(
            pairs(of("n2")),
            [
                "pki/ca.crt>pki/ca.crt",
                "pki/etcd/ca.crt>pki/etcd/ca.crt",
                "nodes/n2/pki/etcd/server.crt>pki/etcd/server.crt"
            ]
        );
        assert_eq!(of("n2").update_in_place, ["admin.conf", "pki/apiserver.crt"]);
        assert_eq!(pairs(of("w1")), ["pki/ca.crt>pki/ca.crt", "nodes/w1/kubelet.conf>kubelet.conf"]);
        assert!(of("w1").update_in_place.is_empty());
        assert_eq!(copies(&changes, &nodes, "n1", Some("w1")).len(), 1);
        // The main node's own etcd certificates never go to another node, whatever the order.
        let servers: Vec<String> = [
            "pki/etcd/server.crt",
            "pki/etcd/server.key",
            "nodes/n2/pki/etcd/server.crt",
            "nodes/n2/pki/etcd/server.key",
        ]
        .iter()
        .map(|r| r.to_string())
        .collect();
        let n2 = copies(&servers, &nodes, "n1", Some("n2"));
        assert_eq!(
            pairs(n2[0].clone()),
            ["nodes/n2/pki/etcd/server.crt>pki/etcd/server.crt", "nodes/n2/pki/etcd/server.key>pki/etcd/server.key"]
        );
        assert!(n2[0].update_in_place.is_empty());
        // A control-plane node without its own copy in the tree re-issues it in place.
        let lone: Vec<String> = vec!["pki/etcd/peer.crt".into(), "pki/etcd/peer.key".into()];
        assert_eq!(copies(&lone, &nodes, "n1", Some("n2"))[0].update_in_place, ["pki/etcd/peer.crt"]);
        assert!(copies(&lone, &nodes, "n1", Some("w1")).is_empty());
    }
}
