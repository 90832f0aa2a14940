//! How files are written when someone else controls the directory or runs at the same time:
//! planted FIFOs and links, keys headed for a terminal by another name, all files or none
//! (with `--force` too), concurrent writers of one prefix, and memory that stays flat for
//! blocks that only pass through.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::Command as StdCommand;
use std::time::Duration;

use predicates::str::contains;

use crate::hostile::on_terminal;
use crate::util::*;

fn mkfifo(path: &Path) {
    let ok = StdCommand::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(ok.success(), "mkfifo {}", path.display());
}

#[test]
fn a_planted_fifo_or_link_never_receives_a_key() {
    let dir = scratch();
    let d = dir.path();
    // A FIFO where the tool would put PREFIX.key: refused at once (it used to block, then
    // hand the key to whoever reads the FIFO).
    mkfifo(&d.join("victim.key"));
    tool("k8s-genkey")
        .args(["--out", &s(&d.join("victim"))])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(5)
        .stderr(contains("victim.key: is a FIFO, not a file (use --force to replace it)"));
    // A link to a FIFO elsewhere: refused as a link; with --force the link itself is replaced
    // by a 0600 file and the FIFO it pointed at is untouched.
    mkfifo(&d.join("listener"));
    std::os::unix::fs::symlink(d.join("listener"), d.join("other.key")).expect("symlink");
    tool("k8s-genkey")
        .args(["--out", &s(&d.join("other"))])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(5)
        .stderr(contains("other.key: is a symbolic link, not a file"));
    tool("k8s-genkey")
        .args(["--out", &s(&d.join("other")), "--force"])
        .timeout(Duration::from_secs(20))
        .assert()
        .success();
    let meta = std::fs::symlink_metadata(d.join("other.key")).expect("other.key");
    assert!(meta.is_file(), "the link was replaced by a file");
    assert!(std::fs::metadata(d.join("listener")).expect("listener").file_type().is_fifo(), "the FIFO is untouched");
    // A FIFO the user names explicitly is written in place, as a device is.
    mkfifo(&d.join("named.fifo"));
    let reader = StdCommand::new("cat").arg(d.join("named.fifo")).stdout(std::process::Stdio::piped()).spawn();
    let reader = reader.expect("cat");
    run_ok("k8s-genkey", &["--algo", "ecdsa", "--key-out", &s(&d.join("named.fifo"))], b"");
    let got = reader.wait_with_output().expect("cat output");
    assert_eq!(labels(&got.stdout), vec!["EC PRIVATE KEY"]);
}

