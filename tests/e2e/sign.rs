//! k8s-sign: never sign blindly; certificates openssl accepts for their purpose only.

use predicates::prelude::*;
use predicates::str::contains;

use crate::util::*;

fn p(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().expect("utf8").to_string()
}

#[test]
fn certificates_verify_for_their_purpose_and_not_against_another_ca() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    make_ca(dir.path(), "other", "other-ca");
    issue(dir.path(), "ca", "server", &["--cn", "srv", "--san", "srv.example", "--usage", "server"]);
    issue(dir.path(), "ca", "client", &["--cn", "cli", "--usage", "client"]);
    let verify = |purpose: &str, ca: &str, cert: &str| {
        openssl(dir.path(), &["verify", "-x509_strict", "-purpose", purpose, "-CAfile", ca, cert]).status.success()
    };
    assert!(verify("sslserver", "ca.crt", "server.crt"));
    assert!(verify("sslclient", "ca.crt", "client.crt"));
    assert!(!verify("sslclient", "ca.crt", "server.crt"), "a server cert must not pass as a client");
    assert!(!verify("sslserver", "ca.crt", "client.crt"), "a client cert must not pass as a server");
    assert!(!verify("sslserver", "other.crt", "server.crt"), "the wrong CA must not verify");
    let rsa_dir = scratch();
    make_ca(rsa_dir.path(), "ca", "kubernetes");
    issue(rsa_dir.path(), "ca", "leaf", &["--profile", "admin"]);
    let ok =
        openssl(rsa_dir.path(), &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.crt", "leaf.crt"]);
    assert!(ok.status.success());
}

#[test]
fn batch_signing_keeps_order() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let mut stream = Vec::new();
    for cn in ["one", "two", "three"] {
        let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
        stream.extend(run_ok("k8s-csr", &["--cn", cn, "--usage", "client"], &key));
    }
    let out = run_ok("k8s-sign", &["--ca", &p(&dir, "ca")], &stream);
    assert_eq!(labels(&out), ["EC PRIVATE KEY", "CERTIFICATE"].repeat(3));
    for (i, cn) in ["one", "two", "three"].iter().enumerate() {
        let cert = &blocks_of(&out, "CERTIFICATE")[i];
        std::fs::write(dir.path().join("c.crt"), cert).expect("write");
        assert!(
            openssl_ok(dir.path(), &["x509", "-in", "c.crt", "-noout", "-subject"]).contains(&format!("CN = {cn}"))
        );
    }
}

#[test]
fn tampered_csr_is_refused_with_nothing_on_stdout() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--cn", "alice", "--usage", "client"], &key);
    let csr_pem = &blocks_of(&csr, "CERTIFICATE REQUEST")[0];
    std::fs::write(dir.path().join("good.csr"), csr_pem).expect("write");
    let der = openssl_ok(dir.path(), &["req", "-in", "good.csr", "-outform", "der", "-out", "good.der"]);
    let _ = der;
    let good = std::fs::read(dir.path().join("good.der")).expect("der");
    // One byte of the subject ("alice" -> "alicd"), then one byte of the signature.
    let at = good.windows(5).position(|w| w == b"alice").expect("CN in CSR");
    let mut subject_changed = good.clone();
    subject_changed[at + 4] ^= 0x01;
    let mut signature_changed = good.clone();
    let last = signature_changed.len() - 2;
    signature_changed[last] ^= 0x01;
    for (name, bad) in [("subject", subject_changed), ("signature", signature_changed)] {
        std::fs::write(dir.path().join("bad.der"), &bad).expect("write");
        openssl_ok(dir.path(), &["req", "-inform", "der", "-in", "bad.der", "-out", "bad.csr"]);
        tool("k8s-sign")
            .args(["--ca", &p(&dir, "ca"), "--in", &p(&dir, "bad.csr")])
            .assert()
            .code(4)
            .stdout(predicate::str::is_empty())
            .stderr(contains("signature").and(contains("k8s-sign: error:")));
        let _ = name;
    }
}

