//! kubeadm certs check-expiration, byte for byte: our --expiry text and JSON against kubeadm's
//! own output for the same tree, for every release followed.

use crate::util::*;

/// `k8s-verify --expiry` against Go: `tests/go/checkexp.go` reads the same tree with Go's x509,
/// prints kubeadm's format strings through Go's `text/tabwriter` with kubeadm's settings and
/// marshals kubeadm's output types with `encoding/json`; ours must match it byte for byte, at
/// moments that put every residual-time wording on the table, in both releases' wordings, with
/// files missing and a CA key absent.
#[test]
fn check_expiration_text_and_json_are_kubeadms_byte_for_byte() {
    let (_dir, tree) = copy_of_demo();
    // `extra`: more flags for k8s-verify, or for checkexp.
    let ours = |at: i64, minor: u32, json: bool, extra: &[&str]| {
        let stamp = jiff::Timestamp::from_second(at).expect("time").to_string();
        let mut cmd = tool("k8s-verify");
        cmd.arg("--pki-dir").arg(&tree).args(["--expiry", "--at", &stamp]);
        cmd.args(["--kubernetes-version", &format!("1.{minor}")]).args(extra);
        if json {
            cmd.args(["--format", "json"]);
        }
        String::from_utf8(cmd.output().expect("k8s-verify").stdout).expect("utf-8")
    };
    let go = |at: i64, minor: u32, json: bool, extra: &[&str]| {
        let out = std::process::Command::new(go_helper("checkexp"))
            .arg("-dir")
            .arg(&tree)
            .args(["-at", &at.to_string(), "-minor", &minor.to_string(), "-o", if json { "json" } else { "text" }])
            .args(extra)
            .output()
            .expect("checkexp");
        assert!(out.status.success(), "checkexp: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let not_after = |name: &str| {
        let v: serde_json::Value = serde_json::from_str(&ours(0, 33, true, &[])).expect("json");
        let rows = v["certificates"].as_array().into_iter().chain(v["certificateAuthorities"].as_array()).flatten();
        let row = rows.clone().find(|r| r["name"] == name).expect("row");
        let date = row["expirationDate"].as_str().expect("date");
        date.parse::<jiff::Timestamp>().expect("RFC 3339").as_second()
    };
    let (leaf, ca) = (not_after("apiserver"), not_after("ca"));
    let day = 86_400;
    let moments = [
        leaf - 365 * day + 60,       // just built: 364d, 9y
        leaf - (6 * day + 4 * 3600), // 6d4h
        leaf - (5 * 3600 + 20 * 60), // 5h20m
        leaf - 330,                  // 5m30s
        leaf + 3600,                 // expired: <invalid>
        ca - (2 * 365 + 327) * day,  // the CAs' 2y327d
        ca - 400 * day,              // 400d, 1y
    ];
    let compare = |what: &str| {
        for at in moments {
            for minor in [30, 33] {
                for json in [false, true] {
                    let (a, b) = (ours(at, minor, json, &[]), go(at, minor, json, &[]));
                    assert_eq!(a, b, "{what}, at {at}, 1.{minor}, json {json}:\nours:\n{a}\nGo:\n{b}");
                }
            }
        }
    };
    compare("the demo tree");
    std::fs::remove_file(tree.join("super-admin.conf")).expect("rm");
    std::fs::remove_file(tree.join("pki/etcd/peer.crt")).expect("rm");
    std::fs::remove_file(tree.join("pki/front-proxy-ca.key")).expect("rm");
    compare("without super-admin.conf, etcd/peer.crt and front-proxy-ca.key");
    // 1.28 has no super-admin.conf: kubeadm 1.28 does not list it.
    let at = moments[0];
    for json in [false, true] {
        assert_eq!(ours(at, 28, json, &[]), go(at, 28, json, &[]), "1.28");
    }
    // An external etcd: kubeadm lists neither the etcd CA nor anything it signs
    // (GetCertsWithoutEtcd), whether the etcd client files are here or not. The audit is told by
    // --external-etcd, or sees it in manifests/ (kube-apiserver.yaml without etcd.yaml).
    let external = |json: bool, told: &[&str]| {
        let (a, b) = (ours(at, 33, json, told), go(at, 33, json, &["-external-etcd"]));
        assert_eq!(a, b, "external etcd, json {json}");
        assert!(!a.contains("etcd"), "no etcd row");
    };
    for json in [false, true] {
        external(json, &["--external-etcd"]);
    }
    for f in ["etcd/server", "etcd/healthcheck-client", "etcd/ca"] {
        for ext in ["crt", "key"] {
            let _ = std::fs::remove_file(tree.join(format!("pki/{f}.{ext}")));
        }
    }
    std::fs::create_dir_all(tree.join("manifests")).expect("manifests");
    std::fs::write(tree.join("manifests/kube-apiserver.yaml"), "kind: Pod\n").expect("manifest");
    for json in [false, true] {
        external(json, &[]);
    }
    // The audit expects no etcd certificate and says why; without the etcd CA the etcd client's
    // chain is a warning (the CA may live elsewhere), never a failure.
    let audit = tool("k8s-verify").arg("--pki-dir").arg(&tree).output().expect("k8s-verify");
    let text = String::from_utf8_lossy(&audit.stdout);
    assert_eq!(audit.status.code(), Some(6), "{text}");
    assert!(text.contains("etcd external (manifests/ has kube-apiserver.yaml and no etcd.yaml)"), "{text}");
    assert!(text.contains("server.crt                   etcd-ca          absent"), "{text}");
    assert!(
        text.contains("cannot check: pki/etcd/ca.crt is missing (with an external etcd its CA may live elsewhere)"),
        "{text}"
    );
    assert!(!text.contains("✗"), "{text}");
}