#[test]
fn a_key_never_reaches_a_terminal_by_another_name() {
    for cmdline in ["k8s-genkey --algo ecdsa --key-out /dev/tty", "k8s-genkey --algo ecdsa --key-out /dev/stdout"] {
        let (code, text) = on_terminal(cmdline);
        assert_eq!(code, 4, "{cmdline}: {text}");
        assert!(text.contains("refusing to write a private key to a terminal (/dev/"), "{cmdline}: {text}");
        assert!(!text.contains("PRIVATE KEY-----"), "{cmdline}: {text}");
    }
    let (code, text) = on_terminal("k8s-genkey --algo ecdsa --key-out /dev/tty --force");
    assert_eq!(code, 0, "--force allows it: {text}");
    assert!(text.contains("BEGIN EC PRIVATE KEY"), "{text}");
    // Any label ending in PRIVATE KEY is a key, also one k8s-sign only passes through.
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let csr = run_ok("k8s-csr", &["--cn", "u", "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    let mut stream =
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n".to_vec();
    stream.extend(blocks_of(&csr, "CERTIFICATE REQUEST").concat().as_bytes());
    std::fs::write(dir.path().join("in.pem"), stream).expect("write");
    let cmd = format!("k8s-sign --ca '{}' --in '{}'", s(&dir.path().join("ca")), s(&dir.path().join("in.pem")));
    let (code, text) = on_terminal(&cmd);
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("refusing to print a private key to a terminal") && !text.contains("b3BlbnNz"), "{text}");
}

/// A key and CSR on stdin for `k8s-sign`.
fn key_and_csr(cn: &str) -> Vec<u8> {
    run_ok("k8s-csr", &["--cn", cn, "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""))
}

#[test]
fn all_files_or_none_also_with_force() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let ca = s(&d.join("ca"));
    // A device that fails is written before any file gets its name: no part.crt.
    tool("k8s-sign")
        .args(["--ca", &ca, "--key-out", "/dev/full", "--cert-out", &s(&d.join("part.crt"))])
        .write_stdin(key_and_csr("u"))
        .assert()
        .code(5)
        .stderr(contains("/dev/full: no space left on device"));
    assert!(!d.join("part.crt").exists(), "nothing written when the device failed");
    // A forced renewal whose certificate cannot take its name leaves the old key in place.
    run_ok("k8s-sign", &["--ca", &ca, "--out", &s(&d.join("srv"))], &key_and_csr("srv"));
    let old_key = read(d.join("srv.key"));
    std::fs::remove_file(d.join("srv.crt")).expect("rm");
    std::fs::create_dir_all(d.join("srv.crt/busy")).expect("a directory where srv.crt was");
    tool("k8s-sign")
        .args(["--ca", &ca, "--out", &s(&d.join("srv")), "--force"])
        .write_stdin(key_and_csr("srv"))
        .assert()
        .code(5)
        .stderr(contains("srv.crt"));
    assert_eq!(read(d.join("srv.key")), old_key, "the old key is still beside what was there");
    let temps: Vec<String> = std::fs::read_dir(d)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "no temp copies left: {temps:?}");
    assert!(!names_in(d).iter().any(|n| n.contains(".bak-")), "a refused --force keeps no backup: {:?}", names_in(d));
}

fn names_in(d: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(d).expect("dir").flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// `--force` on every tool that writes files the user names: the old file is kept as
/// FILE.bak-STAMP with its bytes and mode, stderr says so (and that a kept key should go), a
/// second replacement within the second gets its own name, and without --force nothing moves.
#[test]
fn force_keeps_what_it_replaced_and_says_so() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let ca = s(&d.join("ca"));
    let csr = key_and_csr("u");
    // (tool, arguments, stdin, the files it writes)
    type Case<'a> = (&'a str, Vec<String>, Vec<u8>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        ("k8s-genkey", vec!["--algo".into(), "ecdsa".into(), "--out".into(), s(&d.join("g"))], vec![], vec!["g.key"]),
        (
            "k8s-csr",
            vec!["--cn".into(), "c".into(), "--key".into(), s(&d.join("g.key")), "--out".into(), s(&d.join("c"))],
            vec![],
            vec!["c.csr"],
        ),
        ("k8s-sign", vec!["--ca".into(), ca.clone(), "--out".into(), s(&d.join("u"))], csr, vec!["u.key", "u.crt"]),
        (
            "k8s-kubeconfig",
            vec![
                "--ca-cert".into(),
                format!("{ca}.crt"),
                "--server".into(),
                "https://127.0.0.1:6443".into(),
                "--out".into(),
                s(&d.join("k.conf")),
            ],
            run_ok("k8s-sign", &["--ca", &ca], &key_and_csr("k")),
            vec!["k.conf"],
        ),
    ];
    for (name, args, stdin, files) in cases {
        tool(name).args(&args).write_stdin(stdin.clone()).assert().success();
        let first: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(d.join(f)).expect("written")).collect();
        tool(name).args(&args).write_stdin(stdin.clone()).assert().code(5).stderr(contains("file exists"));
        let before = names_in(d);
        let out = tool(name).args(&args).arg("--force").write_stdin(stdin.clone()).output().expect("runs");
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        for (file, old) in files.iter().zip(&first) {
            let path = s(&d.join(file));
            let line = err
                .lines()
                .find(|l| l.starts_with(&format!("{name}: replaced {path} ")))
                .unwrap_or_else(|| panic!("{name}: no line says {file} was replaced:\n{err}"));
            let backup =
                line.split("(the old file is ").nth(1).and_then(|r| r.split([';', ')']).next()).expect("named");
            assert!(backup.starts_with(&format!("{path}.bak-")), "{line}");
            assert_eq!(
                &std::fs::read(backup).expect("the backup is there"),
                old,
                "{name}: {backup} holds the old file"
            );
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &str| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode(backup), mode(&path), "{name}: {backup} keeps the mode");
            let secret = mode(&path) & 0o077 == 0;
            assert_eq!(line.contains("holds a private key"), secret, "{line}");
        }
        let added: Vec<String> = names_in(d).into_iter().filter(|n| !before.contains(n)).collect();
        assert_eq!(added.len(), files.len(), "{name}: one backup per file replaced, nothing else: {added:?}");
        // Again at once: the first backup stays, the second gets its own name.
        let out = tool(name).args(&args).arg("--force").write_stdin(stdin).output().expect("runs");
        assert!(out.status.success());
        let again: Vec<String> =
            names_in(d).into_iter().filter(|n| !before.contains(n) && !added.contains(n)).collect();
        assert_eq!(again.len(), files.len(), "{name}: {again:?}");
    }
}

