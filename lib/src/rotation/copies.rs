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
use super::tree::Change;

/// The kubeconfigs kubeadm writes on every control-plane node, each pointing at that node's own
/// API endpoint or the control-plane endpoint (kubeadm phases/kubeconfig/kubeconfig.go).
const CONTROL_PLANE_KUBECONFIGS: &[&str] =
    &["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"];

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

/// The copies for every node (or `only` one) after `changes`; `main` is the tree's own node.
pub fn copies(changes: &[Change], nodes: &[Node], main: &str, only: Option<&str>) -> Vec<NodeCopies> {
    let written: Vec<&str> = changes
        .iter()
        .filter(|c| c.contents.is_some())
        .map(|c| c.rel.as_str())
        .filter(|rel| !rel.starts_with(&format!("pki/{}/", super::material::DIR)) && !rel.starts_with("backup-"))
        .collect();
    let own_files: Vec<String> = CONTROL_PLANE_KUBECONFIGS
        .iter()
        .filter(|f| written.contains(f))
        .chain(PER_NODE_PKI.iter().filter(|f| f.ends_with(".crt") && written.contains(f)))
        .map(|f| f.to_string())
        .collect();
    let mut out = Vec::new();
    for node in nodes.iter().filter(|n| only.is_none_or(|o| o == n.name)) {
        let own = format!("nodes/{}/", node.name);
        let shared = written.iter().filter(|rel| {
            node.name != main
                && rel.starts_with("pki/")
                && !PER_NODE_PKI.contains(rel)
                && (node.control_plane || **rel == "pki/ca.crt")
        });
        let mut copy: Vec<Copy> = shared.map(|rel| Copy { from: rel.to_string(), to: rel.to_string() }).collect();
        copy.extend(
            written
                .iter()
                .filter_map(|rel| rel.strip_prefix(&own).map(|to| Copy { from: rel.to_string(), to: to.to_string() })),
        );
        let update_in_place = if node.name != main && node.control_plane { own_files.clone() } else { Vec::new() };
        if !copy.is_empty() || !update_in_place.is_empty() {
            out.push(NodeCopies { node: node.name.clone(), copy, update_in_place });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(rel: &str) -> Change {
        Change {
            rel: rel.into(),
            contents: Some((zeroize::Zeroizing::new(Vec::new()), 0o644)),
            now: String::new(),
            why: String::new(),
            pipe: String::new(),
        }
    }

    #[test]
    fn each_node_gets_the_shared_files_it_reads_and_its_own_under_their_names() {
        let nodes = [
            Node { name: "n1".into(), control_plane: true },
            Node { name: "n2".into(), control_plane: true },
            Node { name: "w1".into(), control_plane: false },
        ];
        let changes: Vec<Change> = [
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
        .map(|r| change(r))
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
    }
}
