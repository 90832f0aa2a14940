//! Bad input: every case a one-line error with its documented exit code, never a panic,
//! never a partial file. One test per row of the catalogue.

use predicates::prelude::*;
use predicates::str::contains;

use crate::util::*;

/// Asserts the one-line error format and no panic.
fn fails(tool_name: &str, args: &[&str], stdin: &[u8], code: i32, message: &str) {
    let out = tool(tool_name).args(args).write_stdin(stdin.to_vec()).output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{tool_name} {args:?}: {stderr}");
    assert!(stderr.contains(message), "{tool_name} {args:?}: expected '{message}' in: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
    if code != 2 {
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with(&format!("{tool_name}: error: ")), "{stderr}");
    }
    assert!(out.stdout.is_empty() || code == 2, "nothing on stdout on error");
}

fn key() -> Vec<u8> {
    run_ok("k8s-genkey", &["--algo", "ecdsa"], b"")
}

#[test]
fn empty_stdin() {
    fails("k8s-csr", &["--cn", "x"], b"", 3, "empty input");
    fails("k8s-sign", &["--self-sign"], b"", 3, "empty input");
    // --key beside --from-cert is the old key: the hint says --reuse-key, not "use --key".
    let dir = scratch();
    make_ca(dir.path(), "ca", "x");
    let (crt, key) = (s(&dir.path().join("ca.crt")), s(&dir.path().join("ca.key")));
    fails(
        "k8s-csr",
        &["--from-cert", &crt, "--key", &key],
        b"",
        3,
        "or add --reuse-key to keep the old key --key names",
    );
}

#[test]
fn text_garbage() {
    fails("k8s-csr", &["--cn", "x"], b"hello world\n", 3, "no PEM data");
}

#[test]
fn binary_garbage() {
    fails("k8s-csr", &["--cn", "x"], &[0xde, 0xad, 0xbe, 0xef, 0xff, 0x00, b'\n'], 3, "binary");
}

#[test]
fn truncated_pem() {
    let k = key();
    fails("k8s-csr", &["--cn", "x"], &k[..k.len() / 2], 3, "truncated");
}

#[test]
fn bad_base64() {
    fails(
        "k8s-csr",
        &["--cn", "x"],
        b"-----BEGIN EC PRIVATE KEY-----\n!!!!\n-----END EC PRIVATE KEY-----\n",
        3,
        "base64",
    );
}

#[test]
fn der_instead_of_pem() {
    let dir = scratch();
    std::fs::write(dir.path().join("k.pem"), key()).expect("write");
    openssl_ok(dir.path(), &["pkey", "-in", "k.pem", "-outform", "der", "-out", "k.der"]);
    let der = std::fs::read(dir.path().join("k.der")).expect("der");
    fails("k8s-csr", &["--cn", "x"], &der, 3, "DER");
}

#[test]
fn encrypted_key() {
    let dir = scratch();
    openssl_ok(dir.path(), &["genrsa", "-aes256", "-passout", "pass:x", "-out", "enc.key", "2048"]);
    let enc = std::fs::read(dir.path().join("enc.key")).expect("key");
    fails("k8s-csr", &["--cn", "x"], &enc, 3, "encrypted");
    openssl_ok(dir.path(), &["genrsa", "-traditional", "-aes256", "-passout", "pass:x", "-out", "enc1.key", "2048"]);
    let enc = std::fs::read(dir.path().join("enc1.key")).expect("key");
    fails("k8s-csr", &["--cn", "x"], &enc, 3, "encrypted");
}

