//! Renewal re-issues only what the CA issued. A client certificate from another CA
//! (`CN=mallory, O=system:masters`, with the cluster's public ca.crt beside it) is refused by
//! every path that re-issues a certificate from its own contents: `k8s-kubeconfig --renew`,
//! `k8s-csr --from-cert --issued-by` and `make renew` (examples/renew-pki.sh), each naming the
//! issuer it found; `--foreign-issuer REASON` re-issues it anyway, saying so. A CA rotation stops
//! at its gate on such a tree, and forced past the gate it still never re-issues that identity.

use std::path::Path;

use crate::util::*;

/// An evil CA's `CN=mallory, O=system:masters` client certificate and key in `dir`.
fn mallory(dir: &Path) {
    make_ca(dir, "evil-ca", "evil-ca");
    issue(dir, "evil-ca", "mallory", &["--cn", "mallory", "--org", "system:masters", "--usage", "client"]);
}

/// A kubeconfig of mallory's credentials that embeds the cluster's real CA certificate.
fn evil_conf(dir: &Path, cluster_ca: &Path) -> std::path::PathBuf {
    let conf = dir.join("evil.conf");
    run_ok(
        "k8s-kubeconfig",
        &[
            "--ca-cert",
            &s(&dir.join("evil-ca.crt")),
            "--cert",
            &s(&dir.join("mallory.crt")),
            "--key",
            &s(&dir.join("mallory.key")),
            "--server",
            "https://10.0.0.10:6443",
            "--out",
            &s(&conf),
        ],
        b"",
    );
    use std::io::Write as _;
    let b64 = |p: &Path| {
        let out = std::process::Command::new("base64").args(["-w0"]).arg(p).output().expect("base64");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let text = read(&conf).replace(&b64(&dir.join("evil-ca.crt")), &b64(cluster_ca));
    std::fs::File::create(&conf).and_then(|mut f| f.write_all(text.as_bytes())).expect("write");
    conf
}

#[test]
fn a_kubeconfig_renewal_refuses_a_certificate_its_ca_did_not_issue() {
    let out = demo_pki();
    let dir = scratch();
    mallory(dir.path());
    let conf = evil_conf(dir.path(), &out.join("pki/ca.crt"));
    let before = read(&conf);
    let res = tool("k8s-kubeconfig")
        .args(["--renew", &s(&conf), "--ca", &s(&out.join("pki/ca")), "--reuse-key"])
        .output()
        .expect("runs");
    assert_eq!(res.status.code(), Some(4), "{}", String::from_utf8_lossy(&res.stderr));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("was issued by 'CN=evil-ca'") && err.contains("--foreign-issuer REASON"), "{err}");
    assert_eq!(read(&conf), before, "the kubeconfig is untouched");
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["evil-ca.crt", "evil-ca.key", "evil.conf", "mallory.crt", "mallory.key"],
        "no backup, lock or temporary file"
    );

    // Named and reasoned, it is re-issued, and the warning says from whom and why.
    let res = tool("k8s-kubeconfig")
        .args(["--renew", &s(&conf), "--ca", &s(&out.join("pki/ca")), "--foreign-issuer", "incident 42: re-keyed"])
        .output()
        .expect("runs");
    assert_eq!(res.status.code(), Some(0), "{}", String::from_utf8_lossy(&res.stderr));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("issued by 'CN=evil-ca'") && err.contains("(--foreign-issuer: incident 42: re-keyed)"),
        "{err}"
    );
}

