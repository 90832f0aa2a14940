//! k8s-kubeconfig --merge: writing back into a kubeconfig as kubectl would, keeping its current
//! context and what it does not know, CAs of one name with two keys, concurrent writers, and
//! only what kubectl loads.

use std::path::{Path, PathBuf};

use predicates::str::contains;

use crate::kubeconfig::{admin_stream, client_stream};
use crate::util::*;

/// An admin kubeconfig written to `d/config` by k8s-kubeconfig: the admin's key and certificate
/// stream, the CA file, and the kubeconfig's path.
fn admin_config(d: &Path) -> (Vec<u8>, String, PathBuf) {
    let stream = admin_stream(d);
    let ca = s(&d.join("ca.crt"));
    let conf = d.join("config");
    run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--out", &s(&conf)], &stream);
    (stream, ca, conf)
}

#[test]
fn merge_writes_back_when_asked_and_keeps_the_current_context() {
    let dir = scratch();
    let d = dir.path();
    let (_, ca, conf) = admin_config(d);
    let alice = client_stream(d, "alice");
    let merge = |extra: &[&str]| {
        tool("k8s-kubeconfig")
            .args(["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--merge", &s(&conf)])
            .args(extra)
            .write_stdin(alice.clone())
            .assert()
    };
    let current = || {
        let out = kubectl().args(["--kubeconfig", &s(&conf), "config", "current-context"]).output().expect("kubectl");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    // --in-place: nothing on stdout, the file has alice, current-context stays (and says so).
    merge(&["--in-place"]).success().stdout("").stderr(contains(
        "current-context stays 'kubernetes-admin@kubernetes'; --use-context makes 'alice@kubernetes' current",
    ));
    assert!(read(&conf).contains("name: alice@kubernetes\n"));
    assert_eq!(current(), "kubernetes-admin@kubernetes");
    // --out naming the merged file is the same request: no --force needed; --use-context switches.
    merge(&["--out", &s(&conf), "--use-context"]).success().stderr(contains("user 'alice' updated"));
    assert_eq!(current(), "alice@kubernetes");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&conf).expect("conf").permissions().mode() & 0o777, 0o600);
    // Another existing file is still not replaced without --force; the flags are checked.
    std::fs::write(d.join("other"), "x").expect("other");
    merge(&["--out", &s(&d.join("other"))]).code(5).stderr(contains("file exists (use --force to overwrite)"));
    merge(&["--in-place", "--out", &s(&d.join("new"))]).code(2).stderr(contains("--in-place"));
    tool("k8s-kubeconfig")
        .args(["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--in-place"])
        .write_stdin(alice.clone())
        .assert()
        .code(2)
        .stderr(contains("--merge"));
}

#[test]
fn a_ca_of_the_same_name_with_another_key_is_named_as_such() {
    // Two clusters, each with a CA named CN=kubernetes: the subjects match, the keys differ.
    let dir = scratch();
    let d = dir.path();
    let stream = admin_stream(d);
    make_ca(d, "other", "kubernetes");
    std::fs::write(d.join("admin.pem"), &stream).expect("admin");
    let out = tool("k8s-kubeconfig")
        .args(["--ca-cert", &s(&d.join("other.crt")), "--server", "https://10.0.0.10:6443"])
        .write_stdin(stream)
        .assert()
        .code(4);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains(&format!(
            "the client certificate's issuer and {} have the same subject ('CN=kubernetes') but not the same key",
            s(&d.join("other.crt"))
        )),
        "{err}"
    );
    assert!(err.contains("its authority key ID is not the CA's subject key ID"), "{err}");
    // What Go's Verify with ClientAuth (kube-apiserver's client-certificate check) says, word for word.
    let go = go_x509(&[format!("{} {} client", s(&d.join("admin.pem")), s(&d.join("other.crt")))]);
    assert!(go[0].contains("possibly because of"), "Go names the candidate: {go:?}");
    assert!(err.contains(&format!("kube-apiserver would say '{}'", go[0])), "{err}\nGo: {}", go[0]);
}

