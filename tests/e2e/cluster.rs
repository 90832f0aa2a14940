//! The whole cluster PKI (examples/kubeadm-pki.sh), proven on real components: kubectl reads
//! every kubeconfig and authenticates with it against a Go TLS server that checks clients as
//! kube-apiserver does; a three-member etcd cluster runs on the etcd certificates with client
//! certificate auth; Go's crypto/x509 verifies every certificate for its purpose and SANs.

use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use crate::etcd::Etcd;
use crate::util::*;

const KUBECONFIGS: &[(&str, &str, &[&str])] = &[
    ("admin.conf", "kubernetes-admin", &["kubeadm:cluster-admins"]),
    ("super-admin.conf", "kubernetes-super-admin", &["system:masters"]),
    ("kubelet.conf", "system:node:node-1", &["system:nodes"]),
    ("controller-manager.conf", "system:kube-controller-manager", &[]),
    ("scheduler.conf", "system:kube-scheduler", &[]),
    ("nodes/node-2/kubelet.conf", "system:node:node-2", &["system:nodes"]),
];

fn kubectl() -> StdCommand {
    let mut cmd = crate::util::kubectl();
    cmd.env("KUBECONFIG", "/dev/null");
    cmd
}

fn b64_decode(s: &str) -> Vec<u8> {
    let out = StdCommand::new("base64")
        .arg("-d")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(s.as_bytes())?;
            c.wait_with_output()
        })
        .expect("base64");
    out.stdout
}

