//! k8s-verify --connect against live servers on 127.0.0.1, each stopped by pid: openssl
//! s_server (TLS 1.3 and 1.2, a chain with an intermediate, SNI, client certificates), the Go
//! stand-in for kube-apiserver (crypto/tls requiring client certificates), and a renewed file
//! while the old certificate is still served. The etcd cluster test (cluster.rs) checks a real
//! etcd member the same way.

use std::path::Path;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use crate::util::*;

/// A root CA, an intermediate under it, a serving certificate for kubernetes/127.0.0.1 under
/// the intermediate, and an unrelated root.
fn intermediate_chain(dir: &Path) {
    let sign = |csr_args: &[&str], sign_args: &[&str]| {
        let key = run_ok("k8s-genkey", &[], b"");
        let csr = run_ok("k8s-csr", csr_args, &key);
        run_ok("k8s-sign", sign_args, &csr);
    };
    let at = |name: &str| s(&dir.join(name));
    sign(&["--profile", "ca", "--cn", "root-ca"], &["--self-sign", "--out", &at("root")]);
    sign(&["--profile", "ca", "--cn", "other-root"], &["--self-sign", "--out", &at("other")]);
    sign(
        &["--profile", "ca", "--cn", "kubernetes-intermediate"],
        &["--ca", &at("root"), "--allow-ca", "--out", &at("int")],
    );
    sign(
        &["--profile", "apiserver", "--node-name", "cp-1", "--advertise-address", "127.0.0.1"],
        &["--ca", &at("int"), "--out", &at("leaf")],
    );
    // A second serving certificate for SNI: another name, signed by the root directly.
    sign(
        &["--cn", "other-name", "--san", "other.example"],
        &["--ca", &at("root"), "--usage", "server", "--out", &at("sni")],
    );
}

#[test]
fn a_served_chain_with_an_intermediate_is_checked_as_go_would() {
    let dir = scratch();
    intermediate_chain(dir.path());
    for (protocol, flag) in [("TLSv1.3", "-tls1_3"), ("TLSv1.2", "-tls1_2")] {
        let (_server, addr) =
            s_server(dir.path(), &[flag, "-cert", "leaf.crt", "-key", "leaf.key", "-cert_chain", "int.crt"]);
        let root = s(&dir.path().join("root.crt"));
        let (code, v) = connect_json(&addr, &["--ca-cert", &root, "--servername", "kubernetes"]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["protocol"], protocol);
        assert!(v["cipher"].as_str().is_some_and(|c| c.starts_with("TLS")), "{v}");
        assert_eq!(v["served"].as_array().map(Vec::len), Some(2), "leaf and intermediate: {v}");
        assert_eq!(v["served"][0]["subject"]["cn"], "kube-apiserver");
        assert_eq!(v["served"][1]["subject"]["cn"], "kubernetes-intermediate");
        assert_eq!(v["go"], "OK");
        // The served leaf is byte for byte the file the server was given.
        let fingerprint = openssl_fingerprint(dir.path(), "leaf.crt");
        assert_eq!(v["served"][0]["sha256Fingerprint"].as_str(), Some(fingerprint.as_str()), "{v}");

        // Against another root: rejected with Go's words, as Go's own verifier says them.
        let other = s(&dir.path().join("other.crt"));
        let (code, v) = connect_json(&addr, &["--ca-cert", &other, "--servername", "kubernetes"]);
        assert_eq!(code, 1, "{v}");
        let go = go_x509(&[format!("{} {other} server kubernetes", s(&dir.path().join("leaf.crt")))]);
        assert_eq!(v["go"], go[0].as_str());
        assert_eq!(go[0], "x509: certificate signed by unknown authority");

        // --host defaults to the host connected to: 127.0.0.1 is in the SANs, 127.0.0.2 is not.
        let (code, _) = connect_json(&addr, &["--ca-cert", &root]);
        assert_eq!(code, 0);
        let (code, v) = connect_json(&addr, &["--ca-cert", &root, "--servername", "api.example"]);
        assert_eq!(code, 1);
        let (leaf, int) = (s(&dir.path().join("leaf.crt")), s(&dir.path().join("int.crt")));
        let go = go_x509(&[format!("{leaf} {int} server api.example")]);
        assert_eq!(v["go"].as_str(), Some(go[0].as_str()), "{v}");
    }
}

#[test]
fn servername_is_sent_as_sni() {
    let dir = scratch();
    intermediate_chain(dir.path());
    let args =
        ["-cert", "sni.crt", "-key", "sni.key", "-servername", "kubernetes", "-cert2", "leaf.crt", "-key2", "leaf.key"];
    let (_server, addr) = s_server(dir.path(), &args);
    let (_, v) = connect_json(&addr, &["--servername", "kubernetes"]);
    assert_eq!(v["served"][0]["subject"]["cn"], "kube-apiserver", "SNI kubernetes picks the second certificate");
    let (_, v) = connect_json(&addr, &["--servername", "other.example"]);
    assert_eq!(v["served"][0]["subject"]["cn"], "other-name");
}