#[test]
fn wrong_block_types() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let cert = std::fs::read(dir.path().join("ca.crt")).expect("cert");
    let csr_only = blocks_of(&run_ok("k8s-csr", &["--cn", "x"], &key()), "CERTIFICATE REQUEST")[0].clone();
    fails("k8s-csr", &["--cn", "x"], &cert, 3, "no private key");
    fails("k8s-sign", &["--self-sign"], &cert, 3, "no CERTIFICATE REQUEST");
    fails("k8s-sign", &["--self-sign"], &key(), 3, "no CERTIFICATE REQUEST");
    let ca_crt = dir.path().join("ca.crt");
    let ca_key = dir.path().join("ca.key");
    fails(
        "k8s-sign",
        &["--ca-cert", ca_key.to_str().expect("utf8"), "--ca-key", ca_key.to_str().expect("utf8")],
        csr_only.as_bytes(),
        3,
        "expected a CERTIFICATE",
    );
    fails(
        "k8s-sign",
        &["--ca-cert", ca_crt.to_str().expect("utf8"), "--ca-key", ca_crt.to_str().expect("utf8")],
        csr_only.as_bytes(),
        3,
        "expected a private key",
    );
    // The self-signing key must be the CSR's own.
    let mut mixed = key();
    mixed.extend(csr_only.as_bytes());
    fails("k8s-sign", &["--self-sign"], &mixed, 4, "not made with the key");
}

#[test]
fn two_keys_where_one_is_expected() {
    let dir = scratch();
    let mut two = key();
    two.extend(key());
    std::fs::write(dir.path().join("two.key"), &two).expect("write");
    fails(
        "k8s-csr",
        &["--cn", "x", "--key", dir.path().join("two.key").to_str().expect("utf8")],
        b"",
        3,
        "two private keys",
    );
}

#[test]
fn bad_sans_and_addresses() {
    for san in ["300.1.1.1", "", "a b", "1.2.3"] {
        fails("k8s-csr", &["--cn", "x", "--san", san], &key(), 2, "invalid SAN");
    }
    tool("k8s-csr")
        .args(["--profile", "apiserver", "--node-name", "n", "--advertise-address", "300.1.1.1"])
        .write_stdin(key())
        .assert()
        .code(2);
    fails(
        "k8s-csr",
        &[
            "--profile",
            "apiserver",
            "--node-name",
            "n",
            "--advertise-address",
            "10.0.0.1",
            "--service-cidr",
            "10.96.0.0/40",
        ],
        &key(),
        2,
        "service CIDR",
    );
}

#[test]
fn missing_files() {
    fails("k8s-csr", &["--cn", "x", "--key", "/nonexistent/k.key"], b"", 5, "no such file");
    fails("k8s-sign", &["--ca", "/nonexistent/ca"], b"", 5, "no such file");
}

#[test]
fn unwritable_output() {
    let dir = scratch();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").expect("write");
    // A path below a regular file cannot be created.
    let out = blocker.join("k");
    // The file in the way is named, and --force (which cannot help) is not suggested.
    let blocked = format!("{}: not a directory: nothing can be written below it", blocker.display());
    fails("k8s-genkey", &["--algo", "ecdsa", "--out", out.to_str().expect("utf8")], b"", 5, &blocked);
    let dev = "/dev/full: not a directory: nothing can be written below it";
    fails("k8s-genkey", &["--algo", "ecdsa", "--key-out", "/dev/full/x.key"], b"", 5, dev);
    // A directory that cannot be written: the directory and the reason.
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).expect("mkdir");
    assert!(std::process::Command::new("chattr").arg("+i").arg(&ro).status().expect("chattr").success());
    let key = s(&ro.join("sub/k.key"));
    let res = tool("k8s-genkey").args(["--algo", "ecdsa", "--key-out", &key]).output().expect("runs");
    assert!(std::process::Command::new("chattr").arg("-i").arg(&ro).status().expect("chattr").success());
    assert_eq!(res.status.code(), Some(5));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(err.contains("ro/sub: operation not permitted") || err.contains("ro/sub: permission denied"), "{err}");
}