#[test]
fn ca_key_must_match_and_ca_must_be_a_ca() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    make_ca(dir.path(), "other", "other");
    issue(dir.path(), "ca", "leaf", &["--cn", "leaf", "--usage", "client"]);
    let csr = run_ok("k8s-csr", &["--cn", "x", "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    tool("k8s-sign")
        .args(["--ca-cert", &p(&dir, "ca.crt"), "--ca-key", &p(&dir, "other.key")])
        .write_stdin(csr.clone())
        .assert()
        .code(4)
        .stderr(contains("does not match"));
    tool("k8s-sign").args(["--ca", &p(&dir, "leaf")]).write_stdin(csr).assert().code(4).stderr(contains("not a CA"));
}

#[test]
fn expired_and_future_cas_are_refused() {
    let dir = scratch();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--profile", "ca"], &key);
    let old = p(&dir, "old");
    run_ok(
        "k8s-sign",
        &["--self-sign", "--not-before", "2020-01-01", "--not-after", "2021-01-01", "--out", &old],
        &csr,
    );
    let future = p(&dir, "future");
    run_ok(
        "k8s-sign",
        &["--self-sign", "--not-before", "2099-01-01", "--not-after", "2100-01-01", "--out", &future],
        &csr,
    );
    let leaf = run_ok("k8s-csr", &["--cn", "x", "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    tool("k8s-sign").args(["--ca", &old]).write_stdin(leaf.clone()).assert().code(4).stderr(contains("expired"));
    tool("k8s-sign").args(["--ca", &future]).write_stdin(leaf).assert().code(4).stderr(contains("not valid before"));
}

#[test]
fn the_signer_decides_usages() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let bare = run_ok("k8s-csr", &["--cn", "alice"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    tool("k8s-sign")
        .args(["--ca", &p(&dir, "ca")])
        .write_stdin(bare.clone())
        .assert()
        .code(4)
        .stderr(contains("--usage"));
    let out =
        run_ok("k8s-sign", &["--ca", &p(&dir, "ca"), "--profile", "admin", "--cert-out", &p(&dir, "a.crt")], &bare);
    assert_eq!(labels(&out), vec!["EC PRIVATE KEY"]);
    let eku = openssl_ok(dir.path(), &["x509", "-in", "a.crt", "-noout", "-ext", "extendedKeyUsage"]);
    assert!(eku.contains("TLS Web Client Authentication") && !eku.contains("Server"), "{eku}");
    // A CSR asking for CA:TRUE is refused unless allowed.
    let wants_ca = run_ok("k8s-csr", &["--cn", "sub", "--is-ca"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    tool("k8s-sign")
        .args(["--ca", &p(&dir, "ca")])
        .write_stdin(wants_ca.clone())
        .assert()
        .code(4)
        .stderr(contains("--allow-ca"));
    run_ok("k8s-sign", &["--ca", &p(&dir, "ca"), "--allow-ca"], &wants_ca);
}

#[test]
fn validity_defaults_and_flags() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let csr = run_ok("k8s-csr", &["--cn", "x", "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    for (args, days) in [(vec![], 365), (vec!["--days", "30"], 30), (vec!["--duration", "48h"], 2)] {
        let mut all = vec!["--ca".to_string(), p(&dir, "ca"), "--cert-out".into(), p(&dir, "v.crt"), "--force".into()];
        all.extend(args.iter().map(|s| s.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        run_ok("k8s-sign", &all, &csr);
        let check = |secs: i64| {
            openssl(dir.path(), &["x509", "-in", "v.crt", "-noout", "-checkend", &secs.to_string()]).status.success()
        };
        assert!(check(days * 86_400 - 3600), "{args:?} should last about {days} days");
        assert!(!check(days * 86_400 + 3600), "{args:?} should not last longer than {days} days");
    }
    tool("k8s-sign").args(["--ca", &p(&dir, "ca"), "--days", "0"]).write_stdin(csr.clone()).assert().code(2);
    tool("k8s-sign").args(["--ca", &p(&dir, "ca"), "--days", "-3"]).write_stdin(csr.clone()).assert().code(2);
    tool("k8s-sign").args(["--ca", &p(&dir, "ca"), "--days", "99999999"]).write_stdin(csr.clone()).assert().code(2);
    tool("k8s-sign")
        .args(["--ca", &p(&dir, "ca"), "--days", "5000"])
        .write_stdin(csr.clone())
        .assert()
        .success()
        .stderr(contains("outlive its CA"));
}

#[test]
fn existing_files_are_not_overwritten_without_force() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let before = read(dir.path().join("ca.crt"));
    let csr = run_ok("k8s-csr", &["--profile", "ca"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    tool("k8s-sign")
        .args(["--self-sign", "--out", &p(&dir, "ca")])
        .write_stdin(csr.clone())
        .assert()
        .code(5)
        .stderr(contains("exists"));
    assert_eq!(before, read(dir.path().join("ca.crt")));
    tool("k8s-sign").args(["--self-sign", "--out", &p(&dir, "ca"), "--force"]).write_stdin(csr).assert().success();
    assert_ne!(before, read(dir.path().join("ca.crt")));
}

#[test]
fn json_stream_round_trip() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa", "--format", "json"], b"");
    let csr = run_ok("k8s-csr", &["--cn", "j", "--usage", "client", "--format", "json"], &key);
    let v: serde_json::Value = serde_json::from_slice(&csr).expect("json");
    assert!(v["key"].is_string() && v["csr"].is_string());
    // The CSR stays beside its certificate, as cfssl gencert's JSON carries it, unless dropped.
    let cert = run_ok("k8s-sign", &["--ca", &p(&dir, "ca"), "--format", "json"], &csr);
    let v: serde_json::Value = serde_json::from_slice(&cert).expect("json");
    assert!(v["key"].is_string() && v["cert"].is_string() && v["csr"].is_string(), "{v}");
    let cert = run_ok("k8s-sign", &["--ca", &p(&dir, "ca"), "--format", "json", "--drop-csr"], &csr);
    let v: serde_json::Value = serde_json::from_slice(&cert).expect("json");
    assert!(v["key"].is_string() && v["cert"].is_string() && v.get("csr").is_none(), "{v}");
}

#[test]
fn self_signed_root_defaults_to_ten_years() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let ten_years = (3650 * 86_400 - 3600).to_string();
    assert!(openssl(dir.path(), &["x509", "-in", "ca.crt", "-noout", "-checkend", &ten_years]).status.success());
    let text = openssl_ok(dir.path(), &["verify", "-x509_strict", "-CAfile", "ca.crt", "ca.crt"]);
    assert!(text.contains("OK"));
}

#[test]
fn batches_larger_than_a_chunk_keep_their_order() {
    // k8s-sign signs in parallel chunks of 256; 300 CSRs cross a chunk boundary.
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let key_file = dir.path().join("k.key");
    std::fs::write(&key_file, &key).expect("write");
    let mut stream = Vec::new();
    for i in 0..300 {
        stream.extend(run_ok(
            "k8s-csr",
            &["--key", key_file.to_str().expect("utf8"), "--cn", &format!("n{i}"), "--usage", "client"],
            b"",
        ));
    }
    let out = run_ok("k8s-sign", &["--ca", &p(&dir, "ca")], &stream);
    let certs = blocks_of(&out, "CERTIFICATE");
    assert_eq!(certs.len(), 300);
    for i in [0usize, 255, 256, 299] {
        std::fs::write(dir.path().join("c.crt"), &certs[i]).expect("write");
        let subject = openssl_ok(dir.path(), &["x509", "-in", "c.crt", "-noout", "-subject"]);
        assert_eq!(subject.trim(), format!("subject=CN = n{i}"));
    }
}

#[test]
fn a_server_certificate_without_sans_signs_with_gos_refusal_as_a_warning() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let csr =
        run_ok("k8s-csr", &["--subj", "/CN=kube-apiserver", "--usage", "server"], &run_ok("k8s-genkey", &[], b""));
    let res = tool("k8s-sign").args(["--ca", &s(&dir.path().join("ca"))]).write_stdin(csr).output().expect("runs");
    assert!(res.status.success());
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains("warning: stdin: a server certificate without SANs")
            && err.contains("'x509: certificate relies on legacy Common Name field, use SANs instead'"),
        "{err}"
    );
    // With a SAN, no such warning.
    let csr = run_ok(
        "k8s-csr",
        &["--cn", "kube-apiserver", "--san", "kubernetes", "--usage", "server"],
        &run_ok("k8s-genkey", &[], b""),
    );
    let res = tool("k8s-sign").args(["--ca", &s(&dir.path().join("ca"))]).write_stdin(csr).output().expect("runs");
    assert!(res.status.success() && res.stderr.is_empty(), "{}", String::from_utf8_lossy(&res.stderr));
}

#[test]
fn vocabulary_is_shared_and_other_tools_spellings_work() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let key = run_ok("k8s-genkey", &["--curve", "secp384r1"], b"");
    let text = run_ok("k8s-verify", &[], &key);
    assert!(String::from_utf8_lossy(&text).contains("ECDSA P-384"));
    // openssl's single-dash words, openssl's usage names; k8s-verify takes --ca PREFIX.
    let csr = run_ok("k8s-csr", &["-subj", "/CN=u/O=g", "--purpose", "clientAuth"], &key);
    let ca = s(&d.join("ca"));
    let crt = run_ok("k8s-sign", &["-CA", &format!("{ca}.crt"), "-CAkey", &format!("{ca}.key"), "-days", "30"], &csr);
    let res = tool("k8s-verify").args(["--ca", &ca, "--usage", "sslclient"]).write_stdin(crt).output().expect("runs");
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stdout));
    // A node name Kubernetes would refuse is refused, with the reason.
    let res = tool("k8s-csr")
        .args(["--profile", "kubelet", "--node-name", "Node_1"])
        .write_stdin(key)
        .output()
        .expect("runs");
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("no node could register as system:node:Node_1"));
    // A CSR that requests no usages: the refusal names the command with the flag it needs.
    let bare = run_ok("k8s-csr", &["--subj", "/CN=u"], &run_ok("k8s-genkey", &[], b""));
    std::fs::write(d.join("u.csr"), &bare).expect("write");
    let res =
        tool("k8s-sign").args(["--ca", &ca, "--days", "30", "--in", &s(&d.join("u.csr"))]).output().expect("runs");
    assert_eq!(res.status.code(), Some(4));
    let expected = format!("k8s-sign --ca {ca} --days 30 --in {} --usage client", s(&d.join("u.csr")));
    assert!(String::from_utf8_lossy(&res.stderr).contains(&expected), "{}", String::from_utf8_lossy(&res.stderr));
}

#[test]
fn conflicting_inputs_and_outputs_are_clap_usage_errors_naming_both() {
    let cases: [(&[&str], &str); 3] = [
        (&["--beside"], "the following required arguments were not provided: <CSR>"),
        (&["--beside", "-o", "x", "a.csr"], "'--beside' cannot be used with '--out <PREFIX>'"),
        (&["--in", "a.csr", "b.csr"], "'--in <FILE>' cannot be used with '[CSR]...'"),
    ];
    for (args, says) in cases {
        let out = tool("k8s-sign").args(["--ca", "pki/ca"]).args(args).output().expect("k8s-sign");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says) && err.lines().count() == 1, "{args:?}: {err}");
    }
}
