//! A rotation across three nodes, each its own directory, as an operator runs it: the tree is
//! node-1's /etc/kubernetes; node-2 and node-3 start with what `kubeadm join --control-plane`
//! leaves there, and after each step get exactly what the step's `copies` list says, applied
//! literally (node-2 in the printed order, node-3 in reverse: the order must not matter). Each
//! etcd member loads its files from its own node's directory and is restarted one at a time as
//! the plan says; one step is killed part-way and run again. At every phase the 3-member etcd
//! keeps quorum and accepts the current clients, and `kubectl auth whoami` works.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use crate::etcd::Etcd;
use crate::util::*;

/// Files every node has its own of (from `nodes/NAME/`), never node-1's.
const PER_NODE: &[&str] =
    &["pki/apiserver.", "pki/etcd/server.", "pki/etcd/peer.", "pki/kubelet.", "pki/rotation", "pki/ca-signer.crt"];

/// node-NAME's /etc/kubernetes as a control-plane join leaves it: the shared pki/ files, its
/// own certificates from `nodes/NAME/`, and the kubeconfigs.
fn join_node(tree: &Path, name: &str, dir: &Path) {
    copy_tree(&tree.join("pki"), &dir.join("pki"));
    for rel in walk(&dir.join("pki")) {
        let rel = format!("pki/{rel}");
        if PER_NODE.iter().any(|p| rel.starts_with(p)) {
            std::fs::remove_file(dir.join(&rel)).expect("rm");
        }
    }
    for conf in ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"] {
        std::fs::copy(tree.join(conf), dir.join(conf)).expect("conf");
    }
    let own = tree.join("nodes").join(name);
    for rel in walk(&own) {
        let to = dir.join(&rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(own.join(&rel), &to).expect("own file");
    }
}

/// Every file under `dir`, relative.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            if e.file_type().expect("type").is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).expect("inside").display().to_string());
            }
        }
    }
    out
}

/// Applies a step's `copies` to the node directories, literally: node-2 in order, node-3 in
/// reverse. Returns what was copied to each.
fn apply_copies(tree: &Path, report: &serde_json::Value, nodes: &[(String, PathBuf)]) -> usize {
    let mut n = 0;
    for entry in report["copies"].as_array().expect("copies") {
        let name = entry["node"].as_str().expect("node");
        let Some((_, dir)) = nodes.iter().find(|(n, _)| n == name) else { continue };
        let mut list: Vec<&serde_json::Value> = entry["copy"].as_array().expect("copy").iter().collect();
        if name == "node-3" {
            list.reverse();
        }
        for c in list {
            let (from, to) = (c["from"].as_str().expect("from"), c["to"].as_str().expect("to"));
            assert!(!to.contains(".."), "{to}");
            let dest = dir.join(to);
            std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
            assert!(StdCommand::new("cp").arg("-p").arg(tree.join(from)).arg(&dest).status().expect("cp").success());
            n += 1;
        }
    }
    n
}

/// How many renames a step makes, run on a copy of the tree (the last is its state file).
fn renames(tree: &Path, args: &[&str]) -> usize {
    let copy = scratch();
    let t = copy.path().join("t");
    copy_tree(tree, &t);
    let log = copy.path().join("strace.log");
    let out = require("strace", "strace")
        .args(["-f", "-qq", "-e", "trace=renameat", "-o"])
        .arg(&log)
        .arg("--")
        .arg(bin_dir().join("k8s-rotate"))
        .args(args)
        .arg("--pki-dir")
        .arg(&t)
        .output()
        .expect("strace");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let n = read(&log).lines().filter(|l| l.contains("renameat(")).count();
    assert!(n > 10, "{n} renames");
    n
}

fn whoami(conf: &Path, addr: &str) -> bool {
    kubectl()
        .env("KUBECONFIG", "/dev/null")
        .arg("--kubeconfig")
        .arg(conf)
        .args(["--server", &format!("https://{addr}"), "--tls-server-name", "kubernetes", "--request-timeout", "10s"])
        .args(["auth", "whoami", "-o", "json"])
        .output()
        .expect("kubectl")
        .status
        .success()
}

