//! k8s-verify on files: single checks, inspection, identities and join hashes, with verdicts
//! and Go's error strings compared with openssl and Go's crypto/x509 (the audit of a whole tree
//! is audit.rs).

use std::path::Path;

use predicates::str::contains;

use crate::audit::{DEFECTS, sh};
use crate::util::*;

#[test]
fn go_error_strings_are_predicted_for_the_consuming_component() {
    let (_keep, out) = copy_of_demo();
    sh(&out, DEFECTS[0].1);
    let at = "2026-12-01T00:00:00Z";
    let at_unix = "1796083200";
    let p = |f: &str| s(&out.join(f));
    // (our flags, go line): wrong CA, wrong usage, IP not in SANs, name not in SANs, expired.
    let sample: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--ca-cert".into(), p("pki/ca.crt"), "--purpose".into(), "server".into(), p("pki/apiserver.crt")],
            format!("{} {} server", p("pki/apiserver.crt"), p("pki/ca.crt")),
        ),
        (
            vec![
                "--ca-cert".into(),
                p("pki/ca.crt"),
                "--purpose".into(),
                "server".into(),
                p("pki/apiserver-kubelet-client.crt"),
            ],
            format!("{} {} server", p("pki/apiserver-kubelet-client.crt"), p("pki/ca.crt")),
        ),
        (
            vec![
                "--ca-cert".into(),
                p("pki/etcd/ca.crt"),
                "--host".into(),
                "10.0.0.11".into(),
                p("pki/etcd/server.crt"),
            ],
            format!("{} {} any 10.0.0.11", p("pki/etcd/server.crt"), p("pki/etcd/ca.crt")),
        ),
        (
            vec!["--ca-cert".into(), p("pki/etcd/ca.crt"), "--host".into(), "node-7".into(), p("pki/etcd/peer.crt")],
            format!("{} {} any node-7", p("pki/etcd/peer.crt"), p("pki/etcd/ca.crt")),
        ),
        (
            vec![
                "--ca-cert".into(),
                p("pki/ca.crt"),
                "--host".into(),
                "10.0.0.1".into(),
                p("pki/apiserver-kubelet-client.crt"),
            ],
            format!("{} {} any 10.0.0.1", p("pki/apiserver-kubelet-client.crt"), p("pki/ca.crt")),
        ),
    ];
    let go_lines: Vec<String> = sample.iter().map(|(_, g)| g.clone()).collect();
    let out_go = assert_cmd::Command::new(crate::util::go_helper("x509check"))
        .args(["-at", at_unix])
        .write_stdin(go_lines.join("\n"))
        .output()
        .expect("go");
    assert!(out_go.status.success(), "x509check failed: {}", String::from_utf8_lossy(&out_go.stderr));
    let go: Vec<String> = String::from_utf8_lossy(&out_go.stdout).lines().map(str::to_string).collect();
    assert_eq!(go.len(), sample.len(), "one Go verdict per case: {go:?}");
    for ((args, line), go_says) in sample.iter().zip(&go) {
        let res = tool("k8s-verify").args(args).args(["--at", at, "--format", "json"]).output().expect("runs");
        assert_eq!(res.status.code(), Some(1), "{line}");
        let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
        let predicted: Vec<&str> =
            v[0]["findings"].as_array().expect("findings").iter().filter_map(|f| f["goError"].as_str()).collect();
        assert_ne!(go_says, "OK", "Go accepted {line}");
        assert!(predicted.contains(&go_says.as_str()), "{line}: Go says '{go_says}', we predicted {predicted:?}");
    }
    // Expiry: the same certificate in 2030.
    let res = tool("k8s-verify")
        .args([
            "--ca-cert",
            &p("pki/ca.crt"),
            &p("pki/front-proxy-client.crt"),
            "--at",
            "2030-01-01",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
    let predicted: Vec<&str> =
        v[0]["findings"].as_array().expect("f").iter().filter_map(|f| f["goError"].as_str()).collect();
    let go = assert_cmd::Command::new(crate::util::go_helper("x509check"))
        .args(["-at", "1893456000"])
        .write_stdin(format!("{} {} client", p("pki/front-proxy-client.crt"), p("pki/front-proxy-ca.crt")))
        .output()
        .expect("go");
    assert!(go.status.success(), "x509check failed: {}", String::from_utf8_lossy(&go.stderr));
    let go = String::from_utf8_lossy(&go.stdout).trim().to_string();
    assert!(go.starts_with("x509: certificate has expired"), "{go}");
    assert!(predicted.contains(&go.as_str()), "Go: {go}; we: {predicted:?}");
}

#[test]
fn verdicts_agree_with_openssl_and_go() {
    let (_keep, out) = copy_of_demo();
    // Break a few: wrong CA, server-only client, expired.
    sh(&out, DEFECTS[0].1);
    sh(&out, DEFECTS[4].1);
    sh(&out, DEFECTS[7].1);
    let p = |f: &str| s(&out.join(f));
    let sample = [
        ("pki/apiserver.crt", "pki/ca.crt", "server"),
        ("pki/apiserver.crt", "pki/etcd/ca.crt", "server"),
        ("pki/apiserver-etcd-client.crt", "pki/etcd/ca.crt", "client"),
        ("pki/apiserver-etcd-client.crt", "pki/etcd/ca.crt", "server"),
        ("pki/apiserver-kubelet-client.crt", "pki/ca.crt", "client"),
        ("pki/etcd/peer.crt", "pki/etcd/ca.crt", "client"),
        ("pki/etcd/peer.crt", "pki/ca.crt", "client"),
        ("pki/front-proxy-client.crt", "pki/front-proxy-ca.crt", "client"),
        ("pki/front-proxy-client.crt", "pki/front-proxy-ca.crt", "server"),
    ];
    let go = go_x509(&sample.iter().map(|(c, ca, u)| format!("{} {} {u}", p(c), p(ca))).collect::<Vec<_>>());
    for ((cert, ca, usage), go_verdict) in sample.iter().zip(&go) {
        let purpose = if *usage == "server" { "sslserver" } else { "sslclient" };
        let openssl_ok =
            openssl(&out, &["verify", "-x509_strict", "-purpose", purpose, "-CAfile", ca, cert]).status.success();
        let ours = tool("k8s-verify").args(["--ca-cert", &p(ca), "--purpose", usage, &p(cert)]).output().expect("runs");
        let ours_ok = ours.status.success();
        assert_eq!(ours_ok, openssl_ok, "{cert} vs {ca} for {usage}: openssl says {openssl_ok}");
        assert_eq!(ours_ok, go_verdict == "OK", "{cert} vs {ca} for {usage}: Go says {go_verdict}");
    }
}

#[test]
fn single_checks_pass_on_good_certificates() {
    let out = demo_pki();
    let p = |f: &str| s(&out.join(f));
    tool("k8s-verify")
        .args([
            "--ca-cert",
            &p("pki/ca.crt"),
            "--purpose",
            "server",
            "--host",
            "10.0.0.10,kubernetes.default.svc",
            "--key",
            &p("pki/apiserver.key"),
            &p("pki/apiserver.crt"),
        ])
        .assert()
        .success()
        .stdout(contains("CN=kube-apiserver): ok"));
    tool("k8s-verify")
        .args([
            "--ca-cert",
            &p("pki/ca.crt"),
            "--purpose",
            "client",
            "--cn",
            "system:node:node-1",
            "--org",
            "system:nodes",
            &p("kubelet.conf"),
        ])
        .assert()
        .success();
    tool("k8s-verify")
        .args(["--ca-cert", &p("pki/ca.crt"), "--cn", "someone-else", &p("admin.conf")])
        .assert()
        .code(1)
        .stdout(contains("expected 'someone-else'"));
    tool("k8s-verify")
        .args(["--ca-cert", &p("pki/ca.crt"), "--key", &p("pki/ca.key"), &p("pki/apiserver.crt")])
        .assert()
        .code(1)
        .stdout(contains("does not match"));
}

#[test]
fn inspect_explains_in_kubernetes_terms() {
    let out = demo_pki();
    let res = tool("k8s-verify").arg(out.join("kubelet.conf")).output().expect("runs");
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success());
    assert!(
        text.contains(
            "kube-apiserver would see user \"system:node:node-1\" in groups \"system:nodes\", \"system:authenticated\""
        ),
        "{text}"
    );
    assert!(text.contains("Node authorizer"), "{text}");
    let res = tool("k8s-verify")
        .args(["--format", "json"])
        .write_stdin(std::fs::read(out.join("pki/apiserver.crt")).expect("read"))
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
    assert_eq!(v[0]["kind"], "certificate");
    assert_eq!(v[0]["kubeadm"], serde_json::json!([{"profile": "apiserver", "file": "pki/apiserver"}]));
    assert!(v[0]["sans"].as_array().expect("sans").contains(&serde_json::json!("IP:10.96.0.1")));
    // Keys are described, never printed.
    let key = std::fs::read(out.join("pki/sa.key")).expect("key");
    let res = tool("k8s-verify").write_stdin(key.clone()).output().expect("runs");
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(text.contains("RSA 2048") && !text.contains("BEGIN"), "{text}");
}

