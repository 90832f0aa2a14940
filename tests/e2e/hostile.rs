//! Hostile and broken input beyond the basics in bad_input.rs: terminals, encrypted and weak
//! keys, critical extensions, 100 MB inputs, a full disk, a write killed midway (keys kept secret:
//! secrets.rs).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command as StdCommand;

use predicates::str::contains;

use crate::util::*;

/// Runs a command line under a pseudo-terminal (util-linux `script`), as a user at a shell.
pub(crate) fn on_terminal(cmdline: &str) -> (i32, String) {
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let out = require("script", "bsdutils")
        .args(["-qefc", cmdline, "/dev/null"])
        .env("PATH", path)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_private_key_is_never_printed_to_a_terminal() {
    let (code, text) = on_terminal("k8s-genkey --algo ecdsa");
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("refusing to print a private key to a terminal") && !text.contains("BEGIN"), "{text}");
    let (code, text) = on_terminal("k8s-genkey --algo ecdsa --force");
    assert_eq!(code, 0);
    assert!(text.contains("BEGIN EC PRIVATE KEY"), "--force allows it: {text}");
    let (code, text) = on_terminal("k8s-genkey --algo ecdsa | k8s-csr --cn x");
    assert_eq!(code, 4, "{text}");
    assert!(!text.contains("PRIVATE KEY-----"), "{text}");
}

#[test]
fn stdin_on_a_terminal_says_what_is_expected_instead_of_waiting() {
    let (code, text) = on_terminal("k8s-csr --cn x < /dev/tty");
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("expected a private key") && text.contains("stdin is a terminal"), "{text}");
    let (code, text) = on_terminal("k8s-sign --self-sign < /dev/tty");
    assert_eq!(code, 2, "{text}");
}

#[test]
fn weak_rsa_keys_are_refused() {
    let dir = scratch();
    openssl_ok(dir.path(), &["genrsa", "-out", "weak.key", "1024"]);
    tool("k8s-csr")
        .args(["--key", &s(&dir.path().join("weak.key")), "--cn", "x"])
        .assert()
        .code(4)
        .stderr(contains("an RSA key of 1024 bits; keys of 2048 to 8192 bits are supported"));
    // A CSR made with such a key names the same rule (not "altered").
    let csr = openssl_ok(dir.path(), &["req", "-new", "-key", "weak.key", "-subj", "/CN=x"]);
    make_ca(dir.path(), "ca", "kubernetes");
    tool("k8s-sign")
        .args(["--ca", &s(&dir.path().join("ca")), "--usage", "client"])
        .write_stdin(csr)
        .assert()
        .code(4)
        .stderr(contains("an RSA key of 1024 bits; keys of 2048 to 8192 bits are supported"));
}

#[test]
fn a_csr_with_an_unknown_critical_extension_is_refused() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    openssl_ok(
        dir.path(),
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.key",
            "-subj",
            "/CN=x",
            "-addext",
            "1.2.3.4=critical,ASN1:UTF8String:surprise",
            "-out",
            "x.csr",
        ],
    );
    tool("k8s-sign")
        .args(["--ca", &s(&dir.path().join("ca")), "--usage", "client", "--in", &s(&dir.path().join("x.csr"))])
        .assert()
        .code(4)
        .stdout("")
        .stderr(contains("unknown critical extension 1.2.3.4"));
    // A non-critical one is dropped, with a warning: we never copy what we do not understand.
    openssl_ok(
        dir.path(),
        &[
            "req",
            "-new",
            "-key",
            "k.key",
            "-subj",
            "/CN=x",
            "-addext",
            "1.2.3.4=ASN1:UTF8String:surprise",
            "-out",
            "y.csr",
        ],
    );
    let out = tool("k8s-sign")
        .args(["--ca", &s(&dir.path().join("ca")), "--usage", "client", "--in", &s(&dir.path().join("y.csr"))])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not copied from the CSR: 1.2.3.4"));
    std::fs::write(dir.path().join("y.crt"), &out.stdout).expect("write");
    let text = openssl_ok(dir.path(), &["x509", "-in", "y.crt", "-noout", "-text"]);
    assert!(!text.contains("1.2.3.4") && !text.contains("surprise"), "{text}");
}

