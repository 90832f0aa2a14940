//! Every JSON output follows one convention (k8s-pki(7), docs/json.md) and its schema in
//! docs/schemas, checked by Python's jsonschema. The connect and rotation outputs are checked
//! where their tests make them (connect.rs, rotate.rs).

use crate::util::*;

fn json_of(tool_name: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = tool(tool_name).args(args).write_stdin(stdin.to_vec()).output().expect("runs");
    assert!(!out.stdout.is_empty(), "{tool_name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn every_json_output_follows_its_schema() {
    let tree = demo_pki();
    let dir = scratch();
    let d = dir.path();
    let pki = s(tree);
    // The stream, through every tool that writes it.
    let key = json_of("k8s-genkey", &["--format", "json"], b"");
    assert_schema("stream-item", &key);
    let csr = json_of("k8s-csr", &["--cn", "u", "--org", "g", "--usage", "client", "--format", "json"], &key);
    assert_schema("stream-item", &csr);
    let ca = s(&tree.join("pki/ca"));
    let signed = json_of("k8s-sign", &["--ca", &ca, "--format", "json"], &csr);
    assert_schema("stream-item", &signed);
    assert_schema(
        "stream-item",
        &json_of("k8s-genkey", &["--public", "--format", "json"], &run_ok("k8s-genkey", &[], b"")),
    );
    // k8s-verify: items, verdicts (passing and failing), the audit, the expiry table, the flags.
    let pem = run_ok(
        "k8s-sign",
        &["--ca", &ca],
        &run_ok("k8s-csr", &["--cn", "u", "--usage", "client"], &run_ok("k8s-genkey", &[], b"")),
    );
    std::fs::write(d.join("u.pem"), &pem).expect("u.pem");
    let csr_pem = run_ok(
        "k8s-csr",
        &["--profile", "apiserver", "--node-name", "n1", "--advertise-address", "10.0.0.10"],
        &run_ok("k8s-genkey", &[], b""),
    );
    std::fs::write(d.join("api.pem"), &csr_pem).expect("api.pem");
    let public = run_ok("k8s-genkey", &["--public"], &run_ok("k8s-genkey", &[], b""));
    std::fs::write(d.join("pub.pem"), public).expect("pub.pem");
    let (u, api, pub_pem, admin) =
        (s(&d.join("u.pem")), s(&d.join("api.pem")), s(&d.join("pub.pem")), s(&tree.join("admin.conf")));
    let items =
        json_of("k8s-verify", &["--format", "json", &u, &api, &pub_pem, &admin, &s(&tree.join("pki/ca.crt"))], b"");
    let kinds: Vec<String> = serde_json::from_slice::<serde_json::Value>(&items)
        .expect("json")
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    for kind in ["private-key", "certificate", "csr", "public-key", "kubeconfig"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    assert_schema("inspect", &items);
    for args in [
        vec!["--ca-cert", &format!("{pki}/pki/ca.crt"), "--purpose", "client", &u],
        vec!["--ca-cert", &format!("{pki}/pki/etcd/ca.crt"), "--purpose", "server", "--host", "x.example", &u],
    ] {
        assert_schema("check", &json_of("k8s-verify", &[&["--format", "json"], &args[..]].concat(), b""));
    }
    let (copy_dir, copy) = copy_of_demo();
    let _keep = copy_dir;
    // A tree with a missing file and a failing one, as well as a clean one.
    std::fs::remove_file(copy.join("pki/front-proxy-client.crt")).expect("rm");
    std::fs::copy(copy.join("pki/apiserver-kubelet-client.crt"), copy.join("pki/apiserver.crt")).expect("cp");
    for t in [&pki, &s(&copy)] {
        assert_schema("audit", &json_of("k8s-verify", &["--pki-dir", t, "--format", "json"], b""));
        assert_schema("expiry", &json_of("k8s-verify", &["--pki-dir", t, "--expiry", "--format", "json"], b""));
    }
    assert_schema("flags", &json_of("k8s-verify", &["--pki-dir", &pki, "--flags", "--format", "json"], b""));
    for release in ["1.28", "1.33"] {
        let profiles =
            json_of("k8s-csr", &["--list-profiles", "--kubernetes-version", release, "--format", "json"], b"");
        assert_schema("profiles", &profiles);
    }
    assert_schema("rotate", &json_of("k8s-rotate", &["status", "--pki-dir", &pki, "--format", "json"], b""));
    assert_schema("rotate", &json_of("k8s-rotate", &["plan", "--pki-dir", &pki, "--all", "--format", "json"], b""));
    // Mid-rotation: the step's result, the status with its state, the audit with generations.
    let (rot_dir, rot) = copy_of_demo();
    let _keep = rot_dir;
    let rot = s(&rot);
    assert_schema("rotate", &json_of("k8s-rotate", &["prepare", "--pki-dir", &rot, "--all", "--format", "json"], b""));
    assert_schema("rotate", &json_of("k8s-rotate", &["status", "--pki-dir", &rot, "--format", "json"], b""));
    assert_schema("audit", &json_of("k8s-verify", &["--pki-dir", &rot, "--format", "json"], b""));
}

#[test]
fn the_schemas_refuse_what_the_convention_forbids() {
    // The check can fail: the forms the convention replaced are refused, each with its reason.
    let audit = br#"{"dir":"d","at":"2026-11-24T00:00:00Z","kubernetesVersion":"1.33","kubernetesVersionSource":"x",
        "etcd":"local","role":"control-plane","status":"ok","files":[{"path":"pki/ca.crt","name":"ca","kind":"ca",
        "notAfter":2110848631,"externallyManaged":false,"status":"ok","findings":[]}]}"#;
    let (ok, report) = schema_check("audit", audit, false);
    assert!(!ok && report.contains("/files/0/notAfter: 2110848631 is not of type 'string'"), "{report}");
    let inspect = br#"[{"kind":"public-key","source":"s","key":"RSA 2048","publicKeySha256":"00","extra":1}]"#;
    let (ok, report) = schema_check("inspect", inspect, false);
    assert!(!ok && report.contains("/0: "), "{report}");
    let stream = b"{\"key\":\"-----BEGIN EC PRIVATE KEY-----\\n\"}\n{\"cert\":1}\n";
    let (ok, report) = schema_check("stream-item", stream, true);
    assert!(!ok && report.contains(":2: /cert: 1 is not of type 'string'"), "{report}");
}
