//! Renewal re-issues only what the CA issued. A client certificate from another CA
//! (`CN=mallory, O=system:masters`, with the cluster's public ca.crt beside it) is refused by
//! every path that re-issues a certificate from its own contents: `k8s-kubeconfig --renew`,
//! `k8s-csr --from-cert --issued-by` and `make renew` (examples/renew-pki.sh), each naming the
//! issuer it found; `--foreign-issuer REASON` re-issues it anyway, saying so.

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