#[test]
fn a_copy_left_by_a_killed_run_is_removed_by_the_next_one() {
    let dir = scratch();
    let d = dir.path();
    // What a run killed between naming its temp file and renaming it leaves behind.
    std::fs::write(d.join(".x.key.0123456789ab.tmp"), "-----BEGIN PRIVATE KEY-----\n").expect("write");
    std::fs::write(d.join(".x.key.notours.tmp"), "kept").expect("write");
    run_ok("k8s-genkey", &["--out", &s(&d.join("x")), "--force"], b"");
    assert!(!d.join(".x.key.0123456789ab.tmp").exists(), "the stale copy of a key is gone");
    assert!(d.join(".x.key.notours.tmp").exists(), "a file that is not ours is left alone");
}

#[test]
fn concurrent_writers_of_one_prefix_leave_a_matching_key_and_certificate() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let bins = bin_dir();
    let pipeline = format!(
        "'{g}' --algo ecdsa | '{c}' --cn x --usage client | '{s}' --ca '{ca}' --out '{out}' --force",
        g = bins.join("k8s-genkey").display(),
        c = bins.join("k8s-csr").display(),
        s = bins.join("k8s-sign").display(),
        ca = s(&d.join("ca")),
        out = s(&d.join("x"))
    );
    for round in 0..30 {
        let a = StdCommand::new("bash").arg("-c").arg(&pipeline).spawn().expect("bash");
        let b = StdCommand::new("bash").arg("-c").arg(&pipeline).spawn().expect("bash");
        for mut child in [a, b] {
            assert!(child.wait().expect("wait").success(), "round {round}");
        }
        let from_key = openssl_ok(d, &["pkey", "-in", "x.key", "-pubout"]);
        let from_cert = openssl_ok(d, &["x509", "-in", "x.crt", "-noout", "-pubkey"]);
        assert_eq!(from_key, from_cert, "round {round}: x.key and x.crt come from different runs");
    }
}

#[test]
fn blocks_that_pass_through_k8s_sign_stream_in_flat_memory() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    // 64 MB of certificates, then one CSR: the certificates go out as they come.
    let cert = read(d.join("ca.crt"));
    let mut big = cert.repeat(64 * 1024 * 1024 / cert.len());
    big.push_str(&String::from_utf8_lossy(&run_ok(
        "k8s-csr",
        &["--cn", "u", "--usage", "client"],
        &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""),
    )));
    std::fs::write(d.join("big.pem"), big).expect("write");
    let cost = cost_of("k8s-sign", &["--ca", &s(&d.join("ca")), "--in", &s(&d.join("big.pem"))]);
    assert_eq!(cost.code, 0, "{}", cost.stderr);
    let rss_kib = cost.rss_kib;
    assert!(rss_kib < 32 * 1024, "max RSS {rss_kib} KiB for 64 MB of blocks passing through");
}

/// A run refused because `in_the_way` exists: exit 5 naming it, nothing on stdout, the file as
/// it was.
fn refused_with_nothing_printed(what: &str, out: &std::process::Output, in_the_way: &Path) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{what}: {err}");
    assert!(err.contains(&format!("{}: file exists (use --force to overwrite)", in_the_way.display())), "{err}");
    assert!(out.stdout.is_empty(), "{what} printed {} bytes", out.stdout.len());
    assert_eq!(read(in_the_way), "someone else's");
}

