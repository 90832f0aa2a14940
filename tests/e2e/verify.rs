//! k8s-verify: single checks, inspection, and the audit of a whole PKI — on the demo PKI and on
//! broken copies of it, one defect each; verdicts compared with openssl and Go's crypto/x509.

use std::path::Path;

use predicates::str::contains;

use crate::util::*;

fn file<'a>(report: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in report"))
}

/// Runs `pipeline` (bash, our tools on PATH) inside `dir`.
fn sh(dir: &Path, pipeline: &str) {
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail; {pipeline}"))
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("bash");
    assert!(out.status.success(), "{pipeline}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_demo_pki_passes_the_audit_and_every_file_is_listed() {
    let out = tool("k8s-verify").args(["--pki-dir", &s(demo_pki())]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for f in [
        "ca.crt",
        "apiserver.crt",
        "apiserver-kubelet-client.crt",
        "front-proxy-ca.crt",
        "front-proxy-client.crt",
        "server.crt",
        "peer.crt",
        "healthcheck-client.crt",
        "apiserver-etcd-client.crt",
        "sa.key",
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
    ] {
        assert!(text.contains(f), "{f} not listed:\n{text}");
    }
    assert!(text.contains("25 files: 25 ok, 0 warnings, 0 missing, 0 failed"), "{text}");
    let (code, v) = audit_json(demo_pki());
    assert_eq!(code, 0);
    assert_eq!(v["status"], "ok");
    assert_eq!(file(&v, "kubelet.conf")["subject"]["o"], serde_json::json!(["system:nodes"]), "O is an array");
}

/// One defect per case: (what, how to break it, file, check that must fail, words in the message).
const DEFECTS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "leaf signed by the wrong CA",
        "k8s-genkey | k8s-csr --profile apiserver --node-name node-1 --advertise-address 10.0.0.10 | k8s-sign --ca pki/etcd/ca --out pki/apiserver --force",
        "pki/apiserver.crt",
        "chain",
        "signed by 'CN=etcd-ca'",
    ),
    (
        "missing SAN",
        "k8s-genkey | k8s-csr --profile apiserver --node-name node-1 --advertise-address 10.0.0.99 | k8s-sign --ca pki/ca --out pki/apiserver --force",
        "pki/apiserver.crt",
        "host",
        "not valid for 10.0.0.10",
    ),
    (
        "wrong CN",
        "k8s-genkey | k8s-csr --profile etcd-server --node-name node-1 --advertise-address 10.0.0.10 --cn node-9 | k8s-sign --ca pki/etcd/ca --out pki/etcd/server --force",
        "pki/etcd/server.crt",
        "cn",
        "expected 'node-1'",
    ),
    (
        "wrong O on a kubelet",
        "k8s-genkey | k8s-csr --profile kubelet --node-name node-1 --org system:masters | k8s-sign --ca pki/ca | k8s-kubeconfig --ca-cert pki/ca.crt --server https://10.0.0.10:6443 --out kubelet.conf --force",
        "kubelet.conf",
        "o",
        "expected [system:nodes]",
    ),
    (
        "missing EKU",
        "k8s-genkey | k8s-csr --profile apiserver-etcd-client | k8s-sign --ca pki/etcd/ca --usage server --out pki/apiserver-etcd-client --force",
        "pki/apiserver-etcd-client.crt",
        "purpose",
        "not allowed for TLS client auth",
    ),
    (
        "key not matching its certificate",
        "k8s-genkey --out pki/front-proxy-client --force",
        "pki/front-proxy-client.crt",
        "key",
        "does not match",
    ),
    (
        "kubeconfig with a foreign CA",
        "k8s-genkey | k8s-csr --profile scheduler | k8s-sign --ca pki/etcd/ca | k8s-kubeconfig --ca-cert pki/etcd/ca.crt --server https://10.0.0.10:6443 --out scheduler.conf --force",
        "scheduler.conf",
        "kubeconfig-ca",
        "is not pki/ca.crt",
    ),
    (
        "expired certificate",
        "k8s-genkey | k8s-csr --profile apiserver-kubelet-client | k8s-sign --ca pki/ca --not-before 2020-01-01 --not-after 2021-01-01 --out pki/apiserver-kubelet-client --force",
        "pki/apiserver-kubelet-client.crt",
        "validity",
        "2021-01-01",
    ),
    (
        "sa.pub not matching sa.key",
        "k8s-genkey | k8s-genkey --in /dev/stdin --public > pki/sa.pub.new && mv pki/sa.pub.new pki/sa.pub",
        "pki/sa.key",
        "key",
        "does not hold sa.key's public key",
    ),
    (
        "a second node's kubelet.conf with another node's identity",
        "k8s-genkey --algo ecdsa | k8s-csr --profile kubelet --node-name node-3 | k8s-sign --ca pki/ca | k8s-kubeconfig --ca-cert pki/ca.crt --server https://10.0.0.10:6443 --out nodes/node-2/kubelet.conf --force",
        "nodes/node-2/kubelet.conf",
        "cn",
        "expected 'system:node:node-2'",
    ),
    ("world-readable key", "chmod 644 pki/apiserver.key", "pki/apiserver.crt", "permissions", "readable by others"),
];

