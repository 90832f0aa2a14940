//! k8s-verify --pki-dir: the audit of a whole kubeadm tree — the demo PKI and broken copies of
//! it, one defect each, with every fix line run as printed; the expiry table, the trust graph,
//! a worker's tree and a kubelet.conf pointing at the rotated certificate.

use std::path::Path;

use predicates::str::contains;

use crate::util::*;

pub(crate) fn file<'a>(report: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    report["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in report"))
}

/// Runs `pipeline` (bash, our tools on PATH) inside `dir`.
pub(crate) fn sh(dir: &Path, pipeline: &str) {
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
pub(crate) const DEFECTS: &[(&str, &str, &str, &str, &str)] = &[
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
