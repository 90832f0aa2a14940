//! The demo trees: built once per run by examples/kubeadm-pki.sh, shared by the tests that only
//! read them and copied by those that change them; the audit's JSON of a tree.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use super::kube::{Scratch, scratch};
use super::run::{assert_schema, bin_dir, repo, tool};

/// Every regular file under `dir` (not through links), by its path relative to `dir`, with its
/// bytes: what a test compares before and after a command.
pub fn file_contents(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let (path, meta) = (entry.path(), entry.metadata().expect("metadata"));
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() {
                let rel = path.strip_prefix(dir).expect("under dir").display().to_string();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// The demo PKI built once by examples/kubeadm-pki.sh with three nodes, shared by the tests
/// that only read it.
pub fn demo_pki() -> &'static Path {
    use std::sync::OnceLock;
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        // Under target/, replaced on every run: its CA keys never pile up in /tmp.
        let out = bin_dir().join("e2e-demo-pki");
        let _ = std::fs::remove_dir_all(&out);
        build_demo_pki(&out);
        out
    })
}

/// A two-node demo PKI (node-1 and node-2, both control-plane) with ECDSA P-256 keys throughout
/// (k8s-genkey with `--algo ecdsa-p256` first on PATH), built once: for tests that rotate many
/// copies, where RSA key generation would dominate.
pub fn ecdsa_demo_pki() -> &'static Path {
    use std::sync::OnceLock;
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let out = bin_dir().join("e2e-demo-pki-ecdsa");
        let shim = bin_dir().join("e2e-ecdsa-shim");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&shim).expect("shim dir");
        let genkey = format!("#!/bin/sh\nexec '{}' --algo ecdsa-p256 \"$@\"\n", bin_dir().join("k8s-genkey").display());
        std::fs::write(shim.join("k8s-genkey"), genkey).expect("shim");
        assert!(StdCommand::new("chmod").arg("755").arg(shim.join("k8s-genkey")).status().expect("chmod").success());
        build_pki_with(&out, &format!("{}:{}", shim.display(), bin_dir().display()), "node-1 node-2");
        out
    })
}

/// Runs examples/kubeadm-pki.sh into `out` with our binaries on PATH.
pub fn build_demo_pki(out: &Path) {
    build_pki_with(out, &bin_dir().display().to_string(), "node-1 node-2 node-3");
}

fn build_pki_with(out: &Path, bins: &str, nodes: &str) {
    let script = repo().join("examples/kubeadm-pki.sh");
    let path = format!("{bins}:{}", std::env::var("PATH").unwrap_or_default());
    let result = StdCommand::new("bash")
        .arg(&script)
        .arg(out)
        .arg(nodes)
        .arg("10.0.0.10")
        .env("PATH", path)
        .output()
        .expect("run kubeadm-pki.sh");
    assert!(
        result.status.success(),
        "kubeadm-pki.sh failed:\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// `k8s-verify --pki-dir DIR --format json`: its exit code and report (checked against its schema).
pub fn audit_json(tree: &Path) -> (i32, serde_json::Value) {
    let out = tool("k8s-verify")
        .arg("--pki-dir")
        .arg(tree)
        .args(["--format", "json"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("k8s-verify");
    assert_schema("audit", &out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_slice(&out.stdout).expect("audit json"))
}

/// A private copy of the demo PKI, to break or renew.
pub fn copy_of_demo() -> (Scratch, PathBuf) {
    let dir = scratch();
    let out = dir.path().join("cluster");
    copy_demo_pki(&out);
    (dir, out)
}

/// A copy of the demo PKI (built once per run) at `out`, modes and times kept: what a test that
/// changes the tree starts from, instead of building its own.
pub fn copy_demo_pki(out: &Path) {
    copy_tree(demo_pki(), out);
}

/// `cp -a FROM TO`: a tree copied with its modes, times and links as they are.
pub fn copy_tree(from: &Path, to: &Path) {
    let ok = StdCommand::new("cp").arg("-a").arg(from).arg(to).status().expect("cp").success();
    assert!(ok, "copying {} to {}", from.display(), to.display());
}