/// A key, its CSR and its certificate carry the same `publicKeySha256`, in the same encoding
/// as the certificate's fingerprint, and openssl's digest of the public key agrees.
#[test]
fn a_key_is_matched_to_its_certificate_by_one_field() {
    let dir = scratch();
    let out = demo_pki();
    let key = s(&out.join("pki/apiserver.key"));
    let cert = s(&out.join("pki/apiserver.crt"));
    let csr = dir.path().join("apiserver.csr");
    tool("k8s-csr").args(["--cn", "kube-apiserver", "--key", &key, "--csr-out"]).arg(&csr).assert().success();
    let res = tool("k8s-verify").args(["--format", "json", &key, &cert]).arg(&csr).output().expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
    let digests: Vec<&str> = (0..3).map(|i| v[i]["publicKeySha256"].as_str().expect("publicKeySha256")).collect();
    assert_eq!(digests, [digests[0]; 3], "{v}");
    let der = openssl_ok(dir.path(), &["pkey", "-in", &key, "-pubout", "-outform", "DER", "-out", "pub.der"]);
    assert!(der.is_empty());
    let dgst = openssl_ok(dir.path(), &["dgst", "-sha256", "-r", "pub.der"]);
    assert_eq!(dgst.split_whitespace().next(), Some(digests[0]));
    assert_eq!(v[1]["sha256Fingerprint"].as_str(), Some(openssl_fingerprint(dir.path(), &cert).as_str()));
    // Names are {cn, o} wherever they appear.
    assert_eq!(v[1]["subject"], serde_json::json!({"cn": "kube-apiserver", "o": []}), "{v}");
    assert_eq!(v[1]["issuer"], serde_json::json!({"cn": "kubernetes", "o": []}), "{v}");
    assert_eq!(v[2]["subject"], v[1]["subject"], "{v}");
}