#[test]
fn the_server_says_whether_it_accepts_the_client_certificate() {
    let out = demo_pki();
    let pki = |f: &str| s(&out.join("pki").join(f));
    for flag in ["-tls1_3", "-tls1_2"] {
        let args = [
            flag,
            "-cert",
            "apiserver.crt",
            "-key",
            "apiserver.key",
            "-CAfile",
            "ca.crt",
            "-Verify",
            "1",
            "-verify_return_error",
        ];
        let (_server, addr) = s_server(&out.join("pki"), &args);
        let base = ["--ca-cert", &pki("ca.crt"), "--servername", "kubernetes"];
        let client = |name: &str| {
            [format!("--cert={}", pki(&format!("{name}.crt"))), format!("--key={}", pki(&format!("{name}.key")))]
        };

        let [cert, key] = client("apiserver-kubelet-client");
        let (code, v) = connect_json(&addr, &[&base[..], &[&cert, &key]].concat());
        assert_eq!(code, 0, "{flag}: {v}");
        assert_eq!(v["client"], serde_json::json!({"requested": true, "offered": true, "accepted": true}));
        assert_eq!(v["acceptableCAs"], serde_json::json!(["CN=kubernetes"]));

        // An etcd-CA client certificate: openssl refuses it with unknown_ca.
        let [cert, key] = client("etcd/healthcheck-client");
        let (code, v) = connect_json(&addr, &[&base[..], &[&cert, &key]].concat());
        assert_eq!(code, 1, "{flag}: {v}");
        assert_eq!(v["client"]["accepted"], false);
        assert_eq!(v["client"]["alert"], "unknown certificate authority");
        let finding = v["findings"].as_array().expect("findings").iter().find(|f| f["check"] == "client-auth").cloned();
        let finding = finding.expect("a client-auth finding");
        assert_eq!(finding["goError"], "remote error: tls: unknown certificate authority");

        // No client certificate at all: TLS 1.3 says certificate_required, TLS 1.2 handshake_failure.
        let (code, v) = connect_json(&addr, &base);
        assert_eq!(code, 1, "{flag}: {v}");
        assert_eq!(v["client"]["offered"], false);
        let want = if flag == "-tls1_3" { "certificate required" } else { "handshake failure" };
        assert_eq!(v["client"]["alert"], want, "{flag}: {v}");
    }
}