#[test]
fn a_rotation_applied_node_by_node_from_the_copy_lists_keeps_etcd_and_kubectl_working() {
    require("etcd", "etcd-server");
    require("etcdctl", "etcd-client");
    require("strace", "strace");
    let scratch = scratch();
    let base = scratch.path();
    let tree = base.join("node-1");
    copy_tree(demo_pki(), &tree);
    let others: Vec<(String, PathBuf)> = ["node-2", "node-3"]
        .iter()
        .map(|n| {
            let dir = base.join(n);
            std::fs::create_dir_all(&dir).expect("mkdir");
            join_node(&tree, n, &dir);
            (n.to_string(), dir)
        })
        .collect();
    let dirs: Vec<PathBuf> = std::iter::once(tree.clone()).chain(others.iter().map(|(_, d)| d.clone())).collect();
    let mut etcd = Etcd::on_nodes(base, &dirs);
    let steps: [(&str, &[&str]); 5] = [
        ("prepare", &["prepare", "--all", "--sa-min-soak", "0s"]),
        ("issue/clients", &["issue", "--step", "clients", "--confirm", "prepare-restarts"]),
        ("issue/servers", &["issue", "--step", "servers", "--confirm", "clients-refreshed"]),
        ("distrust", &["distrust"]),
        ("done", &["finish"]),
    ];
    for (phase, args) in steps {
        if phase == "issue/servers" {
            // Killed before its last file is renamed into place (every other file of the step
            // written), then run again: the copies must still be the whole step's.
            let kill_at = renames(&tree, args) - 2;
            let out = require("strace", "strace")
                .args(["-f", "-qq", "-o", "/dev/null", "-e", "trace=renameat"])
                .args(["-e", &format!("inject=renameat:signal=KILL:when={kill_at}"), "--"])
                .arg(bin_dir().join("k8s-rotate"))
                .args(args)
                .arg("--pki-dir")
                .arg(&tree)
                .output()
                .expect("strace");
            assert!(!out.status.success(), "the step was not killed");
        }
        let out = rotate(&tree, &[args, &["--format", "json"][..]].concat());
        assert!(out.status.success(), "{phase}: {}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let copied = apply_copies(&tree, &report, &others);
        assert!(phase == "done" || copied > 0, "{phase}: nothing to copy to the other nodes");
        if report["restarts"].as_array().expect("restarts").iter().any(|r| r["component"] == "etcd") {
            etcd.roll(&tree);
        }
        // Each member answers its own node's healthcheck client and node-1's; quorum holds.
        for (i, dir) in dirs.iter().enumerate() {
            assert!(etcd.healthy(i, dir), "{phase}: member {i} refuses its own node's healthcheck client");
            assert!(etcd.healthy(i, &tree), "{phase}: member {i} refuses node-1's healthcheck client");
        }
        assert_eq!(etcd.started(&tree), 3, "{phase}");
        let all: Vec<String> = (0..3).map(|i| etcd.endpoint(i)).collect();
        for dir in &dirs {
            let ca = dir.join("pki/etcd/ca.crt");
            let put = etcd.ctl(&all.join(","), &ca, dir, "apiserver-etcd-client", &["put", "/phase", phase]);
            assert!(put.status.success(), "{phase} from {}: {}", dir.display(), String::from_utf8_lossy(&put.stderr));
        }
        let (_server, addr) =
            start_apiserver(&tree.join("pki/apiserver.crt"), &tree.join("pki/apiserver.key"), &tree.join("pki/ca.crt"));
        assert!(whoami(&tree.join("admin.conf"), &addr), "{phase}: admin.conf");
        // Every node holds the trust files node-1 holds.
        for (name, dir) in &others {
            for f in ["pki/ca.crt", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt", "pki/sa.pub"] {
                assert_eq!(read(dir.join(f)), read(tree.join(f)), "{phase}: {name}'s {f}");
            }
        }
    }
}
