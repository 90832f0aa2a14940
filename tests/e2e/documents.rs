//! Documents from other hands: YAML that costs nothing to send and everything to parse,
//! kubeconfigs whose file references point at files the reader should not read, and trees
//! copied off nodes with FIFOs and links where files should be.

use std::process::Command as StdCommand;
use std::time::Duration;

use predicates::str::contains;

use crate::hostile::{client_csr_object, sign_object};
use crate::util::*;

const HEAD: &str = "apiVersion: v1\nkind: Config\n";

#[test]
fn yaml_bombs_are_refused_in_bounded_time_and_memory() {
    let dir = scratch();
    let d = dir.path();
    // 160 KB of nested flow sequences (22 s before), a 1 MB anchor referenced 2,000 times
    // (2 GB before), a billion laughs, 2,000 nested block sequences.
    let laughs: String =
        (1..12).map(|i| format!("l{i}: &l{i} [{}]\n", vec![format!("*l{}", i - 1); 10].join(","))).collect();
    let cases = [
        (
            "deep.yaml",
            format!("{HEAD}clusters: {}{}\n", "[".repeat(80_000), "]".repeat(80_000)),
            "brackets nest deeper than 32 levels",
        ),
        (
            "alias.yaml",
            format!("{HEAD}a: &a {}\nclusters: [{}]\n", "x".repeat(1 << 20), vec!["*a"; 2000].join(", ")),
            "aliases expand it beyond 8 MiB",
        ),
        ("laughs.yaml", format!("{HEAD}l0: &l0 [x,x,x,x,x,x,x,x,x,x]\n{laughs}"), "kubeconfig refused: its aliases"),
        (
            "block.yaml",
            format!("{HEAD}clusters:\n{}", (0..2000).map(|i| format!("{}- \n", " ".repeat(i))).collect::<String>()),
            "nests deeper than 32 levels",
        ),
        ("lines.yaml", format!("{HEAD}users:\n{}", "- a\n".repeat(1_000_000)), "more than 200000 lines and items"),
    ];
    for (name, text, why) in cases {
        std::fs::write(d.join(name), text).expect("write");
        let Cost { code, rss_kib: rss, secs, stderr: err } = cost_of("k8s-verify", &[&s(&d.join(name))]);
        assert_eq!(code, 3, "{name}: {err}");
        assert!(err.contains(why), "{name}: {err}");
        assert!(secs < 5.0, "{name}: {secs:.1} s");
        assert!(rss < 96 * 1024, "{name}: max RSS {rss} KiB");
    }
    // The same limits hold for CertificateSigningRequest objects.
    let object = client_csr_object(d);
    sign_object(d, format!("{object}metadata: {{labels: {}{}}}\n", "[".repeat(80_000), "]".repeat(80_000)))
        .code(3)
        .stderr(contains("CertificateSigningRequest object refused: its brackets nest deeper than 32 levels"));
}

/// A kubeconfig whose client key is a file reference.
fn referencing(key: &str, cert: &str) -> String {
    format!(
        "{HEAD}clusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: c\ncontexts:\n- context:\n    cluster: c\n    user: u\n  name: x\ncurrent-context: x\nusers:\n- name: u\n  user:\n    client-certificate: {cert}\n    client-key: {key}\n"
    )
}

#[test]
fn a_piped_kubeconfig_cannot_make_the_tool_read_files() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    // A confused deputy: client-key points at the CA key.
    let hostile = referencing(&s(&d.join("ca.key")), &s(&d.join("ca.crt")));
    let out = tool("k8s-kubeconfig").arg("--extract").write_stdin(hostile.clone()).output().expect("runs");
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a kubeconfig from stdin does not follow file references"), "{err}");
    tool("k8s-verify").write_stdin(hostile).assert().code(3).stderr(contains("does not follow file references"));
    // Named as a file, relative references resolve against the kubeconfig's own directory, as
    // kubectl resolves them, wherever the tool runs.
    issue(d, "ca", "user", &["--cn", "user", "--usage", "client"]);
    std::fs::write(d.join("user.conf"), referencing("user.key", "user.crt")).expect("write");
    let elsewhere = scratch();
    let out = tool("k8s-kubeconfig")
        .current_dir(elsewhere.path())
        .args(["--extract", "--in", &s(&d.join("user.conf"))])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(labels(&out.stdout), vec!["RSA PRIVATE KEY", "CERTIFICATE"]);
}

#[test]
fn a_fifo_where_a_kubeconfig_points_is_refused_at_once() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    issue(d, "ca", "user", &["--cn", "user", "--usage", "client"]);
    assert!(StdCommand::new("mkfifo").arg(d.join("key.fifo")).status().expect("mkfifo").success());
    std::fs::write(d.join("user.conf"), referencing("key.fifo", "user.crt")).expect("write");
    tool("k8s-verify")
        .arg(d.join("user.conf"))
        .timeout(Duration::from_secs(20))
        .assert()
        .code(5)
        .stderr(contains("key.fifo: is a FIFO, not a regular file: not read"));
}

/// Every message the audit has about `file`.
fn messages(report: &serde_json::Value, file: &str) -> String {
    let files = report["files"].as_array().expect("files");
    let entry = files.iter().find(|f| f["path"] == file).unwrap_or_else(|| panic!("{file} not in the report"));
    entry["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["message"].as_str().unwrap_or("").to_string() + "\n")
        .collect()
}

#[test]
fn an_audit_reports_fifos_and_links_and_never_hangs() {
    let (_dir, tree) = copy_of_demo();
    let pki = tree.join("pki");
    let outside = scratch();
    std::fs::copy(pki.join("apiserver-kubelet-client.key"), outside.path().join("stolen.key")).expect("copy");
    // A FIFO, a link loop, a link out of the tree, a FIFO for a kubeconfig, and a link that
    // stays inside the tree (followed, as kubelet-client-current.pem is).
    std::fs::remove_file(pki.join("apiserver.crt")).expect("rm");
    assert!(StdCommand::new("mkfifo").arg(pki.join("apiserver.crt")).status().expect("mkfifo").success());
    std::fs::remove_file(pki.join("front-proxy-client.crt")).expect("rm");
    std::os::unix::fs::symlink("front-proxy-client.crt", pki.join("front-proxy-client.crt")).expect("loop");
    std::fs::remove_file(pki.join("apiserver-kubelet-client.key")).expect("rm");
    std::os::unix::fs::symlink(outside.path().join("stolen.key"), pki.join("apiserver-kubelet-client.key"))
        .expect("out");
    std::fs::rename(pki.join("etcd/peer.crt"), pki.join("etcd/peer-real.crt")).expect("mv");
    std::os::unix::fs::symlink("peer-real.crt", pki.join("etcd/peer.crt")).expect("in");
    let (code, report) = audit_json(&tree);
    assert_eq!(code, 1);
    assert!(messages(&report, "pki/apiserver.crt").contains("is a FIFO, not a regular file: not read"), "{report}");
    assert!(messages(&report, "pki/front-proxy-client.crt").contains("is a symbolic link loop"), "{report}");
    let out = messages(&report, "pki/apiserver-kubelet-client.crt");
    assert!(out.contains("is a symbolic link out of the tree") && out.contains("not followed"), "{out}");
    let inside = messages(&report, "pki/etcd/peer.crt");
    assert!(!inside.contains("symbolic link"), "a link inside the tree is followed: {inside}");
}