#[test]
fn the_go_server_judges_kubeconfigs_as_kube_apiserver_would() {
    let out = demo_pki();
    let (_server, addr) =
        start_apiserver(&out.join("pki/apiserver.crt"), &out.join("pki/apiserver.key"), &out.join("pki/ca.crt"));
    wait_for_port(&addr);
    // The kubeconfig supplies the CA and the client identity; the server comes from --connect.
    let admin = s(&out.join("admin.conf"));
    let (code, v) = connect_json(&addr, &["--kubeconfig", &admin, "--servername", "kubernetes"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["client"]["accepted"], true);
    assert_eq!(v["go"], "OK");

    // The server and tls-server-name come from the kubeconfig this time; --cert (a cert+key
    // stream on stdin) replaces its identity with the front-proxy CA's client certificate.
    let dir = scratch();
    let conf = read(out.join("admin.conf"))
        .replace("https://10.0.0.10:6443", &format!("https://{addr}"))
        .replace("    server:", "    tls-server-name: kubernetes\n    server:");
    std::fs::write(dir.path().join("admin.conf"), conf).expect("write");
    let cert = std::fs::read(out.join("pki/front-proxy-client.crt")).expect("cert");
    let key = std::fs::read(out.join("pki/front-proxy-client.key")).expect("key");
    let out_cmd = tool("k8s-verify")
        .args([
            "--kubeconfig",
            &s(&dir.path().join("admin.conf")),
            "--cert",
            "-",
            "--format",
            "json",
            "--timeout",
            "10s",
        ])
        .write_stdin([cert, key].concat())
        .output()
        .expect("runs");
    assert_eq!(out_cmd.status.code(), Some(1), "{}", String::from_utf8_lossy(&out_cmd.stderr));
    assert_schema("connect", &out_cmd.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out_cmd.stdout).expect("json");
    assert_eq!(v["serverName"], "kubernetes", "tls-server-name from the kubeconfig");
    let go = StdCommand::new("go").arg("version").output().expect("go version");
    let alert = go_unknown_ca_alert(go_minor(&String::from_utf8_lossy(&go.stdout)));
    assert_eq!(v["client"]["alert"], alert, "{v}");
}

#[test]
fn a_renewed_file_still_served_old_is_reported() {
    let (_dir, out) = copy_of_demo();
    let pki = out.join("pki");
    std::fs::copy(pki.join("apiserver.crt"), pki.join("old.crt")).expect("copy");
    std::fs::copy(pki.join("apiserver.key"), pki.join("old.key")).expect("copy");
    let (_server, addr) = s_server(&pki, &["-cert", "old.crt", "-key", "old.key"]);
    let (code, v) = connect_json(
        &addr,
        &["--ca-cert", &s(&pki.join("ca.crt")), "--servername", "kubernetes", "--pki-dir", &s(&out)],
    );
    assert_eq!(code, 0, "the file on disk is what is served: {v}");

    // Renew on disk (same key), one second later so that NotBefore moves on.
    std::thread::sleep(Duration::from_millis(1100));
    let csr = run_ok(
        "k8s-csr",
        &["--from-cert", &s(&pki.join("apiserver.crt")), "--key", &s(&pki.join("apiserver.key")), "--reuse-key"],
        b"",
    );
    let renewed = run_ok("k8s-sign", &["--ca", &s(&pki.join("ca"))], &csr);
    std::fs::write(pki.join("apiserver.crt"), renewed).expect("write");
    let (code, v) = connect_json(
        &addr,
        &["--ca-cert", &s(&pki.join("ca.crt")), "--servername", "kubernetes", "--pki-dir", &s(&out)],
    );
    assert_eq!(code, 1, "{v}");
    let finding =
        v["findings"].as_array().expect("findings").iter().find(|f| f["check"] == "on-disk").cloned().expect("on-disk");
    let message = finding["message"].as_str().expect("message");
    assert!(message.starts_with("kube-apiserver serves an older certificate than "), "{message}");
    assert!(message.contains("the file was renewed but is not in use; kube-apiserver reloads"), "{message}");
}

/// etcd's serving certificate on ports that are not 2379 (minikube's and other layouts): found
/// by its bytes, a renewal that kept the key found by the key, a certificate none of the files
/// holds named as such, and `--served-file` naming the file outright.
#[test]
fn the_served_file_is_found_by_its_certificate_not_by_the_port() {
    let (_dir, out) = copy_of_demo();
    let etcd = out.join("pki/etcd");
    std::fs::copy(etcd.join("server.crt"), etcd.join("old.crt")).expect("copy");
    std::fs::copy(etcd.join("server.key"), etcd.join("old.key")).expect("copy");
    let (_server, addr) = s_server(&etcd, &["-cert", "old.crt", "-key", "old.key"]);
    let ca = format!("--ca-cert={}", s(&etcd.join("ca.crt")));
    let tree = format!("--pki-dir={}", s(&out));
    let on_disk = |args: &[&str]| {
        let (code, v) = connect_json(&addr, args);
        let f = v["findings"].as_array().expect("findings").iter().find(|f| f["check"] == "on-disk").cloned();
        (code, f.expect("on-disk finding"))
    };
    let (code, f) = on_disk(&[&ca, "--servername", "localhost", &tree]);
    assert_eq!(code, 0, "{f}");
    assert!(f["message"].as_str().is_some_and(|m| m.ends_with("pki/etcd/server.crt (--cert-file)")), "{f}");

    // Renewed on disk with the same key, one second later: the old one is still served.
    std::thread::sleep(Duration::from_millis(1100));
    let csr = run_ok(
        "k8s-csr",
        &["--from-cert", &s(&etcd.join("server.crt")), "--key", &s(&etcd.join("server.key")), "--reuse-key"],
        b"",
    );
    let renewed = run_ok("k8s-sign", &["--ca", &s(&etcd.join("ca"))], &csr);
    std::fs::write(etcd.join("server.crt"), &renewed).expect("write");
    let (code, f) = on_disk(&[&ca, "--servername", "localhost", &tree]);
    assert_eq!(code, 1, "{f}");
    let message = f["message"].as_str().expect("message");
    assert!(
        message.starts_with("etcd serves an older certificate than ") && message.contains("server.crt"),
        "{message}"
    );

    // Renewed with a new key: neither the bytes nor the key nor the port name the file, and
    // etcd's server and peer certificates are alike, so both are named.
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--from-cert", &s(&etcd.join("old.crt"))], &key);
    let signed = String::from_utf8(run_ok("k8s-sign", &["--ca", &s(&etcd.join("ca"))], &csr)).expect("utf-8");
    let begin = signed.find("-----BEGIN CERTIFICATE-----").expect("a certificate");
    std::fs::write(etcd.join("server.crt"), &signed[begin..]).expect("write");
    let (code, f) = on_disk(&[&ca, "--servername", "localhost", &tree]);
    assert_eq!(code, 1, "{f}");
    let message = f["message"].as_str().expect("message");
    assert!(
        message.contains("is none of") && message.contains("server.crt and") && message.contains("peer.crt"),
        "{message}"
    );
    let (code, f) = on_disk(&[&ca, "--servername", "localhost", &tree, "--served-file", "pki/etcd/server.crt"]);
    assert_eq!(code, 1, "{f}");
    assert!(f["message"].as_str().is_some_and(|m| m.starts_with("etcd serves an older certificate than ")), "{f}");

    // --served-file is a path inside the tree, and goes with --connect and --pki-dir.
    for (args, why) in [
        (vec!["--served-file", "../etc/passwd"], "is not a path inside the tree"),
        (vec!["--served-file", "/etc/passwd"], "is not a path inside the tree"),
    ] {
        let out = tool("k8s-verify").args(["--connect", &addr, &tree]).args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(why), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let out =
        tool("k8s-verify").args(["--connect", &addr, "--served-file", "pki/etcd/server.crt"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pki-dir"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A server that answers the ClientHello with a TLS record header announcing 16 KiB, then one
/// byte every 50 ms (14 minutes for the record): `--timeout` bounds the whole handshake, not
/// each read. The server thread stops when the client has gone (or after 60 s).
#[test]
fn a_server_dripping_bytes_is_cut_off_at_the_timeout() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = std::thread::spawn(move || {
        let Ok((mut sock, _)) = listener.accept() else { return };
        let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
        let mut hello = [0u8; 4096];
        let _ = sock.read(&mut hello);
        let start = Instant::now();
        let mut bytes = vec![0x16u8, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0x3f, 0xfc];
        bytes.extend(std::iter::repeat_n(0u8, 16_000));
        for b in bytes {
            if start.elapsed() > Duration::from_secs(60) || sock.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let start = Instant::now();
    let out = tool("k8s-verify").args(["--connect", &addr, "--timeout", "1s"]).output().expect("runs");
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(took < Duration::from_secs(10), "held for {took:?} by a server sending a byte every 50 ms");
    server.join().expect("server thread");
}

/// With --pki-dir and no --ca-cert, the chain is checked against the tree's CA that signs the
/// file found serving: pki/ca.crt for the API server, pki/etcd/ca.crt for etcd.
#[test]
fn the_trees_ca_checks_the_chain_without_ca_cert() {
    let out = demo_pki();
    let tree = format!("--pki-dir={}", s(out));
    for (cert, key, servername, ca) in [
        ("pki/apiserver.crt", "pki/apiserver.key", "kubernetes", "pki/ca.crt"),
        ("pki/etcd/server.crt", "pki/etcd/server.key", "localhost", "pki/etcd/ca.crt"),
    ] {
        let (_server, addr) = s_server(out, &["-cert", &s(&out.join(cert)), "-key", &s(&out.join(key))]);
        let (code, v) = connect_json(&addr, &["--servername", servername, &tree]);
        assert_eq!(code, 0, "{cert}: {v}");
        let findings = v["findings"].as_array().expect("findings");
        let chain = findings.iter().find(|f| f["check"] == "chain").expect("chain");
        let message = chain["message"].as_str().expect("message");
        assert!(message.starts_with("signed by ") && message.contains(ca), "{cert}: {message}");
        assert!(!findings.iter().any(|f| f["message"].as_str().is_some_and(|m| m.contains("no --ca-cert"))), "{v}");
        assert_eq!(v["go"], "OK", "{v}");
    }
}

#[test]
fn connection_failures_are_bounded_io_errors() {
    // Nothing listens: exit 5 at once.
    let port = free_port();
    let out = tool("k8s-verify").args(["--connect", &format!("127.0.0.1:{port}")]).output().expect("runs");
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        format!("k8s-verify: error: 127.0.0.1:{port}: connection refused")
    );
    // A listener that never answers the handshake: the timeout ends it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let start = Instant::now();
    let out = tool("k8s-verify").args(["--connect", &addr, "--timeout", "300ms"]).output().expect("runs");
    assert!(start.elapsed() < Duration::from_secs(5), "bounded by --timeout");
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timed out"), "{}", String::from_utf8_lossy(&out.stderr));
    drop(listener);
    // Flags of the live mode alone are usage errors.
    for args in [&["--servername", "a"][..], &["--cert", "c.crt"], &["--timeout", "1s"]] {
        let out = tool("k8s-verify").args(args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("goes with --connect"), "{args:?}");
    }
    let out = tool("k8s-verify").args(["--connect", "cp.example"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give a port"));
}
