//! k8s-genkey: keys as kubeadm writes them, read by openssl.

use std::os::unix::fs::PermissionsExt;

use predicates::str::contains;

use crate::util::*;

#[test]
fn default_is_rsa_2048_pkcs1_and_openssl_accepts_it() {
    let dir = scratch();
    let key = run_ok("k8s-genkey", &[], b"");
    assert_eq!(labels(&key), vec!["RSA PRIVATE KEY"]);
    std::fs::write(dir.path().join("k.key"), &key).expect("write");
    let text = openssl_ok(dir.path(), &["rsa", "-in", "k.key", "-check", "-noout", "-text"]);
    assert!(text.contains("Private-Key: (2048 bit"), "{text}");
    assert!(text.contains("RSA key ok"), "{text}");
}

#[test]
fn every_algorithm_generates_what_it_says() {
    let dir = scratch();
    for (algo, label, want) in [
        ("rsa3072", "RSA PRIVATE KEY", "3072 bit"),
        ("rsa4096", "RSA PRIVATE KEY", "4096 bit"),
        ("ecdsa", "EC PRIVATE KEY", "prime256v1"),
        ("ecdsa-p384", "EC PRIVATE KEY", "secp384r1"),
    ] {
        let key = run_ok("k8s-genkey", &["--algo", algo], b"");
        assert_eq!(labels(&key), vec![label], "{algo}");
        std::fs::write(dir.path().join("k.key"), &key).expect("write");
        let text = openssl_ok(dir.path(), &["pkey", "-in", "k.key", "-check", "-noout", "-text"]);
        assert!(text.contains(want), "{algo}: {text}");
    }
}

#[test]
fn bits_select_the_size_and_small_rsa_is_refused() {
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa", "--bits", "384"], b"");
    let dir = scratch();
    std::fs::write(dir.path().join("k.key"), &key).expect("write");
    assert!(openssl_ok(dir.path(), &["pkey", "-in", "k.key", "-noout", "-text"]).contains("secp384r1"));
    tool("k8s-genkey").args(["--bits", "1024"]).assert().code(4).stderr(contains("2048"));
    tool("k8s-genkey").args(["--algo", "ecdsa", "--bits", "521"]).assert().code(2);
}

#[test]
fn pkcs8_on_request() {
    let key = run_ok("k8s-genkey", &["--key-format", "pkcs8"], b"");
    assert_eq!(labels(&key), vec!["PRIVATE KEY"]);
}

#[test]
fn service_account_pair_matches() {
    let dir = scratch();
    tool("k8s-genkey").args(["--public", "--out"]).arg(dir.path().join("pki/sa")).assert().success();
    let pub_from_key = openssl_ok(dir.path(), &["pkey", "-in", "pki/sa.key", "-pubout"]);
    assert_eq!(pub_from_key, read(dir.path().join("pki/sa.pub")));
    let derived =
        run_ok("k8s-genkey", &["--in", dir.path().join("pki/sa.key").to_str().expect("utf8"), "--public"], b"");
    assert_eq!(String::from_utf8_lossy(&derived), pub_from_key);
}

#[test]
fn key_files_are_0600_whatever_the_umask() {
    let dir = scratch();
    let out = dir.path().join("k");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask 000 && '{}' --out '{}'", bin_dir().join("k8s-genkey").display(), out.display()))
        .status()
        .expect("sh");
    assert!(status.success());
    let mode = std::fs::metadata(dir.path().join("k.key")).expect("key").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn converts_keys_from_openssl() {
    let dir = scratch();
    openssl_ok(dir.path(), &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "p8.key"]);
    let key = run_ok("k8s-genkey", &["--in", dir.path().join("p8.key").to_str().expect("utf8")], b"");
    assert_eq!(labels(&key), vec!["RSA PRIVATE KEY"]);
    std::fs::write(dir.path().join("p1.key"), &key).expect("write");
    let a = openssl_ok(dir.path(), &["pkey", "-in", "p8.key", "-pubout"]);
    let b = openssl_ok(dir.path(), &["pkey", "-in", "p1.key", "-pubout"]);
    assert_eq!(a, b);
}

#[test]
fn many_keys_at_once() {
    let keys = run_ok("k8s-genkey", &["--count", "4", "--algo", "ecdsa"], b"");
    let blocks = blocks_of(&keys, "EC PRIVATE KEY");
    assert_eq!(blocks.len(), 4);
    let mut unique = blocks.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4);
}

#[test]
fn json_output_uses_cfssl_field_names() {
    let out = run_ok("k8s-genkey", &["--format", "json", "--algo", "ecdsa", "--public"], b"");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert!(v["key"].as_str().is_some_and(|k| k.starts_with("-----BEGIN EC PRIVATE KEY")));
    assert!(v["public_key"].as_str().is_some_and(|k| k.starts_with("-----BEGIN PUBLIC KEY")));
}
