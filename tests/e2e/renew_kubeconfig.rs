//! Renewing kubeconfigs: the identity kept with a backup of the old file, never silently
//! outliving the CA, and a certificate given as a file reference refused as a usage error.

use predicates::str::contains;

use crate::util::*;

#[test]
fn kubeconfig_renewal_keeps_the_identity_and_a_backup() {
    let (_keep, out) = copy_of_demo();
    let conf = out.join("kubelet.conf");
    let before = run_ok("k8s-verify", &[&s(&conf), "--format", "json"], b"");
    run_ok("k8s-kubeconfig", &["--renew", &s(&conf), "--ca", &s(&out.join("pki/ca")), "--days", "90"], b"");
    let after = run_ok("k8s-verify", &[&s(&conf), "--format", "json"], b"");
    let (b, a): (serde_json::Value, serde_json::Value) =
        (serde_json::from_slice(&before).expect("j"), serde_json::from_slice(&after).expect("j"));
    assert_eq!(a[1]["subject"], b[1]["subject"]);
    assert_ne!(a[1]["serial"], b[1]["serial"]);
    assert_eq!(a[0]["server"], "https://10.0.0.10:6443");
    let left = a[1]["timeLeft"].as_i64().expect("seconds");
    assert!((left - 90 * 86_400).abs() < 3600, "--days 90: {left}s");
    let backups: Vec<_> = std::fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("kubelet.conf.bak-"))
        .collect();
    assert_eq!(backups.len(), 1);
    run_ok(
        "k8s-verify",
        &[
            "--ca-cert",
            &s(&out.join("pki/ca.crt")),
            "--purpose",
            "client",
            "--cn",
            "system:node:node-1",
            "--org",
            "system:nodes",
            &s(&conf),
        ],
        b"",
    );
    // --duration says the same as --days, in the words k8s-sign takes; not both. A second
    // renewal within the same second keeps both backups.
    let ca = s(&out.join("pki/ca"));
    let renew = |extra: &[&str]| tool("k8s-kubeconfig").args(["--renew", &s(&conf), "--ca", &ca]).args(extra).assert();
    renew(&["--days", "1", "--duration", "1d"]).code(2).stderr(contains("--duration"));
    renew(&["--duration", "720h"]).success();
    let after: serde_json::Value =
        serde_json::from_slice(&run_ok("k8s-verify", &[&s(&conf), "--format", "json"], b"")).expect("j");
    let left = after[1]["timeLeft"].as_i64().expect("seconds");
    assert!((left - 30 * 86_400).abs() < 3600, "--duration 720h: {left}s");
    let backups = std::fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("kubelet.conf.bak-"))
        .count();
    assert_eq!(backups, 2, "each renewal keeps its own backup");
}

#[test]
fn a_renewed_kubeconfig_never_silently_outlives_its_ca() {
    // The demo CA lives 10 years; 4000 days is longer.
    let (_keep, out) = copy_of_demo();
    let conf = out.join("admin.conf");
    let ca = s(&out.join("pki/ca"));
    let res =
        tool("k8s-kubeconfig").args(["--renew", &s(&conf), "--ca", &ca, "--days", "4000"]).output().expect("runs");
    assert!(res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("warning:") && err.contains("would outlive its CA"), "{err}");
    let (_keep2, out2) = copy_of_demo();
    let conf2 = out2.join("admin.conf");
    let res = tool("k8s-kubeconfig")
        .args(["--renew", &s(&conf2), "--ca", &s(&out2.join("pki/ca")), "--days", "4000", "--clamp"])
        .output()
        .expect("runs");
    // No warning: only the line saying where the old file is kept.
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(res.status.success() && !err.contains("warning"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("k8s-kubeconfig: replaced {} (the old file is {}.bak-", s(&conf2), s(&conf2))));
    let cert = run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&conf2)], b"");
    let client = blocks_of(&cert, "CERTIFICATE")[0].clone();
    let dir = scratch();
    std::fs::write(dir.path().join("client.crt"), client).expect("write");
    let end = |f: &str| openssl_ok(dir.path(), &["x509", "-in", f, "-noout", "-enddate"]);
    std::fs::copy(out2.join("pki/ca.crt"), dir.path().join("ca.crt")).expect("copy");
    assert_eq!(end("client.crt"), end("ca.crt"), "--clamp cuts it to the CA's expiry");
}

#[test]
fn renewing_a_kubeconfig_whose_certificate_is_a_file_reference_is_a_usage_error() {
    // The README's exit-code table: 2. The file the kubeconfig names is what to renew.
    let (_dir, tree) = copy_of_demo();
    let conf = tree.join("ref.conf");
    std::fs::write(
        &conf,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: https://10.0.0.10:6443\n    certificate-authority: pki/ca.crt\nusers:\n- name: u\n  user:\n    client-certificate: pki/apiserver-kubelet-client.crt\n    client-key: pki/apiserver-kubelet-client.key\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\ncurrent-context: c\n",
    )
    .expect("kubeconfig");
    let before = read(&conf);
    tool("k8s-kubeconfig").arg("--renew").arg(&conf).arg("--ca").arg(tree.join("pki/ca")).assert().code(2).stderr(
        predicates::str::contains(
            "the client certificate is a file reference, not embedded data; renew that file with k8s-csr --from-cert",
        ),
    );
    assert_eq!(read(&conf), before, "nothing written");
}
