//! Killing a command at each write: tests/kill/kill_at.py stops it as it enters the Nth call of
//! a kind that changes a directory (seccomp user notifications: only those calls stop), and
//! strace counts the same calls independently, so that the kills can be checked to number every
//! write.

use std::collections::BTreeMap;
use std::path::Path;

use super::run::{bin_dir, python, repo, require};

/// The syscalls through which k8s-rotate changes a tree.
pub const WRITES: &[&str] = &["linkat", "renameat", "unlinkat", "mkdirat"];

/// `kill_at.py KIND N`: the program and its arguments follow.
pub fn kill_at(kind: &str, n: usize) -> std::process::Command {
    let mut cmd = python();
    // -I -S: the standard library only, started as fast as it starts (once per write killed).
    cmd.args(["-I", "-S"]).arg(repo().join("tests/kill/kill_at.py")).args([kind, &n.to_string()]);
    cmd
}

/// Runs `args` on `tree`, killed at the `n`th `syscall`; whether it was killed (false: the
/// step finished before its `n`th call).
pub fn killed_at(tree: &Path, args: &[&str], syscall: &str, n: usize) -> bool {
    let out = kill_at(syscall, n)
        .arg(bin_dir().join("k8s-rotate"))
        .args(args)
        .arg("--pki-dir")
        .arg(tree)
        .output()
        .expect("kill_at.py");
    let killed = out.status.code() == Some(137);
    assert!(
        killed || out.status.success(),
        "{args:?} killed at {syscall} #{n}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    killed
}

/// How many calls of each of [`WRITES`] `args` makes on a copy of `tree`, as strace sees them
/// (renameat2 counted with renameat, as kill_at.py counts it).
pub fn writes_seen_by_strace(tree: &Path, args: &[&str]) -> BTreeMap<&'static str, usize> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (copy, log) = (dir.path().join("t"), dir.path().join("strace.log"));
    super::tree::copy_tree(tree, &copy);
    let out = require("strace", "strace")
        .args(["-f", "-qq", "-e", "trace=linkat,link,renameat,renameat2,rename,unlinkat,unlink,rmdir,mkdirat,mkdir"])
        .arg("-o")
        .arg(&log)
        .arg("--")
        .arg(bin_dir().join("k8s-rotate"))
        .args(args)
        .arg("--pki-dir")
        .arg(&copy)
        .output()
        .expect("strace");
    assert!(out.status.success(), "{args:?} under strace: {}", String::from_utf8_lossy(&out.stderr));
    let log = std::fs::read_to_string(&log).expect("strace log");
    let group = |call: &str| match call {
        "linkat" | "link" => Some("linkat"),
        "renameat" | "renameat2" | "rename" => Some("renameat"),
        "unlinkat" | "unlink" | "rmdir" => Some("unlinkat"),
        "mkdirat" | "mkdir" => Some("mkdirat"),
        _ => None,
    };
    let mut seen: BTreeMap<&'static str, usize> = WRITES.iter().map(|w| (*w, 0)).collect();
    // `PID call(args) = result`, or `PID call(args <unfinished ...>` then `PID <... call resumed>`.
    for line in log.lines() {
        let call = line.split_whitespace().nth(1).and_then(|c| c.split_once('(')).map(|(c, _)| c);
        if let Some(kind) = call.and_then(group) {
            *seen.get_mut(kind).expect("a kind of WRITES") += 1;
        }
    }
    seen
}