/// The `kubernetes` lines k8s-verify prints for a file.
fn identity_lines(path: &Path) -> Vec<String> {
    let res = tool("k8s-verify").args(["--format", "json"]).arg(path).output().expect("runs");
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
    let item = v.as_array().expect("list").iter().find(|i| i["kind"] == "certificate").expect("a certificate");
    item["kubernetes"].as_array().expect("lines").iter().map(|l| l.as_str().expect("text").to_string()).collect()
}

#[test]
fn identity_is_explained_by_the_ca_that_trusts_it() {
    let out = demo_pki();
    let has = |file: &str, needle: &str| {
        let lines = identity_lines(&out.join(file));
        assert!(lines.iter().any(|l| l.contains(needle)), "{file}: no '{needle}' in {lines:#?}");
        lines
    };
    // Only certificates from the cluster CA make a kube-apiserver user.
    for file in ["pki/etcd/healthcheck-client.crt", "pki/apiserver-etcd-client.crt", "pki/etcd/peer.crt"] {
        let lines = has(file, "etcd accepts it");
        assert!(lines.iter().all(|l| !l.contains("would see user")), "{file}: {lines:#?}");
    }
    has("pki/etcd/healthcheck-client.crt", "the CN \"kube-etcd-healthcheck-client\" is its etcd user");
    let proxy = has("pki/front-proxy-client.crt", "--requestheader-allowed-names (kubeadm: front-proxy-client)");
    assert!(proxy.iter().any(|l| l.contains("X-Remote-User")) && proxy.iter().all(|l| !l.contains("would see user")));
    // Server certificates are server identities.
    let api = has("pki/apiserver.crt", "against its SANs only, never the CN");
    assert!(api.iter().all(|l| !l.contains("would see user")), "{api:#?}");
    has("pki/apiserver.crt", "KUBERNETES_SERVICE_HOST");
    has("pki/etcd/server.crt", "--etcd-servers");
    // Groups by the bindings that name them.
    has("admin.conf", "group kubeadm:cluster-admins: ClusterRoleBinding kubeadm:cluster-admins");
    has("super-admin.conf", "group system:masters bypasses all authorization");
    has("controller-manager.conf", "user system:kube-controller-manager: ClusterRoleBinding");
    has("pki/ca.crt", "read by kube-apiserver --client-ca-file");

    // kube-proxy's group is bound to nothing; a server certificate without SANs gets Go's words.
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    issue(dir.path(), "ca", "proxy", &["--profile", "kube-proxy"]);
    let lines = identity_lines(&dir.path().join("proxy.crt"));
    assert!(lines.iter().any(|l| l.starts_with("group system:node-proxier is bound to nothing")), "{lines:#?}");
    issue(dir.path(), "ca", "bare", &["--cn", "kube-apiserver", "--usage", "server"]);
    let bare = dir.path().join("bare.crt");
    let go = go_x509(&[format!("{} {} server kube-apiserver", s(&bare), s(&dir.path().join("ca.crt")))]);
    let lines = identity_lines(&bare);
    assert!(lines[0].contains(&format!("Go says \"{}\"", go[0])), "{lines:#?} vs Go {go:?}");
}