#[test]
fn a_leaf_outliving_its_ca_is_a_warning_with_a_fix() {
    // It verifies today (Go accepts it); it stops when the CA ends: a warning, re-issued by its fix.
    let (_keep, out) = copy_of_demo();
    sh(
        &out,
        "k8s-genkey | k8s-csr --profile etcd-healthcheck-client | k8s-sign --ca pki/etcd/ca --days 5000 --out pki/etcd/healthcheck-client --force 2>/dev/null",
    );
    let (code, v) = audit_json(&out);
    assert_eq!(code, 6, "{v:#}");
    let f = file(&v, "pki/etcd/healthcheck-client.crt");
    assert_eq!(f["status"], "warn", "{f:#}");
    let hit = f["findings"].as_array().expect("findings").iter().find(|x| x["check"] == "lifetime").cloned();
    assert!(
        hit.is_some_and(|h| h["status"] == "warn" && h["message"].as_str().unwrap_or("").contains("outlives its CA"))
    );
    let fix = f["fix"].as_str().expect("a fix").to_string();
    sh(&out, &fix);
    let (code, v) = audit_json(&out);
    assert_eq!(code, 0, "{fix}: {v:#}");
    // Checked on its own against its CA, the chain is valid: exit 0, the warning printed.
    let check = tool("k8s-verify")
        .args(["--ca-cert", "pki/etcd/ca.crt", "pki/etcd/healthcheck-client.crt"])
        .current_dir(&out)
        .output()
        .expect("run");
    assert_eq!(check.status.code(), Some(0));
}

