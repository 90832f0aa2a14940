//! k8s-kubeconfig: checked before written; YAML kubectl reads; extract, partial, and a first
//! merge (the rest of merging is kubeconfig_merge.rs).

use predicates::str::contains;

use crate::util::*;

/// A client `name`'s key and certificate, issued by `dir/ca` (which `admin_stream` made), as one
/// stream.
pub(crate) fn client_stream(dir: &std::path::Path, name: &str) -> Vec<u8> {
    issue(dir, "ca", name, &["--cn", name, "--usage", "client"]);
    let mut both = std::fs::read(dir.join(format!("{name}.key"))).expect("key");
    both.extend(std::fs::read(dir.join(format!("{name}.crt"))).expect("crt"));
    both
}

pub(crate) fn admin_stream(dir: &std::path::Path) -> Vec<u8> {
    make_ca(dir, "ca", "kubernetes");
    let csr = run_ok("k8s-csr", &["--profile", "admin"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    run_ok("k8s-sign", &["--ca", &s(&dir.join("ca"))], &csr)
}

#[test]
fn writes_kubectl_yaml_named_after_the_cn() {
    let dir = scratch();
    let stream = admin_stream(dir.path());
    let yaml = run_ok(
        "k8s-kubeconfig",
        &["--ca-cert", &s(&dir.path().join("ca.crt")), "--server", "https://10.0.0.10:6443"],
        &stream,
    );
    let text = String::from_utf8(yaml).expect("utf8");
    assert!(text.starts_with("apiVersion: v1\n"), "{text}");
    assert!(text.contains("current-context: kubernetes-admin@kubernetes\n"));
    assert!(text.contains("- name: kubernetes-admin\n"));
    // JSON from k8s-sign --format json works too, and --user/--cluster-name rename.
    let json = run_ok(
        "k8s-sign",
        &["--ca", &s(&dir.path().join("ca")), "--format", "json"],
        &run_ok("k8s-csr", &["--profile", "admin"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b"")),
    );
    let yaml = run_ok(
        "k8s-kubeconfig",
        &[
            "--ca-cert",
            &s(&dir.path().join("ca.crt")),
            "--server",
            "https://lb:6443",
            "--user",
            "root",
            "--cluster-name",
            "prod",
        ],
        &json,
    );
    assert!(String::from_utf8_lossy(&yaml).contains("current-context: root@prod\n"));
}

#[test]
fn out_file_is_0600_and_not_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch();
    let stream = admin_stream(dir.path());
    let conf = s(&dir.path().join("admin.conf"));
    let args = ["--ca-cert", &s(&dir.path().join("ca.crt")), "--server", "https://10.0.0.10:6443", "--out", &conf];
    tool("k8s-kubeconfig").args(args).write_stdin(stream.clone()).assert().success();
    assert_eq!(std::fs::metadata(&conf).expect("meta").permissions().mode() & 0o777, 0o600);
    tool("k8s-kubeconfig").args(args).write_stdin(stream.clone()).assert().code(5).stderr(contains("exists"));
    tool("k8s-kubeconfig").args(args).arg("--force").write_stdin(stream).assert().success();
}

#[test]
fn checks_before_writing() {
    let dir = scratch();
    let stream = admin_stream(dir.path());
    let ca = s(&dir.path().join("ca.crt"));
    // A key that is not the certificate's.
    let mut wrong_key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    wrong_key.extend(blocks_of(&stream, "CERTIFICATE")[0].as_bytes());
    tool("k8s-kubeconfig")
        .args(["--ca-cert", &ca, "--server", "https://h:6443"])
        .write_stdin(wrong_key)
        .assert()
        .code(4)
        .stderr(contains("does not match"));
    // A server-only certificate.
    let srv = run_ok(
        "k8s-sign",
        &["--ca", &s(&dir.path().join("ca")), "--usage", "server"],
        &run_ok("k8s-csr", &["--cn", "srv"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b"")),
    );
    tool("k8s-kubeconfig")
        .args(["--ca-cert", &ca, "--server", "https://h:6443"])
        .write_stdin(srv)
        .assert()
        .code(4)
        .stderr(contains("incompatible key usage"));
    // Bad server URLs, missing flags.
    for bad in ["10.0.0.1:6443", "https://h:99999", "https://"] {
        tool("k8s-kubeconfig")
            .args(["--ca-cert", &ca, "--server", bad])
            .write_stdin(stream.clone())
            .assert()
            .code(2)
            .stderr(contains("--server"));
    }
    tool("k8s-kubeconfig")
        .args(["--server", "https://h"])
        .write_stdin(stream.clone())
        .assert()
        .code(2)
        .stderr(contains("--ca-cert"));
    // No key in the stream.
    let cert_only = blocks_of(&stream, "CERTIFICATE")[0].clone();
    tool("k8s-kubeconfig")
        .args(["--ca-cert", &ca, "--server", "https://h"])
        .write_stdin(cert_only)
        .assert()
        .code(3)
        .stderr(contains("no private key"));
}

#[test]
fn file_paths_instead_of_data() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    issue(dir.path(), "ca", "kubelet", &["--profile", "kubelet", "--node-name", "n1"]);
    let yaml = run_ok(
        "k8s-kubeconfig",
        &[
            "--ca-cert",
            &s(&dir.path().join("ca.crt")),
            "--cert",
            &s(&dir.path().join("kubelet.crt")),
            "--key",
            &s(&dir.path().join("kubelet.key")),
            "--server",
            "https://10.0.0.10:6443",
            "--embed=false",
        ],
        b"",
    );
    let text = String::from_utf8(yaml).expect("utf8");
    assert!(text.contains(&format!("client-key: {}", s(&dir.path().join("kubelet.key")))), "{text}");
    assert!(!text.contains("-data:"), "{text}");
    std::fs::write(dir.path().join("k.conf"), &text).expect("write");
    let res = kubectl()
        .args([
            "--kubeconfig",
            &s(&dir.path().join("k.conf")),
            "config",
            "view",
            "--raw",
            "-o",
            "jsonpath={.users[0].name}",
        ])
        .output()
        .expect("kubectl");
    assert_eq!(String::from_utf8_lossy(&res.stdout), "system:node:n1");
}