#[test]
fn bad_input_and_usage() {
    tool("k8s-verify").args(["--pki-dir", "/nonexistent"]).assert().code(5);
    let dir = scratch();
    tool("k8s-verify").args(["--pki-dir", &s(dir.path())]).assert().code(3).stderr(contains("no pki/"));
    tool("k8s-verify").write_stdin("garbage\n").assert().code(3);
    tool("k8s-verify").args(["--expiry"]).write_stdin("x").assert().code(2);
    tool("k8s-verify").args(["--at", "someday", "--pki-dir", &s(demo_pki())]).assert().code(2);
}

#[test]
fn join_hash_and_fingerprints_are_what_openssl_computes() {
    let dir = crate::util::scratch();
    crate::util::make_ca(dir.path(), "ec", "ec-ca");
    let rsa = crate::util::run_ok("k8s-genkey", &[], b"");
    let csr = crate::util::run_ok("k8s-csr", &["--profile", "ca", "--cn", "rsa-ca"], &rsa);
    crate::util::run_ok("k8s-sign", &["--self-sign", "--out", &s(&dir.path().join("rsa"))], &csr);
    // The kubeadm documentation's pipeline, with `openssl pkey` for both key types.
    for (name, pkey) in [("rsa", "rsa"), ("ec", "ec")] {
        let crt = format!("{name}.crt");
        let script = format!(
            "openssl x509 -pubkey -in {crt} -noout | openssl {pkey} -pubin -outform der 2>/dev/null | openssl dgst -sha256 -hex | sed 's/^.* //'"
        );
        let out =
            std::process::Command::new("bash").args(["-c", &script]).current_dir(dir.path()).output().expect("bash");
        let want = format!("sha256:{}", String::from_utf8_lossy(&out.stdout).trim());
        assert_eq!(want.len(), 71, "{want}");
        let ours = tool("k8s-verify").arg("--join-hash").arg(dir.path().join(&crt)).output().expect("runs");
        assert!(ours.status.success());
        assert_eq!(String::from_utf8_lossy(&ours.stdout), format!("{want}\n"), "{name}");
        let fp = crate::util::openssl_fingerprint(dir.path(), &crt);
        let json = tool("k8s-verify").arg(dir.path().join(&crt)).args(["--format", "json"]).output().expect("runs");
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
        assert_eq!(v[0]["sha256Fingerprint"].as_str(), Some(fp.as_str()), "{v}");
        assert_eq!(v[0]["joinHash"].as_str(), Some(want.as_str()));
    }
}

#[test]
fn a_certificate_signing_request_object_is_inspected() {
    let dir = crate::util::scratch();
    let key = crate::util::run_ok("k8s-genkey", &[], b"");
    let prefix = s(&dir.path().join("alice"));
    let yaml = crate::util::run_ok(
        "k8s-csr",
        &[
            "--cn",
            "alice",
            "--org",
            "dev",
            "--signer",
            "kubernetes.io/kube-apiserver-client",
            "--manifest",
            "--out",
            &prefix,
        ],
        &key,
    );
    // A hostile object name must not reach the terminal raw.
    let yaml = String::from_utf8_lossy(&yaml).replace("name: alice", "name: \"alice\\e[31m\"");
    let out = tool("k8s-verify").write_stdin(yaml).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("csr (stdin: CertificateSigningRequest alice"), "{text}");
    assert!(text.contains("O=dev, CN=alice"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}