#[test]
fn a_file_in_the_way_fails_the_run_before_anything_reaches_stdout() {
    // The data a pipe would act on (a key, a CSR, a CertificateSigningRequest object to apply)
    // is printed only once the files that go with it are written.
    let d = scratch();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    // (tool, flags, whether it reads the key on stdin, the output flag's value, the file it
    // writes that is in the way)
    let cases: [(&str, &[&str], bool, &str, &str); 3] = [
        ("k8s-genkey", &["--algo", "ecdsa", "--public", "--pub-out"], false, "k.pub", "k.pub"),
        ("k8s-csr", &["--cn", "x", "--csr-out"], true, "x.csr", "x.csr"),
        ("k8s-csr", &["--cn", "alice", "--manifest", "--out"], true, "alice", "alice.key"),
    ];
    for (bin, args, reads_key, out_arg, name) in cases {
        let stdin = if reads_key { key.clone() } else { Vec::new() };
        let in_the_way = d.path().join(name);
        std::fs::write(&in_the_way, "someone else's").expect("write");
        let out = tool(bin).args(args).arg(d.path().join(out_arg)).write_stdin(stdin).output().expect("runs");
        refused_with_nothing_printed(&format!("{bin} {args:?}"), &out, &in_the_way);
    }
    // The controller's part: the signed object is printed only once --cert-out is written.
    let signer = ["--signer", "kubernetes.io/kube-apiserver-client"];
    let bob = s(&d.path().join("bob"));
    let object = run_ok("k8s-csr", &[&["--cn", "bob", "--manifest", "--out", &bob][..], &signer].concat(), &key);
    let crt = d.path().join("bob.crt");
    std::fs::write(&crt, "someone else's").expect("write");
    let out = tool("k8s-sign")
        .args(signer)
        .args(["--ca", &s(&demo_pki().join("pki/ca")), "--cert-out", &s(&crt)])
        .write_stdin(object)
        .output()
        .expect("runs");
    refused_with_nothing_printed("k8s-sign --signer", &out, &crt);
    // --beside: what passes through (here a certificate after the CSR) is printed only once
    // the certificate beside the CSR is written.
    let csr = d.path().join("carol.csr");
    let stream = String::from_utf8(run_ok("k8s-csr", &["--cn", "carol", "--usage", "client"], &key)).expect("utf-8");
    let at = stream.find("-----BEGIN CERTIFICATE REQUEST-----").expect("a CSR");
    let text = format!("{}{}", &stream[at..], read(demo_pki().join("pki/ca.crt")));
    std::fs::write(&csr, text).expect("write");
    let crt = d.path().join("carol.crt");
    std::fs::write(&crt, "someone else's").expect("write");
    let out =
        tool("k8s-sign").args(["--ca", &s(&demo_pki().join("pki/ca")), "--beside", &s(&csr)]).output().expect("runs");
    refused_with_nothing_printed("k8s-sign --beside", &out, &crt);
    // Out of the way, the run writes carol.crt and prints what passed through.
    std::fs::remove_file(&crt).expect("rm");
    let out =
        tool("k8s-sign").args(["--ca", &s(&demo_pki().join("pki/ca")), "--beside", &s(&csr)]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), read(demo_pki().join("pki/ca.crt")));
    assert!(read(&crt).starts_with("-----BEGIN CERTIFICATE-----"));
}

#[test]
fn a_file_in_the_way_makes_no_directory_for_the_other_files() {
    // The key goes into a directory still to be made, the public key onto a file that exists:
    // refused before the directory is made.
    let d = scratch();
    let taken = d.path().join("taken.pub");
    std::fs::write(&taken, "someone else's").expect("write");
    let out = tool("k8s-genkey")
        .args(["--algo", "ecdsa", "--public", "--out", &s(&d.path().join("new/dir/k")), "--pub-out", &s(&taken)])
        .output()
        .expect("runs");
    refused_with_nothing_printed("k8s-genkey --public --out new/dir/k --pub-out taken.pub", &out, &taken);
    assert!(!d.path().join("new").exists(), "new/ was made for a run that was refused");
}
