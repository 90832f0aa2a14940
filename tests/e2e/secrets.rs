//! Keys are secrets: written 0600 under any umask, never in an error message, never in a core
//! dump of a process holding a CA key, and extracted credentials never to a terminal.

use std::os::unix::fs::PermissionsExt;
use std::process::Command as StdCommand;

use crate::hostile::on_terminal;
use crate::util::*;

#[test]
fn every_binary_writes_keys_0600_under_umask_000() {
    let dir = scratch();
    let bins = bin_dir();
    let b = |n: &str| bins.join(n).display().to_string();
    let d = s(dir.path());
    let script = format!(
        "set -e; umask 000; cd '{d}'
         '{g}' --out ca-seed && '{g}' | '{c}' --profile ca | '{s}' --self-sign --out ca
         '{g}' | '{c}' --cn u --usage client --out req
         '{s}' --ca ca --in req.csr --cert-out u.crt
         '{g}' | '{c}' --profile admin | '{s}' --ca ca --out admin
         '{k}' --ca-cert ca.crt --cert admin.crt --key admin.key --server https://h:6443 --out admin.conf",
        g = b("k8s-genkey"),
        c = b("k8s-csr"),
        s = b("k8s-sign"),
        k = b("k8s-kubeconfig")
    );
    let status = StdCommand::new("bash").arg("-c").arg(script).status().expect("bash");
    assert!(status.success());
    let mode = |f: &str| std::fs::metadata(dir.path().join(f)).expect(f).permissions().mode() & 0o777;
    // CSRs too, as kubeadm's WriteCSR writes them.
    for key in ["ca-seed.key", "ca.key", "req.key", "req.csr", "admin.key", "admin.conf"] {
        assert_eq!(mode(key), 0o600, "{key}");
    }
    for public in ["ca.crt", "u.crt"] {
        assert_eq!(mode(public), 0o644, "{public}");
    }
}

#[test]
fn no_key_material_in_error_messages() {
    let dir = scratch();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let body: String = String::from_utf8_lossy(&key).lines().nth(1).expect("base64 line").to_string();
    // A key where a CA certificate is expected, a truncated key, a key with a bad CSR: the
    // message names the problem, never a byte of the key.
    std::fs::write(dir.path().join("k.key"), &key).expect("write");
    let cases: Vec<(Vec<String>, Vec<u8>)> = vec![
        (
            vec![
                "k8s-sign".into(),
                "--ca-cert".into(),
                s(&dir.path().join("k.key")),
                "--ca-key".into(),
                s(&dir.path().join("k.key")),
            ],
            b"x".to_vec(),
        ),
        (vec!["k8s-csr".into(), "--cn".into(), "x".into()], key[..key.len() - 40].to_vec()),
        (vec!["k8s-kubeconfig".into(), "--extract".into()], key.clone()),
    ];
    for (args, stdin) in cases {
        let out = tool(&args[0]).args(&args[1..]).write_stdin(stdin).output().expect("runs");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains(&body[..20]) && !err.contains("PRIVATE KEY-----"), "{args:?}: {err}");
    }
}

#[test]
fn a_process_holding_the_ca_key_cannot_dump_core() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    // k8s-sign loads the CA, then waits for CSRs on stdin: look at it from outside meanwhile.
    // It starts with core dumps allowed (a soft limit of 1 MiB), so only k8s-sign can lower it.
    let cmd = format!(
        "ulimit -S -c 1024 && exec '{}' --ca '{}' --usage client",
        bin_dir().join("k8s-sign").display(),
        s(&dir.path().join("ca"))
    );
    let mut child = StdCommand::new("bash")
        .args(["-c", &cmd])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("k8s-sign");
    let limits = format!("/proc/{}/limits", child.id());
    let start = std::time::Instant::now();
    let mut seen = String::new();
    let exe = format!("/proc/{}/exe", child.id());
    while start.elapsed() < std::time::Duration::from_secs(10) {
        // Only once bash has exec'd k8s-sign (before, the limit is still the test's own).
        let is_sign = std::fs::read_link(&exe).is_ok_and(|p| p.ends_with("k8s-sign"));
        if !is_sign {
            std::thread::sleep(std::time::Duration::from_millis(5));
            continue;
        }
        seen = std::fs::read_to_string(&limits).unwrap_or_default();
        let core = seen.lines().find(|l| l.starts_with("Max core file size")).unwrap_or("");
        if core.split_whitespace().nth(4) == Some("0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let core = seen.lines().find(|l| l.starts_with("Max core file size")).unwrap_or("");
    assert_eq!(core.split_whitespace().nth(4), Some("0"), "core dumps still allowed: {core}");
}

#[test]
fn extracted_credentials_go_to_a_0600_file_or_never_to_a_terminal() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    issue(dir.path(), "ca", "admin", &["--profile", "admin"]);
    let conf = s(&dir.path().join("admin.conf"));
    tool("k8s-kubeconfig")
        .current_dir(dir.path())
        .args(["--ca-cert", "ca.crt", "--cert", "admin.crt", "--key", "admin.key", "--server", "https://h:6443"])
        .args(["--out", &conf])
        .assert()
        .success();
    // --extract --out: the credentials in one 0600 file, nothing on stdout.
    let creds = dir.path().join("creds.pem");
    tool("k8s-kubeconfig")
        .args(["--extract", "--in", &conf, "--out", &s(&creds)])
        .assert()
        .success()
        .stdout(predicates::str::is_empty());
    let mode = std::fs::metadata(&creds).expect("creds").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(labels(read(&creds).as_bytes()), ["RSA PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"]);
    // On a terminal the key is refused, and the hint names a flag k8s-kubeconfig has.
    let (code, text) = on_terminal(&format!("k8s-kubeconfig --extract --in '{conf}'"));
    assert_eq!(code, 4, "{text}");
    assert!(text.contains("use --out FILE") && !text.contains("--key-out"), "{text}");
}