#[test]
fn each_defect_is_caught_and_named() {
    for (what, break_it, path, check, words) in DEFECTS {
        let (_keep, out) = copy_of_demo();
        sh(&out, break_it);
        let (code, v) = audit_json(&out);
        assert_eq!(code, 1, "{what}: exit code");
        let f = file(&v, path);
        assert_eq!(f["status"], "fail", "{what}: {f:#}");
        let findings = f["findings"].as_array().expect("findings");
        let hit = findings.iter().find(|x| x["check"] == *check && x["status"] == "fail");
        let hit = hit.unwrap_or_else(|| panic!("{what}: no failing '{check}' finding in {f:#}"));
        assert!(hit["message"].as_str().expect("message").contains(words), "{what}: {hit:#}");
        // Only the broken file fails.
        let failing: Vec<&str> = v["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter(|x| x["status"] == "fail")
            .map(|x| x["path"].as_str().expect("path"))
            .collect();
        assert_eq!(failing, vec![*path], "{what}");
        // The text report names the file and the defect, and suggests a fix.
        let text = tool("k8s-verify").args(["--pki-dir", &s(&out), "--color", "never"]).output().expect("runs");
        let text = String::from_utf8_lossy(&text.stdout);
        let name = path.rsplit('/').next().expect("name");
        assert!(text.contains(&format!("✗ {name}")), "{what}:\n{text}");
        assert!(text.contains(&format!("✗ {check}:")), "{what}:\n{text}");
    }
}

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
fn expiry_table_and_kubeadm_json() {
    let out = demo_pki();
    let res = tool("k8s-verify").args(["--pki-dir", &s(out), "--expiry"]).output().expect("runs");
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(text.starts_with("CERTIFICATE "), "{text}");
    assert!(text.contains("RESIDUAL TIME") && text.contains("admin.conf") && text.contains("etcd-ca"), "{text}");
    let res = tool("k8s-verify").args(["--pki-dir", &s(out), "--expiry", "--format", "json"]).output().expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
    assert_eq!(v["kind"], "CertificateExpirationInfo");
    assert_eq!(v["apiVersion"], "output.kubeadm.k8s.io/v1alpha3");
    let admin =
        v["certificates"].as_array().expect("certs").iter().find(|c| c["name"] == "admin.conf").expect("admin.conf");
    assert_eq!(admin["caName"], "ca");
    assert_eq!(admin["missing"], false);
    // Seconds, as kubeadm's ResidualTimeSeconds (not a Go time.Duration's nanoseconds).
    let secs = admin["residualTime"].as_i64().expect("seconds");
    assert!(secs > 360 * 86_400 && secs <= 365 * 86_400, "{secs}");
    assert_eq!(v["certificateAuthorities"].as_array().expect("cas").len(), 3);
    // kubeadm's rows (phases/certs/renewal/manager.go), named and sorted as it names and
    // sorts them: the control plane's own certificates and kubeconfigs, not kubelet.conf
    // (the kubelet rotates it) nor other nodes' copies.
    let names: Vec<&str> =
        v["certificates"].as_array().expect("certs").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "admin.conf",
            "apiserver",
            "apiserver-etcd-client",
            "apiserver-kubelet-client",
            "controller-manager.conf",
            "etcd-healthcheck-client",
            "etcd-peer",
            "etcd-server",
            "front-proxy-client",
            "scheduler.conf",
            "super-admin.conf",
        ]
    );
    let cas: Vec<&str> =
        v["certificateAuthorities"].as_array().expect("cas").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(cas, ["ca", "etcd-ca", "front-proxy-ca"]);
}