#[test]
fn the_layout_is_kubeadms() {
    let out = demo_pki();
    for f in [
        "pki/ca.crt",
        "pki/ca.key",
        "pki/apiserver.crt",
        "pki/apiserver.key",
        "pki/apiserver-kubelet-client.crt",
        "pki/apiserver-kubelet-client.key",
        "pki/apiserver-etcd-client.crt",
        "pki/apiserver-etcd-client.key",
        "pki/front-proxy-ca.crt",
        "pki/front-proxy-ca.key",
        "pki/front-proxy-client.crt",
        "pki/front-proxy-client.key",
        "pki/etcd/ca.crt",
        "pki/etcd/ca.key",
        "pki/etcd/server.crt",
        "pki/etcd/server.key",
        "pki/etcd/peer.crt",
        "pki/etcd/peer.key",
        "pki/etcd/healthcheck-client.crt",
        "pki/etcd/healthcheck-client.key",
        "pki/sa.key",
        "pki/sa.pub",
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
        "nodes/node-2/pki/etcd/server.crt",
        "nodes/node-3/pki/etcd/peer.crt",
        "nodes/node-3/kubelet.conf",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    use std::os::unix::fs::PermissionsExt;
    // kubeadm's modes (docs/kubeadm.md section 4): keys, kubeconfigs and sa.pub 0600,
    // certificates 0644, directories 0755.
    let mode = |f: &str| std::fs::metadata(out.join(f)).expect("meta").permissions().mode() & 0o777;
    for private in ["pki/ca.key", "pki/sa.key", "pki/sa.pub", "pki/etcd/peer.key", "admin.conf"] {
        assert_eq!(mode(private), 0o600, "{private}");
    }
    for cert in ["pki/ca.crt", "pki/etcd/peer.crt"] {
        assert_eq!(mode(cert), 0o644, "{cert}");
    }
    for dir in ["pki", "pki/etcd"] {
        assert_eq!(mode(dir) & 0o022, 0, "{dir} is writable by others");
    }
}

#[test]
fn kubectl_reads_every_kubeconfig_and_the_data_is_right() {
    let out = demo_pki();
    let ca = read(out.join("pki/ca.crt"));
    for (file, user, _) in KUBECONFIGS {
        let res = kubectl()
            .args(["--kubeconfig"])
            .arg(out.join(file))
            .args(["config", "view", "--raw", "-o", "json"])
            .output()
            .expect("kubectl");
        assert!(res.status.success(), "{file}: {}", String::from_utf8_lossy(&res.stderr));
        let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
        assert_eq!(v["current-context"], format!("{user}@kubernetes"), "{file}");
        assert_eq!(v["clusters"][0]["name"], "kubernetes");
        // kubeadm 1.33: every kubeconfig of node-1 at https://10.0.0.10:6443 (no control-plane
        // endpoint), node-2's kubelet.conf at its own API server (ControlPlaneKubeletLocalMode).
        let server =
            if file.starts_with("nodes/node-2/") { "https://10.0.0.11:6443" } else { "https://10.0.0.10:6443" };
        assert_eq!(v["clusters"][0]["cluster"]["server"], server, "{file}");
        let ca_data = b64_decode(v["clusters"][0]["cluster"]["certificate-authority-data"].as_str().expect("ca data"));
        assert_eq!(String::from_utf8_lossy(&ca_data), ca, "{file}: embedded CA is pki/ca.crt");
        let dir = scratch();
        std::fs::write(
            dir.path().join("c.crt"),
            b64_decode(v["users"][0]["user"]["client-certificate-data"].as_str().expect("cert")),
        )
        .expect("w");
        std::fs::write(
            dir.path().join("c.key"),
            b64_decode(v["users"][0]["user"]["client-key-data"].as_str().expect("key")),
        )
        .expect("w");
        assert_eq!(v["users"][0]["name"], *user);
        let subject = openssl_ok(dir.path(), &["x509", "-in", "c.crt", "-noout", "-subject"]);
        assert!(subject.contains(&format!("CN = {user}")), "{file}: {subject}");
        let from_cert = openssl_ok(dir.path(), &["x509", "-in", "c.crt", "-noout", "-pubkey"]);
        let from_key = openssl_ok(dir.path(), &["pkey", "-in", "c.key", "-pubout"]);
        assert_eq!(from_cert, from_key, "{file}: key matches cert");
        std::fs::copy(out.join("pki/ca.crt"), dir.path().join("ca.crt")).expect("copy");
        openssl_ok(dir.path(), &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.crt", "c.crt"]);
    }
}

fn whoami(kubeconfig: &Path, addr: &str, extra: &[&str]) -> std::process::Output {
    kubectl()
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--server", &format!("https://{addr}"), "--tls-server-name", "kubernetes", "--request-timeout", "10s"])
        .args(extra)
        .args(["auth", "whoami", "-o", "json"])
        .output()
        .expect("kubectl")
}

#[test]
fn kubectl_authenticates_with_every_kubeconfig_as_the_spec_says() {
    let out = demo_pki();
    let (_server, addr) = start_demo_apiserver(out);
    for (file, user, groups) in KUBECONFIGS {
        let res = whoami(&out.join(file), &addr, &[]);
        assert!(res.status.success(), "{file}: {}", String::from_utf8_lossy(&res.stderr));
        let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
        assert_eq!(v["status"]["userInfo"]["username"], *user, "{file}");
        let mut want: Vec<&str> = groups.to_vec();
        want.push("system:authenticated");
        assert_eq!(v["status"]["userInfo"]["groups"], serde_json::json!(want), "{file}");
    }
}

#[test]
fn a_kubeconfig_from_the_wrong_ca_is_refused() {
    let out = demo_pki();
    let (_server, addr) = start_demo_apiserver(out);
    let dir = scratch();
    // A client certificate signed by the etcd CA, wrapped with that CA so k8s-kubeconfig's own
    // chain check passes; kubectl trusts the real cluster CA for the server.
    let key = run_ok("k8s-genkey", &[], b"");
    let csr = run_ok("k8s-csr", &["--profile", "admin"], &key);
    let etcd_ca = out.join("pki/etcd/ca").to_str().expect("utf8").to_string();
    let cert = run_ok("k8s-sign", &["--ca", &etcd_ca], &csr);
    let etcd_ca_crt = format!("{etcd_ca}.crt");
    let conf = run_ok("k8s-kubeconfig", &["--ca-cert", &etcd_ca_crt, "--server", "https://10.0.0.10:6443"], &cert);
    std::fs::write(dir.path().join("evil.conf"), conf).expect("write");
    let ca = out.join("pki/ca.crt");
    let res = whoami(&dir.path().join("evil.conf"), &addr, &["--certificate-authority", ca.to_str().expect("utf8")]);
    assert!(!res.status.success(), "a client cert from the etcd CA was accepted");
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("remote error: tls: bad certificate"), "expected the server's TLS alert:\n{err}");
    // And k8s-kubeconfig itself refuses to pair that cert with the cluster CA.
    let ca_crt = ca.to_str().expect("utf8");
    tool("k8s-kubeconfig")
        .args(["--ca-cert", ca_crt, "--server", "https://10.0.0.10:6443"])
        .write_stdin(cert)
        .assert()
        .code(4)
        .stderr(predicates::str::contains("unknown authority"));
}

#[test]
fn go_crypto_x509_verifies_every_certificate() {
    let out = demo_pki();
    let p = |f: &str| out.join(f).to_str().expect("utf8").to_string();
    let mut lines = vec![
        format!(
            "{} {} server kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local node-1 10.96.0.1 10.0.0.10",
            p("pki/apiserver.crt"),
            p("pki/ca.crt")
        ),
        format!("{} {} client", p("pki/apiserver-kubelet-client.crt"), p("pki/ca.crt")),
        format!("{} {} client", p("pki/front-proxy-client.crt"), p("pki/front-proxy-ca.crt")),
        format!(
            "{} {} server node-1 localhost 10.0.0.10 127.0.0.1 ::1",
            p("pki/etcd/server.crt"),
            p("pki/etcd/ca.crt")
        ),
        format!("{} {} client", p("pki/etcd/server.crt"), p("pki/etcd/ca.crt")),
        format!("{} {} server node-1 localhost 10.0.0.10 127.0.0.1 ::1", p("pki/etcd/peer.crt"), p("pki/etcd/ca.crt")),
        format!("{} {} client", p("pki/etcd/peer.crt"), p("pki/etcd/ca.crt")),
        format!("{} {} client", p("pki/etcd/healthcheck-client.crt"), p("pki/etcd/ca.crt")),
        format!("{} {} client", p("pki/apiserver-etcd-client.crt"), p("pki/etcd/ca.crt")),
        format!(
            "{} {} server node-2 localhost 10.0.0.11 127.0.0.1",
            p("nodes/node-2/pki/etcd/server.crt"),
            p("pki/etcd/ca.crt")
        ),
        format!("{} {} server node-3 10.0.0.12", p("nodes/node-3/pki/etcd/peer.crt"), p("pki/etcd/ca.crt")),
        format!("{} {} server node-2 10.0.0.11", p("nodes/node-2/pki/kubelet.crt"), p("pki/ca.crt")),
        format!("{} {} any", p("pki/ca.crt"), p("pki/ca.crt")),
        format!("{} {} any", p("pki/etcd/ca.crt"), p("pki/etcd/ca.crt")),
        format!("{} {} any", p("pki/front-proxy-ca.crt"), p("pki/front-proxy-ca.crt")),
    ];
    let good = lines.len();
    // And what must fail, with Go's own words.
    lines.push(format!("{} {} server", p("pki/apiserver.crt"), p("pki/etcd/ca.crt")));
    lines.push(format!("{} {} client", p("pki/apiserver.crt"), p("pki/ca.crt")));
    lines.push(format!("{} {} server 10.0.0.11", p("pki/apiserver.crt"), p("pki/ca.crt")));
    lines.push(format!("{} {} client", p("pki/front-proxy-client.crt"), p("pki/ca.crt")));
    let verdicts = go_x509(&lines);
    for (line, verdict) in lines.iter().zip(&verdicts).take(good) {
        assert_eq!(verdict, "OK", "{line}");
    }
    assert_eq!(verdicts[good], "x509: certificate signed by unknown authority");
    assert_eq!(verdicts[good + 1], "x509: certificate specifies an incompatible key usage");
    assert_eq!(verdicts[good + 2], "x509: certificate is valid for 10.96.0.1, 10.0.0.10, not 10.0.0.11");
    assert_eq!(verdicts[good + 3], "x509: certificate signed by unknown authority");
}

#[test]
fn a_three_member_etcd_cluster_runs_on_the_etcd_certificates() {
    let out = demo_pki();
    require("etcd", "etcd-server");
    require("etcdctl", "etcd-client");
    let data = scratch();
    // Started, each member answering endpoint health and member list showing 3 started.
    let etcd = Etcd::start_all(data.path(), out);
    let ca = out.join("pki/etcd/ca.crt");
    let endpoints: Vec<String> = (0..3).map(|i| etcd.endpoint(i)).collect();
    let etcdctl = |client: &str, args: &[&str]| etcd.ctl(&endpoints.join(","), &ca, out, client, args);
    for client in ["etcd/healthcheck-client", "apiserver-etcd-client"] {
        let put = etcdctl(client, &["put", "/registry/k8s-pki", client]);
        assert!(put.status.success(), "{client}: {}", String::from_utf8_lossy(&put.stderr));
        let get = etcdctl(client, &["get", "/registry/k8s-pki", "--print-value-only"]);
        assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), client);
    }
    // A client certificate from the cluster CA, not the etcd CA, is rejected.
    let res = etcdctl("apiserver-kubelet-client", &["get", "/registry/k8s-pki"]);
    assert!(!res.status.success(), "etcd accepted a client certificate from the cluster CA");
    // Refused for the right reason: etcd logs the rejected handshake with Go's verdict.
    let logs = etcd.logs();
    let rejected = logs
        .lines()
        .find(|l| l.contains("rejected connection") && l.contains("x509: certificate signed by unknown authority"));
    assert!(rejected.is_some(), "etcd did not log the rejected client certificate:\n{logs}");

    // k8s-verify --connect on a live member: the chain it serves is its server.crt (client port)
    // and peer.crt (peer port); it accepts the healthcheck client and refuses a cluster-CA
    // client certificate with the alert its Go release sends.
    let etcd_go = go_minor(&String::from_utf8_lossy(
        &StdCommand::new("etcd").arg("--version").output().expect("etcd --version").stdout,
    ));
    let m = &etcd.members[0];
    let client = |name: &str| {
        [
            format!("--cert={}", s(&out.join(format!("pki/{name}.crt")))),
            format!("--key={}", s(&out.join(format!("pki/{name}.key")))),
        ]
    };
    let ca_flag = format!("--ca-cert={}", s(&ca));
    let [cert, key] = client("etcd/healthcheck-client");
    // The member listens on ports that are not etcd's 2379 and 2380: the served certificate is
    // found in the tree by its bytes.
    let tree = format!("--pki-dir={}", s(out));
    let (code, v) = connect_json(&format!("127.0.0.1:{}", m.client), &[&ca_flag, &cert, &key, &tree]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["client"]["accepted"], true);
    let on_disk = |v: &serde_json::Value| {
        v["findings"].as_array().expect("findings").iter().find(|f| f["check"] == "on-disk").cloned().expect("on-disk")
    };
    let f = on_disk(&v);
    assert_eq!(f["status"], "ok", "{f}");
    assert!(f["message"].as_str().is_some_and(|m| m.ends_with("pki/etcd/server.crt (--cert-file)")), "{f}");
    let fingerprint = |file: &Path| openssl_fingerprint(Path::new("."), &s(file));
    assert_eq!(v["served"][0]["sha256Fingerprint"].as_str(), Some(fingerprint(&m.disk.join("server.crt")).as_str()));
    let (code, v) = connect_json(&format!("127.0.0.1:{}", m.peer), &[&ca_flag, &cert, &key, &tree]);
    assert_eq!(code, 0, "{v}");
    let f = on_disk(&v);
    assert!(f["message"].as_str().is_some_and(|m| m.ends_with("pki/etcd/peer.crt (--peer-cert-file)")), "{f}");
    assert_eq!(v["served"][0]["sha256Fingerprint"].as_str(), Some(fingerprint(&m.disk.join("peer.crt")).as_str()));
    let [cert, key] = client("apiserver-kubelet-client");
    let (code, v) = connect_json(&format!("127.0.0.1:{}", m.client), &[&ca_flag, &cert, &key]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["client"]["alert"], go_unknown_ca_alert(etcd_go), "{v}");
}