#[test]
fn from_cert_with_issued_by_and_make_renew_refuse_a_planted_certificate() {
    let out = demo_pki();
    let dir = scratch();
    mallory(dir.path());
    let res = tool("k8s-csr")
        .args(["--from-cert", &s(&dir.path().join("mallory.crt")), "--issued-by", &s(&out.join("pki/ca.crt"))])
        .args(["--key", &s(&dir.path().join("mallory.key")), "--reuse-key"])
        .output()
        .expect("runs");
    assert_eq!(res.status.code(), Some(4));
    assert!(res.stdout.is_empty());
    assert!(String::from_utf8_lossy(&res.stderr).contains("was issued by 'CN=evil-ca', not by"));
    // Issued by the CA: the same command makes the CSR.
    run_ok(
        "k8s-csr",
        &[
            "--from-cert",
            &s(&out.join("pki/apiserver-kubelet-client.crt")),
            "--issued-by",
            &s(&out.join("pki/ca.crt")),
            "--key",
            &s(&out.join("pki/apiserver-kubelet-client.key")),
            "--reuse-key",
        ],
        b"",
    );

    // make renew on a tree where a client certificate was replaced by mallory's: nothing renewed.
    let (_tree_dir, tree) = copy_of_demo();
    std::fs::copy(dir.path().join("mallory.crt"), tree.join("pki/apiserver-kubelet-client.crt")).expect("plant");
    std::fs::copy(dir.path().join("mallory.key"), tree.join("pki/apiserver-kubelet-client.key")).expect("plant");
    let apiserver = read(tree.join("pki/apiserver.crt"));
    let res = pipe(&format!("{} \"$1\"", s(&repo().join("examples/renew-pki.sh"))), &[s(&tree)]);
    assert_eq!(res.status.code(), Some(4), "{}", String::from_utf8_lossy(&res.stderr));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("apiserver-kubelet-client.crt") && err.contains("was issued by 'CN=evil-ca'"), "{err}");
    assert!(err.contains("renew-pki: nothing renewed"), "{err}");
    assert_eq!(read(tree.join("pki/apiserver.crt")), apiserver, "no certificate was renewed");
    assert!(
        std::fs::read_dir(&tree)
            .expect("tree")
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with("backup-"))
    );
}

/// A rotation on a tree whose admin.conf holds mallory's credentials (the cluster's CA data
/// beside them): `prepare` stops at the audit gate naming admin.conf, nothing written; forced
/// past the gate, `issue --step clients` re-issues every client certificate the old CA issued
/// but not mallory's, and says why for admin.conf.
#[test]
fn a_rotation_never_reissues_a_planted_identity() {
    let dir = scratch();
    mallory(dir.path());
    let tree = dir.path().join("cluster");
    copy_tree(ecdsa_demo_pki(), &tree);
    let conf = evil_conf(dir.path(), &tree.join("pki/ca.crt"));
    std::fs::copy(&conf, tree.join("admin.conf")).expect("plant");
    let rotate = |args: &[&str]| tool("k8s-rotate").args(args).arg("--pki-dir").arg(&tree).output().expect("runs");
    let before = std::fs::read(tree.join("pki/ca.crt")).expect("ca");
    let res = rotate(&["prepare", "--all", "--sa-min-soak", "0s"]);
    assert_eq!(res.status.code(), Some(4), "{}", String::from_utf8_lossy(&res.stderr));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("admin.conf") && err.contains("signed by unknown authority"), "{err}");
    assert_eq!(std::fs::read(tree.join("pki/ca.crt")).expect("ca"), before, "nothing written");
    assert!(!tree.join("pki/rotation.json").exists());

    let forced = ["--force", "a planted admin.conf, to see what the rotation does with it"];
    let res = rotate(&[&["prepare", "--all", "--sa-min-soak", "0s"][..], &forced].concat());
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let res = rotate(&[&["issue", "--step", "clients", "--confirm", "prepare-restarts"][..], &forced].concat());
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let text = String::from_utf8_lossy(&res.stdout);
    let line = text.lines().find(|l| l.trim_start().starts_with("admin.conf ")).expect("admin.conf's change");
    assert!(line.contains("neither CA issued (issuer CN=evil-ca)"), "{line}");
    // Whose certificates the kubeconfigs hold now: mallory's is still the evil CA's, every
    // other client certificate is the new CA's.
    for name in ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"] {
        let pem = run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&tree.join(name))], b"");
        let res = tool("k8s-verify").args(["--format", "json"]).write_stdin(pem).output().expect("runs");
        let v: serde_json::Value = serde_json::from_slice(&res.stdout).expect("json");
        let leaf = v.as_array().and_then(|a| a.iter().find(|i| i["kind"] == "certificate")).expect("a certificate");
        let (cn, issuer) = (leaf["subject"]["cn"].as_str(), leaf["issuer"]["cn"].as_str());
        if name == "admin.conf" {
            assert_eq!((cn, issuer), (Some("mallory"), Some("evil-ca")), "{name}");
        } else {
            assert_ne!(cn, Some("mallory"), "{name}");
            assert_ne!(issuer, Some("evil-ca"), "{name}");
        }
    }
    let new_ca = read(tree.join("pki/ca.crt"));
    assert_ne!(new_ca.as_bytes(), before.as_slice(), "the rotation went on for the rest of the tree");
}