#[test]
fn a_100_mb_input_is_refused_with_bounded_memory() {
    let dir = scratch();
    let big = dir.path().join("big");
    // One 100 MB line: refused at 4 MiB.
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(0).expect("len");
    std::fs::write(&big, vec![b'A'; 100 * 1024 * 1024]).expect("write");
    tool("k8s-csr").args(["--cn", "x", "--in", &s(&big)]).assert().code(3).stderr(contains("longer than 4 MiB"));
    // 100 MB of short lines that are not PEM: streamed through in bounded memory, then refused.
    let lines = "this is not pem\n".repeat(100 * 1024 * 1024 / 16);
    std::fs::write(&big, lines).expect("write");
    let cost = cost_of("k8s-csr", &["--cn", "x", "--in", &s(&big)]);
    assert_eq!(cost.code, 3, "{}", cost.stderr);
    let rss_kib = cost.rss_kib;
    assert!(rss_kib < 64 * 1024, "max RSS {rss_kib} KiB for a 100 MB input");
    // 100 MB of JSON: refused past 64 MiB.
    let json = format!("{{\"key\": \"{}\"}}", "A".repeat(100 * 1024 * 1024));
    std::fs::write(&big, json).expect("write");
    tool("k8s-sign").args(["--self-sign", "--in", &s(&big)]).assert().code(3).stderr(contains("64 MiB"));
}

#[test]
fn a_full_disk_is_an_io_error_and_the_old_file_survives() {
    let full = StdCommand::new(bin_dir().join("k8s-genkey"))
        .args(["--algo", "ecdsa", "--force"])
        .stdout(std::fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runs");
    assert_eq!(full.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&full.stderr).contains("stdout: no space left on device"));
    // A tiny tmpfs, filled up: writing a key fails cleanly, leaves nothing, keeps the old file.
    let dir = scratch();
    let mnt = dir.path().join("tiny");
    std::fs::create_dir(&mnt).expect("mkdir");
    let mounted =
        StdCommand::new("mount").args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"]).arg(&mnt).status().expect("mount");
    assert!(mounted.success(), "mounting a tmpfs needs root (CI runs as root)");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = StdCommand::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&mnt);
    run_ok("k8s-genkey", &["--out", &s(&mnt.join("old"))], b"");
    let old = read(mnt.join("old.key"));
    let _ = StdCommand::new("dd")
        .args(["if=/dev/zero", "bs=1k", "count=200"])
        .arg(format!("of={}", s(&mnt.join("filler"))))
        .stderr(std::process::Stdio::null())
        .status();
    tool("k8s-genkey")
        .args(["--algo", "rsa4096", "--out", &s(&mnt.join("new"))])
        .assert()
        .code(5)
        .stderr(contains("no space left"));
    assert!(!mnt.join("new.key").exists());
    tool("k8s-genkey").args(["--algo", "rsa4096", "--out", &s(&mnt.join("old")), "--force"]).assert().code(5);
    assert_eq!(read(mnt.join("old.key")), old, "the old key survives a failed --force write");
    let names: Vec<String> =
        std::fs::read_dir(&mnt).expect("dir").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, vec!["filler", "old.key"], "no temp files left");
}

#[test]
fn a_write_killed_midway_leaves_no_partial_file() {
    // RLIMIT_FSIZE of 1 KiB: the kernel kills the process (SIGXFSZ) in the middle of writing
    // a 3 KiB RSA-4096 key. The key was being written as an unnamed inode: nothing is left.
    let dir = scratch();
    let out = s(&dir.path().join("k"));
    let cmd = format!("ulimit -f 1; exec '{}' --algo rsa4096 --out '{out}'", bin_dir().join("k8s-genkey").display());
    let out = StdCommand::new("bash").arg("-c").arg(cmd).output().expect("bash");
    // Cut short by the limit, not by anything else: killed by SIGXFSZ (25 on Linux), or, where
    // the signal is ignored, the write's "file too large" reported as an I/O error (exit 5).
    use std::os::unix::process::ExitStatusExt;
    let err = String::from_utf8_lossy(&out.stderr);
    let by_signal = out.status.signal() == Some(25);
    let by_error = out.status.code() == Some(5) && err.contains("too large");
    assert!(by_signal || by_error, "expected SIGXFSZ or a size error, got {:?}: {err}", out.status);
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "nothing half-written: {left:?}");
}

#[test]
fn writing_to_a_device_never_replaces_it() {
    use std::os::unix::fs::FileTypeExt;
    // Scripts throw output away with --key-out /dev/null: that must write to the device, not
    // rename a file over it.
    run_ok("k8s-genkey", &["--algo", "ecdsa", "--key-out", "/dev/null"], b"");
    run_ok("k8s-genkey", &["--algo", "ecdsa", "--key-out", "/dev/null", "--force"], b"");
    let csr = run_ok(
        "k8s-csr",
        &["--cn", "x", "--key-out", "/dev/null", "--force"],
        &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""),
    );
    assert_eq!(labels(&csr), vec!["CERTIFICATE REQUEST"]);
    assert!(std::fs::metadata("/dev/null").expect("meta").file_type().is_char_device(), "/dev/null is still a device");
    let stat = std::fs::metadata("/dev/null").expect("meta").permissions().mode() & 0o777;
    assert_eq!(stat, 0o666, "and its mode is untouched");
}