#[test]
fn nothing_half_written_when_one_file_exists() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let csr = run_ok("k8s-csr", &["--cn", "x", "--usage", "client"], &key());
    std::fs::write(dir.path().join("leaf.crt"), "old").expect("write");
    let ca = dir.path().join("ca");
    let out = dir.path().join("leaf");
    fails("k8s-sign", &["--ca", ca.to_str().expect("utf8"), "--out", out.to_str().expect("utf8")], &csr, 5, "exists");
    assert!(!dir.path().join("leaf.key").exists(), "no key written when the cert could not be");
    assert_eq!(read(dir.path().join("leaf.crt")), "old");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn closed_stdout_is_a_quiet_success() {
    let cmd = format!(
        "set -o pipefail; '{}' --count 400 --algo ecdsa | head -c1 > /dev/null",
        bin_dir().join("k8s-genkey").display()
    );
    let out = std::process::Command::new("bash").arg("-c").arg(cmd).output().expect("bash");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn usage_errors_exit_2() {
    tool("k8s-sign").write_stdin("").assert().code(2).stderr(contains("--ca-cert"));
    tool("k8s-genkey").arg("--algo").arg("dsa").assert().code(2);
    tool("k8s-sign").args(["--self-sign", "--ca", "x"]).assert().code(2);
    tool("k8s-csr").arg("--bogus").assert().code(2).stderr(contains("--bogus").and(contains("panicked").not()));
}

#[test]
fn a_flag_k8s_genkey_would_ignore_is_a_usage_error() {
    // Each names a file never written, or a key that is not generated: exit 2, nothing written
    // or printed.
    let d = scratch();
    let key = d.path().join("k.key");
    std::fs::write(&key, run_ok("k8s-genkey", &["--algo", "ecdsa"], b"")).expect("write");
    let (k, f) = (s(&key), |name: &str| s(&d.path().join(name)));
    let cases: Vec<(Vec<String>, &str)> = vec![
        // The public key is emitted with --public only.
        (
            vec!["--algo".into(), "ecdsa".into(), "--pub-out".into(), f("a.pub")],
            "required arguments were not provided: --public",
        ),
        // With --in, --public emits only the public key.
        (
            vec!["--in".into(), k.clone(), "--public".into(), "--key-out".into(), f("b.key")],
            "--key-out has no key to write: with --in, --public emits only the public key",
        ),
        // Every file already has its own flag: the prefix names nothing.
        (
            vec!["--in".into(), k.clone(), "--public".into(), "--pub-out".into(), f("c.pub"), "--out".into(), f("c")],
            "--out has nothing to write: every file of this run is named by --key-out or --pub-out",
        ),
        (
            vec!["--algo".into(), "ecdsa".into(), "--key-out".into(), f("d.key"), "--bare".into(), f("d")],
            "--bare has nothing to write: every file of this run is named by --key-out or --pub-out",
        ),
        // An existing key is read, not generated: no algorithm, size or cfssl key object.
        (
            vec!["--in".into(), k.clone(), "--algo".into(), "rsa".into()],
            "'--in <FILE>' cannot be used with '--algo <ALGO>'",
        ),
        (
            vec!["--in".into(), k.clone(), "--bits".into(), "4096".into()],
            "'--in <FILE>' cannot be used with '--bits <N>'",
        ),
        (
            vec!["--in".into(), k.clone(), "--curve".into(), "p384".into()],
            "'--in <FILE>' cannot be used with '--curve <CURVE>'",
        ),
        (
            vec!["--in".into(), k.clone(), "--cfssl".into(), f("none.json")],
            "'--in <FILE>' cannot be used with '--cfssl <FILE>'",
        ),
        // A usage error is told before any file is read.
        (vec!["--cfssl".into(), f("none.json"), "--count".into(), "0".into()], "--count must be at least 1"),
    ];
    for (args, why) in cases {
        let out = tool("k8s-genkey").args(&args).output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(why) && out.stdout.is_empty(), "{args:?}: {err}");
    }
    let mut left: Vec<String> =
        std::fs::read_dir(d.path()).expect("ls").flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
    left.sort();
    assert_eq!(left, ["k.key"], "a refused run wrote a file");
    // The same flags, each with its file written, go through.
    let out = tool("k8s-genkey").args(["--in", &k, "--public", "--pub-out", &f("e.pub")]).output().expect("runs");
    assert!(out.status.success() && read(d.path().join("e.pub")).starts_with("-----BEGIN PUBLIC KEY-----"));
}