#[test]
fn merge_adds_a_user_as_kubectl_would() {
    let dir = scratch();
    let stream = admin_stream(dir.path());
    let ca = s(&dir.path().join("ca.crt"));
    let conf = s(&dir.path().join("config"));
    run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--out", &conf], &stream);
    issue(dir.path(), "ca", "alice", &["--cn", "alice", "--org", "dev", "--usage", "client"]);
    let mut alice = std::fs::read(dir.path().join("alice.key")).expect("key");
    alice.extend(std::fs::read(dir.path().join("alice.crt")).expect("crt"));
    let merged =
        run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--merge", &conf], &alice);
    std::fs::write(dir.path().join("merged"), &merged).expect("write");
    let res = kubectl()
        .args(["--kubeconfig", &s(&dir.path().join("merged")), "config", "get-contexts", "-o", "name"])
        .output()
        .expect("kubectl");
    let names = String::from_utf8_lossy(&res.stdout);
    assert!(names.contains("kubernetes-admin@kubernetes") && names.contains("alice@kubernetes"), "{names}");
}

#[test]
fn extract_gives_back_the_pem() {
    let dir = scratch();
    let stream = admin_stream(dir.path());
    let ca = s(&dir.path().join("ca.crt"));
    let yaml = run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443"], &stream);
    let pem = run_ok("k8s-kubeconfig", &["--extract"], &yaml);
    assert_eq!(labels(&pem), vec!["EC PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"]);
    assert!(pem.starts_with(&stream), "key and certificate come back byte for byte");
    assert!(String::from_utf8_lossy(&pem).ends_with(&read(dir.path().join("ca.crt"))));
    tool("k8s-kubeconfig").arg("--extract").write_stdin("kind: Pod\n").assert().code(3);
    tool("k8s-kubeconfig")
        .args(["--extract", "--context", "nope"])
        .write_stdin(yaml)
        .assert()
        .code(3)
        .stderr(contains("no context"));
}