#[test]
fn the_signer_refuses_the_sans_k8s_csr_would_refuse() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    openssl_ok(dir.path(), &["genrsa", "-out", "k.key", "2048"]);
    for (san, why) in [
        ("DNS:*", "DNS names may contain only"),
        ("DNS:*.*.com", "DNS names may contain only"),
        ("DNS:a b", "DNS names may contain only"),
        ("DNS:10.0.0.1", "an IP address written as a DNS name"),
    ] {
        let csr = openssl_ok(
            dir.path(),
            &["req", "-new", "-key", "k.key", "-subj", "/CN=x", "-addext", &format!("subjectAltName={san}")],
        );
        tool("k8s-sign")
            .args(["--ca", &s(&dir.path().join("ca")), "--usage", "server"])
            .write_stdin(csr)
            .assert()
            .code(4)
            .stderr(contains("the CSR asks for an invalid SAN"))
            .stderr(contains(why));
    }
}

#[test]
fn dates_before_1970_are_refused_not_moved() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let csr = run_ok(
        "k8s-csr",
        &["--cn", "x", "--usage", "client", "--key-out", "/dev/null"],
        &run_ok("k8s-genkey", &[], b""),
    );
    tool("k8s-sign")
        .args(["--ca", &s(&dir.path().join("ca")), "--not-before", "1950-01-01"])
        .write_stdin(csr)
        .assert()
        .code(2)
        .stderr(contains("dates before 1970 are not supported"));
}

#[test]
fn a_csr_object_whose_status_is_not_an_object_is_bad_input() {
    let dir = scratch();
    let object = client_csr_object(dir.path());
    for status in ["\"x\"", "5", "[1, 2]"] {
        sign_object(dir.path(), format!("{object}status: {status}\n"))
            .code(3)
            .stderr(contains("status is not an object"));
    }
}

/// A CA in `dir` and the CertificateSigningRequest object of a client CSR for it.
pub(crate) fn client_csr_object(dir: &Path) -> String {
    make_ca(dir, "ca", "kubernetes");
    let args = ["--signer", "kubernetes.io/kube-apiserver-client", "--cn", "alice", "--usage", "client", "--manifest"];
    let prefix = s(&dir.join("alice"));
    let mut all = args.to_vec();
    all.extend(["--out", &prefix]);
    String::from_utf8_lossy(&run_ok("k8s-csr", &all, &run_ok("k8s-genkey", &[], b""))).into_owned()
}

/// `k8s-sign --signer` on a CSR object with the CA in `dir`.
pub(crate) fn sign_object(dir: &Path, yaml: String) -> assert_cmd::assert::Assert {
    tool("k8s-sign")
        .args(["--signer", "kubernetes.io/kube-apiserver-client", "--ca", &s(&dir.join("ca"))])
        .write_stdin(yaml)
        .assert()
}

#[test]
fn a_certificate_whose_not_before_is_after_its_not_after_is_reported_not_a_panic() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    openssl_ok(
        dir.path(),
        &["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "inv.key", "-subj", "/CN=inv", "-out", "inv.csr"],
    );
    // -days -1: notAfter a day before notBefore.
    openssl_ok(
        dir.path(),
        &[
            "x509",
            "-req",
            "-in",
            "inv.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "-1",
            "-out",
            "inv.crt",
        ],
    );
    tool("k8s-verify")
        .current_dir(dir.path())
        .args(["--ca-cert", "ca.crt", "inv.crt"])
        .assert()
        .code(1)
        .stdout(contains("x509: certificate has expired or is not yet valid"));
    tool("k8s-verify").current_dir(dir.path()).arg("inv.crt").assert().success();
}

#[test]
fn csr_objects_are_validated_as_the_api_server_does() {
    let dir = scratch();
    let text = client_csr_object(dir.path());
    for (secs, want) in [
        (
            "599",
            "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)",
        ),
        (
            "-1",
            "spec.expirationSeconds: Invalid value: -1: may not specify a duration less than 600 seconds (10 minutes)",
        ),
        ("\"1h\"", "spec.expirationSeconds is not an integer"),
    ] {
        let yaml = text.replacen("spec:\n", &format!("spec:\n  expirationSeconds: {secs}\n"), 1);
        assert!(yaml.contains("expirationSeconds"), "{yaml}");
        sign_object(dir.path(), yaml).code(3).stderr(contains(want));
    }
}
