//! Small contract points of the inputs and flags, each against an independent reader: a PEM
//! file that starts with a UTF-8 byte order mark, RFC 5280's "no well-defined expiration"
//! (99991231235959Z), `--signer` names kube-controller-manager has no signer for, and cfssl
//! signing profiles that grant a CA.

use std::path::Path;

use crate::util::*;

const BOM: &[u8] = b"\xef\xbb\xbf";

fn with_bom(from: &Path, to: &Path) {
    let mut bytes = BOM.to_vec();
    bytes.extend(std::fs::read(from).expect("read"));
    std::fs::write(to, bytes).expect("write");
}

#[test]
fn a_pem_file_starting_with_a_byte_order_mark_is_read_as_openssl_reads_it() {
    let out = demo_pki();
    let dir = scratch();
    let (crt, key) = (dir.path().join("bom.crt"), dir.path().join("bom.key"));
    with_bom(&out.join("pki/apiserver.crt"), &crt);
    with_bom(&out.join("pki/apiserver.key"), &key);
    // openssl reads both; so do k8s-verify and k8s-csr, and they see the same certificate.
    let theirs = openssl_ok(dir.path(), &["x509", "-in", &s(&crt), "-noout", "-serial"]);
    let v: serde_json::Value =
        serde_json::from_slice(&run_ok("k8s-verify", &[&s(&crt), "--format", "json"], b"")).expect("json");
    let serial = v[0]["serial"].as_str().expect("serial").replace(':', "").to_uppercase();
    assert_eq!(theirs.trim().trim_start_matches("serial="), serial);
    let csr = run_ok("k8s-csr", &["--from-cert", &s(&crt), "--key", &s(&key), "--reuse-key"], b"");
    assert!(String::from_utf8_lossy(&csr).contains("BEGIN CERTIFICATE REQUEST"));
    // A mark in the middle of the input is not skipped.
    let mut twice = std::fs::read(out.join("pki/ca.crt")).expect("read");
    twice.extend(std::fs::read(&crt).expect("read"));
    let res = tool("k8s-verify").arg("-").write_stdin(twice).output().expect("runs");
    assert_eq!(res.status.code(), Some(0), "the second block's line starts with the mark: ignored text");

    // In a tree the file is read by Kubernetes components, whose Go pem.Decode finds nothing in
    // it: the audit says so.
    let (_tree_dir, tree) = copy_of_demo();
    with_bom(&out.join("pki/front-proxy-ca.crt"), &tree.join("pki/front-proxy-ca.crt"));
    let go = go_x509(&[format!(
        "{} {} any",
        s(&tree.join("pki/front-proxy-ca.crt")),
        s(&out.join("pki/front-proxy-ca.crt"))
    )]);
    assert!(go[0].starts_with("no CERTIFICATE in"), "Go reads it: {}", go[0]);
    let res = tool("k8s-verify").args(["--pki-dir", &s(&tree)]).output().expect("runs");
    assert_eq!(res.status.code(), Some(1), "{}", String::from_utf8_lossy(&res.stderr));
    let text = String::from_utf8_lossy(&res.stdout);
    assert!(text.contains("starts with a UTF-8 byte order mark: Go's pem.Decode"), "{text}");
}

#[test]
fn the_end_of_9999_is_a_date_on_every_side() {
    let dir = scratch();
    let d = dir.path();
    let key = d.join("ca.key");
    run_ok("k8s-genkey", &["--algo", "ecdsa", "--key-out", &s(&key)], b"");
    let csr = run_ok("k8s-csr", &["--key", &s(&key), "--profile", "ca", "--cn", "forever"], b"");
    for (flag, value, openssl_says, ours) in [
        ("--not-after", "9999-12-31T23:59:59Z", "notAfter=Dec 31 23:59:59 9999 GMT", "9999-12-31T23:59:59Z"),
        ("--not-after", "9999-12-31", "notAfter=Dec 31 00:00:00 9999 GMT", "9999-12-31T00:00:00Z"),
    ] {
        let crt = run_ok("k8s-sign", &["--self-sign", "--key", &s(&key), flag, value], &csr);
        std::fs::write(d.join("forever.crt"), &crt).expect("write");
        let end = openssl_ok(d, &["x509", "-in", "forever.crt", "-noout", "-enddate"]);
        assert_eq!(end.trim(), openssl_says);
        let path = s(&d.join("forever.crt"));
        let v: serde_json::Value =
            serde_json::from_slice(&run_ok("k8s-verify", &[&path, "--format", "json"], b"")).expect("json");
        assert_eq!(v[0]["notAfter"].as_str(), Some(ours), "{v}");
        let text = String::from_utf8_lossy(&run_ok("k8s-verify", &[&path], b"")).to_string();
        assert!(text.contains(&format!("notAfter:    {ours}")), "{text}");
    }
    // Past the end of 9999 is a usage error.
    let res = tool("k8s-sign")
        .args(["--self-sign", "--key", &s(&key), "--not-after", "10000-01-01"])
        .write_stdin(csr)
        .output()
        .expect("runs");
    assert_eq!(res.status.code(), Some(2));
}