/// `--merge F --in-place` writers at once, each adding its own user: twelve of ours alone, then
/// six more beside four `kubectl config set-credentials` run one after another. Ours take
/// kubectl's `F.lock` and re-read the file under it, so no writer of ours ever drops another's
/// user or kubectl's. kubectl gives up at once when the lock is held, so its writes are retried;
/// and kubectl reads the file before it locks, then deletes what is not in that reading
/// (client-go tools/clientcmd/config.go `ModifyConfig`), so two kubectl writers at once can
/// drop each other's users, and one can drop a user added between its reading and its lock:
/// that is kubectl's own behaviour, which the test leaves out by running kubectl's writers in
/// turn and not counting the users of ours added while they run.
#[test]
fn concurrent_writers_lose_no_update() {
    let dir = scratch();
    let d = dir.path();
    let (_, ca, conf) = admin_config(d);
    let ours = |range: std::ops::Range<usize>| -> Vec<std::process::Child> {
        range
            .map(|i| client_stream(d, &format!("user{i}")))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|stdin| {
                let mut child = std::process::Command::new(bin_dir().join("k8s-kubeconfig"))
                    .args(["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--merge", &s(&conf), "--in-place"])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn");
                use std::io::Write;
                child.stdin.take().expect("stdin").write_all(&stdin).expect("write");
                child
            })
            .collect()
    };
    let wait = |children: Vec<std::process::Child>| {
        for child in children {
            let out = child.wait_with_output().expect("wait");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
    };
    let users = || {
        let out = kubectl().args(["--kubeconfig", &s(&conf), "config", "get-users"]).output().expect("kubectl");
        String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).collect::<Vec<_>>()
    };
    wait(ours(0..12));
    let after_ours = users();
    for name in (0..12).map(|i| format!("user{i}")) {
        assert!(after_ours.contains(&name), "{name} lost among our writers: {after_ours:?}");
    }
    let kubectl = {
        let conf = conf.clone();
        std::thread::spawn(move || {
            for i in 0..4 {
                let start = std::time::Instant::now();
                loop {
                    let out = kubectl()
                        .args(["--kubeconfig", &s(&conf), "config", "set-credentials", &format!("kubectl{i}")])
                        .args(["--token", &format!("token-{i}")])
                        .output()
                        .expect("kubectl");
                    if out.status.success() {
                        break;
                    }
                    let err = String::from_utf8_lossy(&out.stderr);
                    assert!(err.contains(".lock"), "kubectl failed for another reason: {err}");
                    assert!(start.elapsed() < std::time::Duration::from_secs(60), "kubectl never got the lock");
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
        })
    };
    wait(ours(12..18));
    kubectl.join().expect("kubectl writer");
    let after = users();
    for name in (0..12).map(|i| format!("user{i}")).chain((0..4).map(|i| format!("kubectl{i}"))) {
        assert!(after.contains(&name), "{name} lost: {after:?}");
    }
    assert!(!d.join("config.lock").exists(), "the lock is released");
}

/// What kubectl refuses to load is refused on read (duplicate names), and what a merge writes is
/// a file kubectl loads: the insecure flag goes when CA data comes, as `kubectl config
/// set-cluster --certificate-authority` clears it.
#[test]
fn merges_write_only_what_kubectl_loads() {
    let dir = scratch();
    let d = dir.path();
    let (stream, ca, conf) = admin_config(d);
    let kubectl = |file: &std::path::Path, args: &[&str]| {
        kubectl().arg("--kubeconfig").arg(file).args(args).output().expect("kubectl")
    };
    let merge = |file: &std::path::Path| {
        tool("k8s-kubeconfig")
            .args(["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--merge", &s(file)])
            .write_stdin(stream.clone())
            .output()
            .expect("runs")
    };
    // A second cluster entry of the same name: kubectl refuses it, and so does the merge.
    let text = read(&conf);
    let dup = d.join("dup");
    let cluster_entry = text.split("contexts:").next().expect("clusters").split("clusters:\n").nth(1).expect("entry");
    std::fs::write(&dup, text.replacen("clusters:\n", &format!("clusters:\n{cluster_entry}"), 1)).expect("write");
    let theirs = kubectl(&dup, &["config", "view"]);
    assert!(!theirs.status.success() && String::from_utf8_lossy(&theirs.stderr).contains("duplicate name"));
    let res = merge(&dup);
    assert_eq!(res.status.code(), Some(3), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(String::from_utf8_lossy(&res.stderr).contains("two clusters are named 'kubernetes'"));

    // The insecure flag beside the cluster: kubectl loads it (no CA data), and the merge writes CA
    // data and no flag, which kubectl loads too.
    let insecure = d.join("insecure");
    let bare = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("certificate-authority-data:") {
                "    insecure-skip-tls-verify: true"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&insecure, bare).expect("write");
    assert!(kubectl(&insecure, &["config", "view"]).status.success());
    let res = merge(&insecure);
    assert_eq!(res.status.code(), Some(0), "{}", String::from_utf8_lossy(&res.stderr));
    let merged = d.join("merged");
    std::fs::write(&merged, &res.stdout).expect("write");
    let view = kubectl(&merged, &["config", "view", "--raw"]);
    assert!(view.status.success(), "{}", String::from_utf8_lossy(&view.stderr));
    let raw = String::from_utf8_lossy(&view.stdout);
    assert!(raw.contains("certificate-authority-data") && !raw.contains("insecure-skip-tls-verify"), "{raw}");
    assert!(kubectl(&merged, &["config", "get-contexts"]).status.success());
}

/// A file reference that holds no PEM is named in the error, not the kubeconfig that names it.
#[test]
fn a_bad_referenced_file_is_the_one_named() {
    let dir = scratch();
    let d = dir.path();
    std::fs::write(d.join("ca.crt"), "not pem\n").expect("write");
    std::fs::write(
        d.join("k.conf"),
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: ca.crt\n    server: https://10.0.0.10:6443\n  name: k\ncontexts:\n- context:\n    cluster: k\n    user: u\n  name: u@k\ncurrent-context: u@k\nusers:\n- name: u\n  user:\n    token: x\n",
    )
    .expect("write");
    for (bin, args) in [("k8s-kubeconfig", vec!["--extract", "--in"]), ("k8s-verify", vec![])] {
        let out = tool(bin).args(&args).arg(d.join("k.conf")).output().expect("runs");
        assert_eq!(out.status.code(), Some(3), "{bin}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("ca.crt: no PEM data found") && err.contains("k.conf's certificate-authority names"),
            "{bin}: {err}"
        );
    }
}

/// `--merge` into a kubeconfig that already names the cluster takes its CA and server from
/// there: no --ca-cert, no --server, one run.
#[test]
fn merge_takes_the_cluster_from_the_target() {
    let dir = scratch();
    let d = dir.path();
    let (_, _, conf) = admin_config(d);
    let bob = client_stream(d, "bob");
    let out =
        tool("k8s-kubeconfig").args(["--merge", &s(&conf), "--in-place"]).write_stdin(bob).output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let view = kubectl()
        .args([
            "--kubeconfig",
            &s(&conf),
            "config",
            "view",
            "--raw",
            "-o",
            "jsonpath={.clusters[0].cluster.server} {.users[*].name}",
        ])
        .output()
        .expect("kubectl");
    let text = String::from_utf8_lossy(&view.stdout);
    assert!(text.starts_with("https://10.0.0.10:6443 ") && text.contains("bob"), "{text}");
    // Into a file without that cluster, the flags are needed, and said.
    let other = tool("k8s-kubeconfig")
        .args(["--merge", &s(&conf), "--cluster-name", "elsewhere"])
        .write_stdin(Vec::new())
        .output()
        .expect("runs");
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("--ca-cert FILE is required"));
}
