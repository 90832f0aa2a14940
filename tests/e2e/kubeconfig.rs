//! k8s-kubeconfig: checked before written; YAML kubectl reads; merge and extract.

use predicates::str::contains;

use crate::util::*;

/// A client `name`'s key and certificate, issued by `dir/ca` (which `admin_stream` made), as one
/// stream.
fn client_stream(dir: &std::path::Path, name: &str) -> Vec<u8> {
    issue(dir, "ca", name, &["--cn", name, "--usage", "client"]);
    let mut both = std::fs::read(dir.join(format!("{name}.key"))).expect("key");
    both.extend(std::fs::read(dir.join(format!("{name}.crt"))).expect("crt"));
    both
}

fn admin_stream(dir: &std::path::Path) -> Vec<u8> {
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
    let res = std::process::Command::new("kubectl")
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
    let res = std::process::Command::new("kubectl")
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
    let view = std::process::Command::new("kubectl")
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

#[test]
fn merge_writes_back_when_asked_and_keeps_the_current_context() {
    let dir = scratch();
    let d = dir.path();
    let stream = admin_stream(d);
    let ca = s(&d.join("ca.crt"));
    let conf = d.join("config");
    run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--out", &s(&conf)], &stream);
    let alice = client_stream(d, "alice");
    let merge = |extra: &[&str]| {
        tool("k8s-kubeconfig")
            .args(["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--merge", &s(&conf)])
            .args(extra)
            .write_stdin(alice.clone())
            .assert()
    };
    let current = || {
        let out = std::process::Command::new("kubectl")
            .args(["--kubeconfig", &s(&conf), "config", "current-context"])
            .output()
            .expect("kubectl");
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
    let stream = admin_stream(d);
    let ca = s(&d.join("ca.crt"));
    let conf = d.join("config");
    run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--out", &s(&conf)], &stream);
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
        let out = std::process::Command::new("kubectl")
            .args(["--kubeconfig", &s(&conf), "config", "get-users"])
            .output()
            .expect("kubectl");
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
                    let out = std::process::Command::new("kubectl")
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
    let stream = admin_stream(d);
    let ca = s(&d.join("ca.crt"));
    let conf = d.join("config");
    run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--out", &s(&conf)], &stream);
    let kubectl = |file: &std::path::Path, args: &[&str]| {
        std::process::Command::new("kubectl").arg("--kubeconfig").arg(file).args(args).output().expect("kubectl")
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
    let stream = admin_stream(d);
    let ca = s(&d.join("ca.crt"));
    let conf = d.join("config");
    run_ok("k8s-kubeconfig", &["--ca-cert", &ca, "--server", "https://10.0.0.10:6443", "--out", &s(&conf)], &stream);
    let bob = client_stream(d, "bob");
    let out =
        tool("k8s-kubeconfig").args(["--merge", &s(&conf), "--in-place"]).write_stdin(bob).output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let view = std::process::Command::new("kubectl")
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
                        let out = std::process::Command::new("kubectl")
                            .arg("--kubeconfig")
                            .arg(&path)
                            .args(args)
                            .output()
                            .expect("kubectl");
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