#[test]
fn a_signer_kube_controller_manager_does_not_have_is_refused() {
    let out = demo_pki();
    let csr = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--cn", "mallory", "--org", "system:masters"], &csr);
    for name in ["example.com/anything", "kubernetes.io/legacy-unknown", "kubernetes.io/kube-apiserver-serving"] {
        let res = tool("k8s-sign")
            .args(["--ca", &s(&out.join("pki/ca")), "--signer", name])
            .write_stdin(csr.clone())
            .output()
            .expect("runs");
        assert_eq!(res.status.code(), Some(2), "{name}");
        assert!(res.stdout.is_empty(), "{name}: nothing signed");
        let err = String::from_utf8_lossy(&res.stderr);
        assert!(err.contains(&format!("kube-controller-manager has no signer '{name}'")), "{err}");
    }
}

#[test]
fn a_cfssl_profile_that_grants_a_ca_needs_allow_ca() {
    let out = demo_pki();
    let dir = scratch();
    let config = dir.path().join("ca-config.json");
    let write = |constraint: &str| {
        std::fs::write(
            &config,
            format!(r#"{{"signing":{{"profiles":{{"intermediate":{{"usages":["cert sign"],"expiry":"8760h","ca_constraint":{constraint}}}}}}}}}"#),
        )
        .expect("write")
    };
    let csr = run_ok("k8s-csr", &["--cn", "intermediate"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    let sign = |extra: &[&str]| {
        tool("k8s-sign")
            .args(["--ca", &s(&out.join("pki/ca")), "--config", &s(&config), "--profile", "intermediate"])
            .args(extra)
            .write_stdin(csr.clone())
            .output()
            .expect("runs")
    };
    write(r#"{"is_ca":true,"max_path_len":0,"max_path_len_zero":true}"#);
    let res = sign(&[]);
    assert_eq!(res.status.code(), Some(4), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(String::from_utf8_lossy(&res.stderr).contains("issues a CA (CA:TRUE: a cfssl profile's is_ca"));
    let res = sign(&["--allow-ca"]);
    assert_eq!(res.status.code(), Some(0), "{}", String::from_utf8_lossy(&res.stderr));
    std::fs::write(dir.path().join("i.crt"), &res.stdout).expect("write");
    let text = openssl_ok(dir.path(), &["x509", "-in", "i.crt", "-noout", "-ext", "basicConstraints"]);
    assert!(text.contains("CA:TRUE, pathlen:0"), "{text}");
    for bad in ["-2", "256"] {
        write(&format!(r#"{{"is_ca":true,"max_path_len":{bad}}}"#));
        let res = sign(&["--allow-ca"]);
        assert_eq!(res.status.code(), Some(3), "{bad}");
        assert!(
            String::from_utf8_lossy(&res.stderr).contains(&format!("max_path_len {bad} is not a path length")),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}

#[test]
fn a_prefix_names_files_and_a_sans_rule_is_the_one_documented() {
    let dir = scratch();
    let d = dir.path();
    // `--out dir/` would write the hidden dir/.key: a usage error, nothing written.
    for (bin, stdin) in [("k8s-genkey", Vec::new()), ("k8s-csr", run_ok("k8s-genkey", &["--algo", "ecdsa"], b""))] {
        for flag in ["--out", "--bare"] {
            let out = tool(bin).args([flag, &format!("{}/", s(d))]).write_stdin(stdin.clone()).output().expect("runs");
            assert_eq!(out.status.code(), Some(2), "{bin} {flag}");
            assert!(String::from_utf8_lossy(&out.stderr).contains("names no file"), "{bin} {flag}");
        }
    }
    assert_eq!(std::fs::read_dir(d).expect("dir").count(), 0, "nothing written");
    // The README's rule for `--san a_b`: refused with a kubeadm profile, taken without one.
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let out = tool("k8s-csr")
        .args(["--profile", "apiserver", "--advertise-address", "10.0.0.10", "--node-name", "cp", "--san", "a_b"])
        .write_stdin(key.clone())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubeadm refuses SAN 'a_b'"));
    run_ok("k8s-csr", &["--cn", "x", "--san", "a_b"], &key);
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    assert!(readme.contains("`--san a_b` with a kubeadm `--profile`"), "the README says the rule tested here");
}

/// A certificate issued for dates it is already past, or never valid while its CA is, is said by
/// the signer; and the verifier's chain finding for it gives the dates instead of Go's words at
/// a moment that is inside no validity period.
#[test]
fn dates_that_cannot_verify_are_said_when_signing_and_checking() {
    let dir = scratch();
    let d = dir.path();
    let ca_key = d.join("ca.key");
    run_ok("k8s-genkey", &["--algo", "ecdsa", "--key-out", &s(&ca_key)], b"");
    let ca_csr = run_ok("k8s-csr", &["--key", &s(&ca_key), "--profile", "ca", "--cn", "late-ca"], b"");
    let ca = run_ok(
        "k8s-sign",
        &["--self-sign", "--key", &s(&ca_key), "--not-before", "2023-01-01", "--days", "7000"],
        &ca_csr,
    );
    std::fs::write(d.join("ca.crt"), ca).expect("write");
    let leaf_csr =
        run_ok("k8s-csr", &["--cn", "old", "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    let out = tool("k8s-sign")
        .args(["--ca-cert", &s(&d.join("ca.crt")), "--ca-key", &s(&ca_key), "--not-before", "2021-01-01"])
        .args(["--not-after", "2022-01-01", "--cert-out", &s(&d.join("old.crt"))])
        .write_stdin(leaf_csr)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has already expired: its notAfter 2022-01-01T00:00:00Z is in the past"), "{err}");
    assert!(err.contains("is never valid while its CA is"), "{err}");
    let out = tool("k8s-verify")
        .args(["--ca-cert", &s(&d.join("ca.crt")), &s(&d.join("old.crt")), "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let chain =
        v[0]["findings"].as_array().expect("findings").iter().find(|f| f["check"] == "chain").cloned().expect("chain");
    let message = chain["message"].as_str().expect("message");
    assert!(
        message.starts_with("never valid at the same time as the CAs of")
            && message.contains("'CN=late-ca' is valid 2023-01-01"),
        "{chain}"
    );
    assert!(chain.get("goError").is_none(), "no Go words at a made-up time: {chain}");
    // The verdict is still Go's, at the time asked.
    let go = v[0]["go"].as_str().expect("go");
    assert!(go.starts_with("x509: certificate has expired or is not yet valid: current time "), "{go}");
}

/// A look-alike group (`O=sуstem:masters`, Cyrillic у) is marked with its code point where the
/// request and the certificate are shown, and signing it is said.
#[test]
fn a_look_alike_name_is_marked_and_its_signing_said() {
    let out = demo_pki();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--cn", "mallory", "--org", "s\u{443}stem:masters", "--usage", "client"], &key);
    let shown: serde_json::Value =
        serde_json::from_slice(&run_ok("k8s-verify", &["-", "--format", "json"], &csr)).expect("json");
    let marks = shown.to_string();
    assert!(marks.contains("has U+0443 at 2"), "{marks}");
    assert_schema("inspect", serde_json::to_string(&shown).expect("json").as_bytes());
    let signed = tool("k8s-sign").args(["--ca", &s(&out.join("pki/ca"))]).write_stdin(csr).output().expect("runs");
    assert_eq!(signed.status.code(), Some(0));
    let err = String::from_utf8_lossy(&signed.stderr);
    assert!(
        err.contains("signed a subject with characters outside ASCII: O 's\u{443}stem:masters' has U+0443 at 2"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&run_ok("k8s-verify", &["-"], &signed.stdout)).into_owned();
    assert!(text.contains("nonAscii:") && text.contains("U+0443 at 2"), "{text}");
}