#[test]
fn merge_into_a_hand_written_kubeconfig_keeps_what_it_does_not_know() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let ca = s(&d.join("ca.crt"));
    // Fields kubectl keeps: extensions at every level, proxy-url, a namespace, an exec user.
    let hand = "# my clusters\napiVersion: v1\nkind: Config\npreferences: {}\nextensions:\n- name: top\n  extension: {a: 1}\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://old.example:6443\n    proxy-url: http://proxy.example:3128\n    extensions:\n    - name: inner\n      extension: {b: 2}\ncontexts:\n- name: alice@kubernetes\n  context:\n    cluster: kubernetes\n    user: alice\n    namespace: team-a\nusers:\n- name: bob\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token\n      interactiveMode: Never\ncurrent-context: alice@kubernetes\n";
    std::fs::write(d.join("config"), hand).expect("write");
    let alice = client_stream(d, "alice");
    let out = tool("k8s-kubeconfig")
        .args(["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--merge", &s(&d.join("config"))])
        .write_stdin(alice)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cluster 'kubernetes' updated; its other fields are kept"), "{err}");
    assert!(err.contains("context 'alice@kubernetes' updated"), "{err}");
    assert!(err.contains("its 1 comment(s) are not kept"), "{err}");
    std::fs::write(d.join("merged"), &out.stdout).expect("write");
    let view = kubectl()
        .args(["--kubeconfig", &s(&d.join("merged")), "config", "view", "-o", "json"])
        .output()
        .expect("kubectl");
    assert!(view.status.success(), "{}", String::from_utf8_lossy(&view.stderr));
    let json: serde_json::Value = serde_json::from_slice(&view.stdout).expect("json");
    let cluster = &json["clusters"][0]["cluster"];
    assert_eq!(cluster["server"], "https://10.0.0.10:6443");
    assert_eq!(cluster["proxy-url"], "http://proxy.example:3128");
    assert_eq!(cluster["extensions"][0]["name"], "inner");
    assert_eq!(json["extensions"][0]["name"], "top");
    assert_eq!(json["contexts"][0]["context"]["namespace"], "team-a");
    let bob = json["users"].as_array().expect("users").iter().find(|u| u["name"] == "bob").expect("bob");
    assert_eq!(bob["user"]["exec"]["command"], "get-token");
}

#[test]
fn partial_writes_kubeadms_key_only_kubeconfig_and_its_csr() {
    let dir = scratch();
    let out = dir.path().join("node/kubelet.conf");
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let stream = run_ok("k8s-csr", &["--profile", "kubelet", "--node-name", "node-1", "--no-usages"], &key);
    let partial = |extra: &[&str], input: &[u8]| {
        tool("k8s-kubeconfig")
            .args(["--partial", "--advertise-address", "fd00::10", "--kubernetes-version", "1.32"])
            .args(["--control-plane-endpoint", "lb.example.com"])
            .args(extra)
            .write_stdin(input.to_vec())
            .assert()
    };
    partial(&["--out", &s(&out)], &stream).success();
    // kubelet.conf up to 1.32 points at the control-plane endpoint (default port 6443).
    let yaml = read(&out);
    assert!(yaml.contains("server: https://lb.example.com:6443\n"), "{yaml}");
    assert!(yaml.contains("name: system:node:node-1@kubernetes\n"), "{yaml}");
    assert!(!yaml.contains("certificate-authority") && !yaml.contains("client-certificate"), "{yaml}");
    assert_eq!(run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&out)], b""), key, "the key, as given");
    let csr = openssl_ok(dir.path(), &["req", "-noout", "-subject", "-in", "node/kubelet.conf.csr"]);
    assert!(csr.contains("CN = system:node:node-1"), "{csr}");
    // Neither file is replaced without --force; nothing is written on a refusal.
    partial(&["--out", &s(&out)], &stream).code(5).stderr(contains("file exists (use --force to overwrite)"));
    partial(&["--out", &s(&out), "--force"], &stream).success();
    // A key that is not the CSR's, and a stream without a CSR, are refused with the reason.
    let other = dir.path().join("other.conf");
    let mut wrong = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    wrong.extend(read(dir.path().join("node/kubelet.conf.csr")).into_bytes());
    partial(&["--out", &s(&other)], &wrong).code(4).stderr(contains("the private key does not match the CSR"));
    partial(&["--out", &s(&other)], &key).code(3).stderr(contains("no CERTIFICATE REQUEST found"));
    assert!(!other.exists() && !dir.path().join("other.conf.csr").exists());
    // Two files cannot go to stdout.
    tool("k8s-kubeconfig")
        .args(["--partial", "--server", "https://10.0.0.10:6443"])
        .write_stdin(stream)
        .assert()
        .code(2)
        .stderr(contains("--out"));
}

