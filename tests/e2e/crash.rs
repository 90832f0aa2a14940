//! k8s-rotate killed at every write: each step (and rollback) is run under tests/kill/kill_at.py,
//! which kills it with SIGKILL as it enters the Nth call of each kind that changes the tree
//! (linkat, renameat, unlinkat, mkdirat; the kernel stops the step at those calls only, through
//! a seccomp filter), for every N until the step finishes on its own. strace, run once per step,
//! counts the same calls independently: the kills must number what it saw. After each kill the step
//! is run again and must end exactly as an uninterrupted run ends (the same files and modes,
//! the same audit of every file, the same phase and record, the same report: writes, copies to
//! each node, restarts), with no temp file left; and from each killed state `rollback` must put
//! the tree back byte for byte as it was before the step. A read-only or immutable directory
//! stopping a step is the same case (see rotate.rs for the first; here `chattr +i`, which root
//! obeys).

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::*;

/// The steps, in order, with their arguments.
const STEPS: &[(&str, &[&str])] = &[
    ("prepare", &["prepare", "--all", "--sa-min-soak", "0s"]),
    ("clients", &["issue", "--step", "clients", "--confirm", "prepare-restarts"]),
    ("servers", &["issue", "--step", "servers", "--confirm", "clients-refreshed"]),
    ("distrust", &["distrust"]),
    ("finish", &["finish"]),
];

fn rotate_json(tree: &Path, args: &[&str]) -> serde_json::Value {
    let out = rotate(tree, &[args, &["--format", "json"]].concat());
    assert!(out.status.success(), "k8s-rotate {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// `backup-20261207T101500Z-2` → `backup-*`: names that hold the time.
fn normal(rel: &str) -> String {
    match rel.strip_prefix("backup-") {
        Some(rest) => format!("backup-*{}", rest.find('/').map(|i| &rest[i..]).unwrap_or("")),
        None => rel.to_string(),
    }
}

/// Every file of the tree (relative, backup names normalised) with its mode; asserts that no
/// temp file is left anywhere.
fn files(tree: &Path) -> BTreeMap<String, u32> {
    listing(tree, false)
}

/// [`files`], leaving out temp files when `temps` (what a killed run left, before any next run).
fn listing(tree: &Path, temps: bool) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    let mut stack = vec![tree.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".tmp") && temps {
                continue;
            }
            assert!(!name.ends_with(".tmp"), "a temp file is left: {}", path.display());
            let meta = std::fs::symlink_metadata(&path).expect("meta");
            if meta.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(tree).expect("inside").display().to_string();
                out.insert(normal(&rel), std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777);
            }
        }
    }
    out
}

/// The files of the tree outside backups and the rotation's own, with their bytes.
fn contents(tree: &Path) -> BTreeMap<String, Vec<u8>> {
    listing(tree, true)
        .into_keys()
        .filter(|r| !r.starts_with("backup-") && !r.starts_with("pki/rotation"))
        .map(|r| (r.clone(), std::fs::read(tree.join(&r)).expect("read")))
        .collect()
}

/// The names of the entries of two maps that differ, for a readable failure.
fn differ<V: PartialEq>(a: &BTreeMap<String, V>, b: &BTreeMap<String, V>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned().collect()
}