#[test]
fn warnings_and_missing_files_are_not_failures() {
    tool("k8s-verify")
        .args(["--pki-dir", &s(demo_pki()), "--warn-within", "400d"])
        .assert()
        .code(6)
        .stdout(contains("! apiserver.crt"));
    tool("k8s-verify")
        .args(["--pki-dir", &s(demo_pki()), "--at", "2030-01-01"])
        .assert()
        .code(1)
        .stdout(contains("x509: certificate has expired"));
    let (_keep, out) = copy_of_demo();
    std::fs::remove_file(out.join("super-admin.conf")).expect("rm");
    tool("k8s-verify").args(["--pki-dir", &s(&out)]).assert().code(0);
    std::fs::remove_file(out.join("pki/front-proxy-client.crt")).expect("rm");
    std::fs::remove_file(out.join("pki/front-proxy-client.key")).expect("rm");
    tool("k8s-verify")
        .args(["--pki-dir", &s(&out), "--color", "never"])
        .assert()
        .code(6)
        .stdout(contains("? front-proxy-client.crt"));
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
fn the_trust_graph_marks_a_file_signed_by_the_wrong_ca() {
    let (_keep, out) = copy_of_demo();
    let good = tool("k8s-verify").args(["--graph", "dot", "--pki-dir", &s(&out)]).output().expect("runs");
    let text = String::from_utf8_lossy(&good.stdout);
    assert!(text.contains("\"pki/etcd/ca.crt\" -> \"pki/apiserver-etcd-client.crt\" [label=\"signs\"]"), "{text}");
    assert!(text.contains("\"kube-apiserver\" -> \"pki/ca.crt\" [label=\"--client-ca-file\""), "{text}");
    assert!(!text.contains("color=red"), "{text}");
    sh(&out, DEFECTS[0].1);
    let bad = tool("k8s-verify").args(["--graph", "dot", "--pki-dir", &s(&out)]).output().expect("runs");
    let text = String::from_utf8_lossy(&bad.stdout);
    assert!(text.contains("\"pki/etcd/ca.crt\" -> \"pki/apiserver.crt\" [label=\"signs\", color=red"), "{text}");
    let flags = tool("k8s-verify").args(["--flags", "--pki-dir", "/etc/kubernetes"]).output().expect("runs");
    assert!(
        String::from_utf8_lossy(&flags.stdout)
            .contains("--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt")
    );
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

#[test]
fn a_worker_nodes_tree_audits_as_a_worker() {
    // What kubeadm join leaves on a worker: kubelet.conf and the cluster CA's certificate.
    let dir = scratch();
    std::fs::create_dir_all(dir.path().join("pki")).expect("mkdir");
    std::fs::copy(demo_pki().join("kubelet.conf"), dir.path().join("kubelet.conf")).expect("copy");
    std::fs::copy(demo_pki().join("pki/ca.crt"), dir.path().join("pki/ca.crt")).expect("copy");
    let out = tool("k8s-verify").args(["--pki-dir", &s(dir.path()), "--format", "json"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["role"], "worker");
    let paths: Vec<&str> = v["files"].as_array().expect("files").iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(paths, ["pki/ca.crt", "kubelet.conf"]);
    // A control-plane file present makes it a control plane again, with the rest missing.
    std::fs::copy(demo_pki().join("admin.conf"), dir.path().join("admin.conf")).expect("copy");
    let out = tool("k8s-verify").args(["--pki-dir", &s(dir.path()), "--format", "json"]).output().expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["role"], "control-plane");
    assert_ne!(out.status.code(), Some(0));
}

/// Every file under `dir` (relative path → bytes).
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir").display().to_string();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// The files a fix of the report entry `path` may rewrite: the certificate and its key, the
/// kubeconfig, or the service-account pair.
fn pair_of(path: &str) -> Vec<String> {
    match path.strip_suffix(".crt") {
        Some(stem) => vec![path.to_string(), format!("{stem}.key")],
        None if path.ends_with("sa.key") => vec!["pki/sa.key".into(), "pki/sa.pub".into()],
        None => vec![path.to_string()],
    }
}

#[test]
fn every_fix_line_runs_as_printed_and_touches_only_the_broken_file() {
    let extra: &[(&str, &str)] = &[
        ("sa.key readable by others", "chmod 644 pki/sa.key"),
        ("admin.conf readable by others", "chmod 644 admin.conf"),
        ("sa.pub missing", "rm pki/sa.pub"),
        ("a leaf missing", "rm pki/front-proxy-client.crt pki/front-proxy-client.key"),
    ];
    let cases = DEFECTS.iter().map(|(what, break_it, ..)| (*what, *break_it)).chain(extra.iter().copied());
    for (what, break_it) in cases {
        let (_keep, out) = copy_of_demo();
        sh(&out, break_it);
        let before = snapshot(&out);
        let (code, v) = audit_json(&out);
        assert_ne!(code, 0, "{what}: the audit saw nothing");
        let broken: Vec<&serde_json::Value> = v["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter(|f| f["status"] == "fail" || f["status"] == "missing")
            .collect();
        let mut allowed = Vec::new();
        let mut fixes = Vec::new();
        for f in &broken {
            allowed.extend(pair_of(f["path"].as_str().expect("path")));
            let fix = f["fix"].as_str().unwrap_or_else(|| panic!("{what}: no fix for {f:#}"));
            fixes.push(fix.to_string());
        }
        for fix in &fixes {
            assert!(!fix.contains("--profile ca ") && !fix.contains("k8s-sign --self-sign"), "{what}: a new CA: {fix}");
            sh(&out, fix);
        }
        let (code, v) = audit_json(&out);
        assert_eq!(code, 0, "{what}: after {fixes:?}: {v:#}");
        let after = snapshot(&out);
        let chmod_only = fixes.iter().all(|f| f.starts_with("chmod 600 "));
        for (path, bytes) in &before {
            if chmod_only || !allowed.contains(path) {
                assert_eq!(after.get(path), Some(bytes), "{what}: {fixes:?} changed {path}");
            }
        }
    }
    // A load-balancer SAN beyond kubeadm's survives the fix of a missing one.
    let (_keep, out) = copy_of_demo();
    sh(
        &out,
        "k8s-genkey | k8s-csr --profile apiserver --node-name node-1 --advertise-address 10.0.0.10 --san lb.example | k8s-sign --ca pki/ca --out pki/apiserver --force",
    );
    sh(
        &out,
        "k8s-genkey | k8s-csr --from-cert pki/apiserver.crt --cn kube-apiserver | k8s-sign --ca pki/front-proxy-ca --out pki/apiserver --force",
    );
    let (_, v) = audit_json(&out);
    let fix = file(&v, "pki/apiserver.crt")["fix"].as_str().expect("fix").to_string();
    assert!(fix.contains("--san lb.example"), "{fix}");
    sh(&out, &fix);
    let text = openssl_ok(&out, &["x509", "-in", "pki/apiserver.crt", "-noout", "-ext", "subjectAltName"]);
    assert!(text.contains("DNS:lb.example"), "{text}");
    assert_eq!(audit_json(&out).0, 0);
}

#[test]
fn a_kubelet_conf_referencing_the_rotated_certificate_is_normal() {
    // After kubelet-finalize, kubelet.conf points at the kubelet's own rotated certificate.
    let dir = scratch();
    let etc = dir.path().join("etc/kubernetes");
    std::fs::create_dir_all(etc.join("pki")).expect("mkdir");
    std::fs::copy(demo_pki().join("pki/ca.crt"), etc.join("pki/ca.crt")).expect("copy");
    let current = "/var/lib/kubelet/pki/kubelet-client-current.pem";
    let conf: String = read(demo_pki().join("kubelet.conf"))
        .lines()
        .map(|l| match l.trim_start() {
            t if t.starts_with("client-certificate-data:") => format!("    client-certificate: {current}\n"),
            t if t.starts_with("client-key-data:") => format!("    client-key: {current}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    std::fs::write(etc.join("kubelet.conf"), conf).expect("write");
    std::fs::set_permissions(etc.join("kubelet.conf"), std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    // Without the node's /var/lib/kubelet: not a failure, no fix line, and a hint.
    let (code, v) = audit_json(&etc);
    assert_eq!(code, 6, "{v:#}");
    let kubelet = file(&v, "kubelet.conf");
    assert_eq!(kubelet["status"], "missing", "{kubelet:#}");
    assert!(kubelet["fix"].is_null(), "never re-embed: {kubelet:#}");
    assert!(kubelet.to_string().contains("--root DIR"), "{kubelet:#}");
    // With a copy of the node under --root, the rotated certificate is audited like any other.
    let pem = dir.path().join(current.trim_start_matches('/'));
    std::fs::create_dir_all(pem.parent().expect("parent")).expect("mkdir");
    let csr = run_ok("k8s-csr", &["--profile", "kubelet", "--node-name", "node-1"], &run_ok("k8s-genkey", &[], b""));
    let both = run_ok("k8s-sign", &["--ca", &s(&demo_pki().join("pki/ca"))], &csr);
    std::fs::write(&pem, both).expect("write");
    let out = tool("k8s-verify")
        .args(["--pki-dir", &s(&etc), "--root", &s(dir.path()), "--format", "json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(file(&v, "kubelet.conf")["subject"]["cn"], "system:node:node-1");
    assert_eq!(v["role"], "worker");
}