/// Every kubeconfig the demo trees hold (built, per node, ECDSA) is one kubectl loads: `config
/// view --raw` and `config get-contexts` succeed on each.
#[test]
fn every_kubeconfig_the_trees_hold_loads_in_kubectl() {
    let mut seen = 0;
    for tree in [demo_pki(), ecdsa_demo_pki()] {
        let mut stack = vec![tree.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "conf") {
                    for args in [&["config", "view", "--raw"][..], &["config", "get-contexts"]] {
                        let out = kubectl().arg("--kubeconfig").arg(&path).args(args).output().expect("kubectl");
                        assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
                    }
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 10, "only {seen} kubeconfigs");
}

/// The suite's own judge: a test whose scratch directory holds a kubeconfig the tools could have
/// written (mode 0600) that kubectl refuses fails when the directory goes; the same file with a
/// hand-made input's mode is left alone.
#[test]
fn a_kubeconfig_kubectl_refuses_fails_the_test_that_wrote_it() {
    use std::os::unix::fs::PermissionsExt;
    let make = |mode: u32| {
        let dir = scratch();
        let d = dir.path();
        let stream = admin_stream(d);
        let conf = d.join("config");
        let ca = s(&d.join("ca.crt"));
        run_ok(
            "k8s-kubeconfig",
            &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--out", &s(&conf)],
            &stream,
        );
        // The same file with a second cluster entry of one name (and a unique comment, so it is
        // judged in this run whatever was seen before).
        let text = read(&conf);
        let entry = text.split("contexts:").next().expect("clusters").split("clusters:\n").nth(1).expect("entry");
        let dup = format!("# {mode:o} {:?}\n{}", d, text.replacen("clusters:\n", &format!("clusters:\n{entry}"), 1));
        std::fs::write(&conf, dup).expect("write");
        std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(mode)).expect("chmod");
        dir
    };
    let judged = std::panic::catch_unwind(|| drop(make(0o600)));
    let message = judged.expect_err("kubectl refuses it").downcast::<String>().map(|m| *m).unwrap_or_default();
    assert!(message.contains("duplicate name"), "{message}");
    drop(make(0o644));
}

/// `--kubernetes-version` means kubeadm's servers (with --advertise-address) or where a renewal
/// starts (with --renew); anywhere else it is a usage error that says so, and nothing is written.
#[test]
fn the_release_flag_means_something_in_every_mode_it_is_taken() {
    let dir = scratch();
    let d = dir.path();
    let stream = admin_stream(d);
    let out = d.join("admin.conf");
    tool("k8s-kubeconfig")
        .args(["--ca-cert", &s(&d.join("ca.crt")), "--server", "https://10.0.0.10:6443", "--kubernetes-version", "1.28"])
        .args(["--out", &s(&out)])
        .write_stdin(stream)
        .assert()
        .code(2)
        .stderr(contains(
            "--kubernetes-version goes with --advertise-address (kubeadm's servers) or --renew (where NotBefore starts)",
        ));
    assert!(!out.exists());
}