#[test]
fn the_hard_way_flavour_works_with_kubectl_and_go() {
    let dir = scratch();
    let out = dir.path().join("hw");
    let script = repo().join("examples/hard-way-pki.sh");
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let res = StdCommand::new("bash")
        .arg(script)
        .arg(&out)
        .arg("worker-0 worker-1")
        .arg("10.240.0.10")
        .env("PATH", path)
        .output()
        .expect("script");
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let p = |f: &str| out.join(f).to_str().expect("utf8").to_string();
    let verdicts = go_x509(&[
        format!(
            "{} {} server 10.32.0.1 127.0.0.1 10.240.0.10 kubernetes.default controller-0",
            p("kubernetes.crt"),
            p("ca.crt")
        ),
        format!("{} {} server worker-0 10.240.0.20", p("worker-0-serving.crt"), p("ca.crt")),
        format!("{} {} client", p("kube-proxy.crt"), p("ca.crt")),
    ]);
    assert_eq!(verdicts, vec!["OK", "OK", "OK"]);
    // kubectl with the hard-way kubeconfigs, against a server using the guide's kubernetes.crt.
    let (_server, addr) =
        start_apiserver(&out.join("kubernetes.crt"), &out.join("kubernetes.key"), &out.join("ca.crt"));
    for (conf, user, group) in [
        ("kube-proxy.kubeconfig", "system:kube-proxy", "system:node-proxier"),
        ("worker-1.kubeconfig", "system:node:worker-1", "system:nodes"),
    ] {
        let res = whoami(&out.join(conf), &addr, &[]);
        assert!(res.status.success(), "{conf}: {}", String::from_utf8_lossy(&res.stderr));
        let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
        assert_eq!(v["status"]["userInfo"]["username"], user);
        assert_eq!(v["status"]["userInfo"]["groups"], serde_json::json!([group, "system:authenticated"]));
    }
}
