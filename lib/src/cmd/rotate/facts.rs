//! What the steps share about the tree and the rotation, in the words the reports use: the
//! tree's nodes, a step's complete command line, the audit a gate runs, the service-account
//! soak and the `--confirm` words.

use crate::rotation::plan::Node;
use crate::rotation::state::TargetState;
use crate::rotation::tree::Tree;
use crate::rotation::{Step, Target};

/// What a `--confirm` word stands for.
pub(super) fn confirm_meaning(word: &str) -> &'static str {
    match word {
        "prepare-restarts" => "every restart the prepare step listed was done (k8s-rotate plan lists them)",
        "clients-refreshed" => {
            "the clients restarted, in-cluster Pods too (kube-root-ca.crt), and user kubeconfigs and cluster-info carry the bundle"
        }
        _ => "the restarts of the previous step were done",
    }
}

/// `24h`, `90m`, `0s`.
pub(super) fn duration_words(secs: i64) -> String {
    if secs <= 0 {
        return "0s".into();
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// The SA target's soak when the state does not say (`--min-soak`'s default).
pub(super) const DEFAULT_MIN_SOAK: i64 = 86_400;

/// How long the SA target must still wait before its old key may go, if at all.
pub(super) fn soak_left(sa: &TargetState, now: i64) -> Option<String> {
    let since = sa.signing_since.as_deref()?.parse::<jiff::Timestamp>().ok()?.as_second();
    let soak = sa.min_soak.unwrap_or(DEFAULT_MIN_SOAK);
    let left = since + soak - now;
    (left > 0).then(|| duration_words(left))
}

/// The audit a gate runs: kubeadm's defaults, now.
pub(super) fn audit_options(now: i64) -> crate::audit::AuditOptions {
    crate::audit::AuditOptions {
        node_name: None,
        advertise_address: None,
        service_cidr: Default::default(),
        dns_domain: "cluster.local".into(),
        at: now,
        warn_within: 0,
        root: None,
        release: None,
        external_etcd: false,
    }
}

/// The tree's nodes: the main one (named as the audit infers it, else `node-1`), then each
/// `nodes/NAME/`; a node with etcd certificates is a control-plane node.
pub(super) fn nodes(tree: &Tree) -> Vec<Node> {
    let main = crate::audit::node_name(&tree.root, &audit_options(0)).unwrap_or_else(|| "node-1".into());
    let mut out = vec![Node { name: main.clone(), control_plane: true }];
    for n in tree.nodes.iter().filter(|n| **n != main) {
        let control_plane = tree.root.join("nodes").join(n).join("pki/etcd").is_dir();
        out.push(Node { name: n.clone(), control_plane });
    }
    out
}

/// The command line of `step` on `tree`, complete: it runs as printed (prepare names its
/// targets; a gated step its `--confirm` word).
pub(crate) fn command_line(tree: &Tree, step: &Step, targets: &[Target]) -> String {
    crate::rotation::command_line(step, &crate::explain::sh_path(&tree.root), targets)
}
