//! Renewing a CA in place, the escape hatch for a CA about to expire (kubeadm refuses it,
//! kubernetes/kubernetes#126430): the audit suggests it for a CA within a year of its end; the
//! suggested pipe keeps key, subject and subject key identifier, so every certificate the CA
//! signed still verifies (Go and openssl), the join hash is unchanged, etcd accepts its unchanged
//! certificates under the renewed CA and kubectl authenticates; the kubeconfigs are then told to
//! embed the renewed file, and that fix is run too. And the cross-signed bridge (k3s's way): a
//! new CA signed by the old one, through which the old root verifies what the new CA signs.

use std::path::Path;

use crate::etcd::Etcd;
use crate::util::*;

const CAS: &[&str] = &["pki/ca", "pki/etcd/ca", "pki/front-proxy-ca"];

/// Go's verdict (tests/go/x509check.go) on `cert` against the roots in `roots`, for `usage`.
fn go_verdict(cert: &Path, roots: &Path, usage: &str) -> String {
    let out = assert_cmd::Command::new(go_helper("x509check"))
        .write_stdin(format!("{} {} {usage}\n", cert.display(), roots.display()))
        .output()
        .expect("x509check");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn join_hash(ca: &Path) -> String {
    String::from_utf8(run_ok("k8s-verify", &["--join-hash", &s(ca)], b"")).expect("utf8")
}

#[test]
fn a_ca_renewed_in_place_keeps_everything_it_signed_valid() {
    require("etcd", "etcd-server");
    let (dir, tree) = copy_of_demo();
    let leaves: Vec<(String, &str, &str)> = [
        ("pki/apiserver.crt", "pki/ca.crt", "server"),
        ("pki/apiserver-kubelet-client.crt", "pki/ca.crt", "client"),
        ("pki/front-proxy-client.crt", "pki/front-proxy-ca.crt", "client"),
        ("pki/etcd/server.crt", "pki/etcd/ca.crt", "server"),
        ("pki/etcd/peer.crt", "pki/etcd/ca.crt", "client"),
        ("pki/apiserver-etcd-client.crt", "pki/etcd/ca.crt", "client"),
        ("nodes/node-2/pki/etcd/server.crt", "pki/etcd/ca.crt", "server"),
    ]
    .iter()
    .map(|(l, c, u)| (l.to_string(), *c, *u))
    .collect();
    let before: Vec<String> = CAS.iter().map(|c| join_hash(&tree.join(format!("{c}.crt")))).collect();
    let old_admin = dir.path().join("old-admin.conf");
    std::fs::copy(tree.join("admin.conf"), &old_admin).expect("copy");
    // Nine and a half years on, the audit suggests renewing each CA in place, and --expiry says
    // so on stderr beside kubeadm's table.
    let later = "2036-06-01T00:00:00Z";
    let out = tool("k8s-verify")
        .arg("--pki-dir")
        .arg(&tree)
        .args(["--at", later, "--format", "json"])
        .output()
        .expect("audit");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let expiry =
        tool("k8s-verify").arg("--pki-dir").arg(&tree).args(["--at", later, "--expiry"]).output().expect("expiry");
    let err = String::from_utf8_lossy(&expiry.stderr);
    let mut fixes = Vec::new();
    for ca in CAS {
        let file = report["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|f| f["path"] == format!("{ca}.crt"))
            .expect("the CA's row");
        assert!(file["findings"].to_string().contains("renew it in place"), "{file}");
        let fix = file["fix"].as_str().expect("a fix line").to_string();
        assert!(fix.contains("--reuse-key") && fix.contains("--self-sign"), "{fix}");
        assert!(err.contains(&fix), "--expiry names the pipe on stderr: {err}");
        fixes.push(fix);
    }
    assert!(!String::from_utf8_lossy(&expiry.stdout).contains("renew"), "kubeadm's table stays kubeadm's");
    // Nothing is suggested today: the CAs have ten years.
    let (_, today) = audit_json(&tree);
    assert!(!today.to_string().contains("renew it in place"));
    for fix in &fixes {
        let out = script_in(dir.path(), fix, &[]);
        assert!(out.status.success(), "{fix}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Same key (join hash), same subject and SKI, a later end.
    for (ca, hash) in CAS.iter().zip(&before) {
        assert_eq!(&join_hash(&tree.join(format!("{ca}.crt"))), hash, "{ca}: the join hash changed");
    }
    // Every certificate the CAs signed, unchanged, verifies against the renewed CA: Go and openssl.
    for (leaf, ca, usage) in &leaves {
        assert_eq!(go_verdict(&tree.join(leaf), &tree.join(ca), usage), "OK", "{leaf}");
        let res = openssl(&tree, &["verify", "-CAfile", ca, leaf]);
        assert!(res.status.success(), "{leaf}: {}", String::from_utf8_lossy(&res.stderr));
    }
    // The kubeconfigs still embed the old certificate of the same CA: a warning, whose fix
    // (kubectl embedding the renewed file) is run; then the audit is clean.
    let (code, report) = audit_json(&tree);
    assert_eq!(code, 6, "{report}");
    let fixes: Vec<String> = report["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["status"] == "warn")
        .map(|f| f["fix"].as_str().unwrap_or_else(|| panic!("no fix: {f}")).to_string())
        .collect();
    assert_eq!(fixes.len(), 7, "every kubeconfig of the tree: {fixes:?}");
    assert!(fixes.iter().all(|f| f.starts_with("kubectl --kubeconfig ")), "{fixes:?}");
    for fix in &fixes {
        let out = script_in(dir.path(), fix, &[]);
        assert!(out.status.success(), "{fix}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let (code, report) = audit_json(&tree);
    assert_eq!(code, 0, "{report}");
    // Real etcd: one member trusting the renewed etcd CA, serving its unchanged certificate,
    // answers the unchanged healthcheck client.
    let scratch = scratch();
    let mut etcd = Etcd::new(scratch.path());
    etcd.members.truncate(1);
    etcd.initial = format!("node-1=https://127.0.0.1:{}", etcd.members[0].peer);
    etcd.copy(0, &tree);
    etcd.start(0, "new");
    etcd.wait(0, &tree);
    // kubectl, with admin.conf as it is now and as it was before the renewal.
    let (_server, addr) =
        start_apiserver(&tree.join("pki/apiserver.crt"), &tree.join("pki/apiserver.key"), &tree.join("pki/ca.crt"));
    for conf in [tree.join("admin.conf"), old_admin] {
        let out = kubectl()
            .env("KUBECONFIG", "/dev/null")
            .arg("--kubeconfig")
            .arg(&conf)
            .args(["--server", &format!("https://{addr}"), "--tls-server-name", "kubernetes"])
            .args(["--request-timeout", "10s", "auth", "whoami", "-o", "json"])
            .output()
            .expect("kubectl");
        assert!(out.status.success(), "{}: {}", conf.display(), String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn a_cross_signed_bridge_lets_the_old_root_verify_what_the_new_ca_signs() {
    let (dir, tree) = copy_of_demo();
    let d = dir.path();
    let script = "set -e
k8s-genkey | k8s-csr --profile ca --cn kubernetes-2036 | k8s-sign --self-sign --out new-ca
k8s-csr --from-cert new-ca.crt --key new-ca.key --reuse-key | k8s-sign --ca \"$1/pki/ca\" --allow-ca --cert-out bridge.crt
k8s-genkey | k8s-csr --profile admin | k8s-sign --ca new-ca --out admin";
    let out = script_in(d, &script.replace("$1", &s(&tree)), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The bridge is the new CA's key and subject, issued by the old CA.
    let subject = |f: &str| openssl_ok(d, &["x509", "-in", f, "-noout", "-subject", "-issuer"]);
    assert_eq!(subject("bridge.crt").lines().next(), subject("new-ca.crt").lines().next());
    assert!(subject("bridge.crt").contains("issuer=CN = kubernetes\n"), "{}", subject("bridge.crt"));
    // Through the bridge, the old root verifies the new CA's leaf: openssl, Go and k8s-verify.
    let old = tree.join("pki/ca.crt");
    let res =
        openssl(d, &["verify", "-CAfile", &s(&old), "-untrusted", "bridge.crt", "-purpose", "sslclient", "admin.crt"]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let chain = d.join("admin-chain.crt");
    std::fs::write(&chain, read(d.join("admin.crt")) + &read(d.join("bridge.crt"))).expect("chain");
    assert_eq!(go_verdict(&chain, &old, "client"), "OK");
    let out = tool("k8s-verify")
        .args(["--ca-cert", &s(&old), "--untrusted", &s(&d.join("bridge.crt")), "--purpose", "client"])
        .arg(d.join("admin.crt"))
        .output()
        .expect("k8s-verify");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // Without the bridge the old root does not: Go's own words.
    assert_eq!(go_verdict(&d.join("admin.crt"), &old, "client"), "x509: certificate signed by unknown authority");
}