/// What the audit says of each file (path, status, generation), and its rotation summary.
fn audit(tree: &Path) -> (i32, Vec<(String, String, String)>, serde_json::Value) {
    let out = tool("k8s-verify").arg("--pki-dir").arg(tree).args(["--format", "json"]).output().expect("audit");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("audit json");
    let mut rows: Vec<(String, String, String)> = v["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| (f["path"].to_string(), f["status"].to_string(), f["generation"].to_string()))
        .collect();
    rows.sort();
    let mut rotation = v["rotation"].clone();
    if let Some(next) = rotation.get_mut("next") {
        *next = serde_json::Value::Null;
    }
    (out.status.code().unwrap_or(-1), rows, rotation)
}

/// What a step's report says that does not depend on random keys or the time.
fn report(v: &serde_json::Value) -> serde_json::Value {
    let paths: Vec<&serde_json::Value> = v["writes"].as_array().expect("writes").iter().map(|w| &w["path"]).collect();
    let mut paths: Vec<String> = paths.iter().map(|p| normal(p.as_str().expect("path"))).collect();
    paths.sort();
    serde_json::json!({"from": v["from"], "to": v["to"], "writes": paths, "copies": v["copies"],
        "restarts": v["restarts"], "kept": v.get("kept").map(|k| k.as_array().map(|a| a.iter().map(|x| normal(x.as_str().unwrap_or(""))).collect::<Vec<_>>()))})
}

/// The state file's record of each step (normalised backup names, no times).
fn record(tree: &Path) -> serde_json::Value {
    let Ok(text) = std::fs::read_to_string(tree.join("pki/rotation.json")) else { return serde_json::Value::Null };
    let v: serde_json::Value = serde_json::from_str(&text).expect("state");
    let phases: Vec<&serde_json::Value> =
        v["targets"].as_object().expect("targets").values().map(|t| &t["phase"]).collect();
    serde_json::json!({"applying": v["applying"], "steps": v["steps"], "phases": phases})
}

/// The end of a step, for comparing runs.
#[derive(Debug, PartialEq)]
struct End {
    files: BTreeMap<String, u32>,
    audit: (i32, Vec<(String, String, String)>, serde_json::Value),
    record: serde_json::Value,
    report: serde_json::Value,
}

fn end(tree: &Path, out: &serde_json::Value) -> End {
    End { files: files(tree), audit: audit(tree), record: record(tree), report: report(out) }
}

/// A copy of the ECDSA demo tree taken through the steps before `step`.
fn tree_before(step: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    // A plain temporary directory: a killed step's kubeconfigs are compared with an
    // uninterrupted run's, whose kubeconfigs kubectl loads in rotate.rs and multinode.rs.
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = dir.path().join("start");
    copy_tree(ecdsa_demo_pki(), &tree);
    for (_, args) in &STEPS[..step] {
        let out = rotate(&tree, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    (dir, tree)
}

fn copy(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    copy_tree(from, to);
}

/// Kills step `i` at every write; each time the step run again ends as the uninterrupted run,
/// and rollback from the killed state restores the tree as it was before the step.
fn every_kill_of(i: usize) {
    let (name, args) = STEPS[i];
    let (dir, start) = tree_before(i);
    let before = contents(&start);
    let reference = dir.path().join("reference");
    copy(&start, &reference);
    let out = rotate(&reference, &[args, &["--format", "json"][..]].concat());
    assert_schema("rotate", &out.stdout);
    let want = end(&reference, &serde_json::from_slice(&out.stdout).expect("json"));
    assert_eq!(want.audit.0, 0, "{name}: the uninterrupted run audits clean");
    let (work, undo) = (dir.path().join("work"), dir.path().join("undo"));
    let mut kills = BTreeMap::new();
    for syscall in WRITES {
        for n in 1.. {
            copy(&start, &work);
            if !killed_at(&work, args, syscall, n) {
                break;
            }
            *kills.entry(*syscall).or_insert(0) += 1;
            copy(&work, &undo);
            let got = end(&work, &rotate_json(&work, args));
            assert_eq!(got, want, "{name} killed at {syscall} #{n}, then run again");
            if name == "finish" {
                continue;
            }
            // Killed before the state said the step began: nothing of the tree changed (what a
            // prepare may have left in pki/rotation/ is cleared by rollback or the next prepare).
            // Killed after its last state write, the step is done and rollback undoes it.
            let state = record(&undo);
            let began = state["applying"].is_string() || state["phases"][0] == want.record["phases"][0];
            if !began && name != "prepare" {
                assert!(
                    contents(&undo) == before,
                    "{name} killed at {syscall} #{n}: {:?}",
                    differ(&contents(&undo), &before)
                );
                continue;
            }
            let out = rotate(&undo, &["rollback"]);
            let no_state = !undo.join("pki/rotation.json").exists();
            let refused_idle = out.status.code() == Some(4)
                && String::from_utf8_lossy(&out.stderr).contains("gate: no rotation is under way");
            assert!(
                out.status.success() || (no_state && refused_idle),
                "{name} killed at {syscall} #{n}, rollback: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if no_state {
                assert!(
                    listing(&undo, refused_idle).keys().all(|f| !f.starts_with("pki/rotation/")),
                    "{name}: leftovers stay"
                );
            }
            let mut back = contents(&undo);
            if name == "prepare" {
                back.remove("pki/ca-signer.crt");
            }
            assert!(
                back == before,
                "{name} killed at {syscall} #{n}: rollback restores the tree: {:?}",
                differ(&back, &before)
            );
            listing(&undo, refused_idle);
        }
    }
    all_writes_killed(name, &kills, &writes_seen_by_strace(&start, args));
    eprintln!("{name}: killed at {kills:?} writes, each finished and rolled back");
}

/// The kills number every write strace saw, of each kind, and there are more than a few.
fn all_writes_killed(name: &str, kills: &BTreeMap<&str, usize>, seen: &BTreeMap<&str, usize>) {
    let got: BTreeMap<&str, usize> = WRITES.iter().map(|w| (*w, kills.get(w).copied().unwrap_or(0))).collect();
    let want: BTreeMap<&str, usize> = WRITES.iter().map(|w| (*w, seen.get(w).copied().unwrap_or(0))).collect();
    assert_eq!(got, want, "{name}: the writes killed at, and the writes strace saw");
    assert!(got.values().sum::<usize>() > 10, "{name}: only {got:?} writes were found to kill");
}

#[test]
fn prepare_killed_at_every_write_finishes_or_rolls_back() {
    every_kill_of(0);
}

#[test]
fn issuing_clients_killed_at_every_write_finishes_or_rolls_back() {
    every_kill_of(1);
}

#[test]
fn issuing_servers_killed_at_every_write_finishes_or_rolls_back() {
    every_kill_of(2);
}

#[test]
fn distrust_killed_at_every_write_finishes_or_rolls_back() {
    every_kill_of(3);
}

#[test]
fn finish_killed_at_every_write_finishes() {
    every_kill_of(4);
}

#[test]
fn rollback_killed_at_every_write_finishes_when_run_again() {
    // From issue/clients back to prepare: the largest rollback.
    let (dir, start) = tree_before(2);
    let reference = dir.path().join("reference");
    copy(&start, &reference);
    let want = rotate_json(&reference, &["rollback"]);
    let want = (files(&reference), contents(&reference), record(&reference), report(&want));
    let want_audit = audit(&reference).1;
    let work = dir.path().join("work");
    let mut kills = BTreeMap::new();
    for syscall in WRITES {
        for n in 1.. {
            copy(&start, &work);
            if !killed_at(&work, &["rollback"], syscall, n) {
                break;
            }
            *kills.entry(*syscall).or_insert(0) += 1;
            if record(&work) == want.2 {
                // Killed after its last state write: done, but for the temp files the next run sweeps.
                assert_eq!(listing(&work, true), want.0, "rollback killed at {syscall} #{n} after its end: files");
                continue;
            }
            let v = rotate_json(&work, &["rollback"]);
            let got = (files(&work), contents(&work), record(&work), report(&v));
            assert_eq!(got.0, want.0, "rollback killed at {syscall} #{n}: files");
            assert_eq!(got.2, want.2, "rollback killed at {syscall} #{n}: state");
            assert_eq!(got.3, want.3, "rollback killed at {syscall} #{n}: report");
            // Client certificates re-issued on the way back are new each run; the rest is byte for byte.
            assert_eq!(audit(&work).1, want_audit, "rollback killed at {syscall} #{n}: audit");
        }
    }
    all_writes_killed("rollback", &kills, &writes_seen_by_strace(&start, &["rollback"]));
    eprintln!("rollback: killed at {kills:?} writes, each finished when run again");
}

#[test]
fn an_immutable_directory_stops_a_step_which_finishes_once_it_is_writable() {
    let (dir, tree) = tree_before(1);
    let reference = dir.path().join("reference");
    copy(&tree, &reference);
    let want = end(&reference, &rotate_json(&reference, STEPS[1].1));
    let etcd = tree.join("pki/etcd");
    let chattr = |flag: &str| {
        let out = require("chattr", "e2fsprogs").arg(flag).arg(&etcd).output().expect("chattr");
        assert!(out.status.success(), "chattr {flag}: {}", String::from_utf8_lossy(&out.stderr));
    };
    chattr("+i");
    let out = rotate(&tree, STEPS[1].1);
    chattr("-i");
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pki/etcd/") && err.contains("permission denied"), "{err}");
    let got = end(&tree, &rotate_json(&tree, STEPS[1].1));
    assert_eq!(got, want);
}

#[test]
fn while_a_step_is_interrupted_the_audit_judges_it_against_the_right_files() {
    let (dir, start) = tree_before(1);
    let work = dir.path().join("work");
    for n in [5, 12, 20] {
        copy(&start, &work);
        assert!(killed_at(&work, STEPS[1].1, "renameat", n), "not killed at rename {n}");
        let out = tool("k8s-verify").arg("--pki-dir").arg(&work).args(["--format", "json"]).output().expect("audit");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let rotation = report["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["kind"] == "rotation")
            .expect("the rotation's entry")
            .to_string();
        assert!(rotation.contains("was interrupted: run `k8s-rotate issue --step clients"), "{rotation}");
        // Half-written, every edge still holds: the files before the step and after it coexist.
        assert!(!rotation.contains("does not verify against"), "rename {n}: {rotation}");
        assert_eq!(report["rotation"]["interrupted"], "issue --step clients");
    }
}

#[test]
fn kill_at_stops_the_nth_call_before_it_is_made_and_counts_renameat2_as_a_rename() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    std::fs::write(&a, "a").expect("write");
    let run = |kind: &str, n: usize, argv: &[&std::ffi::OsStr]| {
        let out = kill_at(kind, n).args(argv).output().expect("kill_at.py");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    // ln makes one linkat: killed at the first, nothing linked; asked for a second, it ends.
    assert_eq!(run("linkat", 1, &["ln".as_ref(), a.as_os_str(), b.as_os_str()]).0, Some(137));
    assert!(!b.exists(), "the call was made before the kill");
    assert_eq!(run("linkat", 2, &["ln".as_ref(), a.as_os_str(), b.as_os_str()]).0, Some(0));
    assert!(b.exists());
    // mv renames with renameat2.
    assert_eq!(run("renameat", 1, &["mv".as_ref(), b.as_os_str(), c.as_os_str()]).0, Some(137));
    assert!(b.exists() && !c.exists(), "the rename was made before the kill");
    let (code, err) = run("chmod", 1, &["true".as_ref()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with("usage: kill_at.py {linkat|renameat|unlinkat|mkdirat} N PROGRAM"), "{err}");
}
