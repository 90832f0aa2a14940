//! openssl and TLS servers: openssl's verdicts and fingerprints, `s_server` on a free port, and
//! k8s-verify --connect against them.

use std::path::Path;
use std::process::{Output, Stdio};

use super::run::{Daemon, assert_schema, free_port, require, tool, wait_for_port};

/// Runs openssl with args in `dir`, returning the output.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    require("openssl", "openssl").args(args).current_dir(dir).output().expect("openssl runs")
}

/// Runs openssl and asserts success, returning stdout as text.
/// openssl's SHA-256 fingerprint of the certificate `file` (relative to `dir`), in the project's
/// one fingerprint encoding (lower-case hex, no colons) for comparison with the tools' JSON.
pub fn openssl_fingerprint(dir: &Path, file: &str) -> String {
    let text = openssl_ok(dir, &["x509", "-in", file, "-noout", "-fingerprint", "-sha256"]);
    let hex = text.trim().rsplit('=').next().unwrap_or_default().replace(':', "").to_ascii_lowercase();
    assert_eq!(hex.len(), 64, "openssl printed {text}");
    hex
}

pub fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let out = openssl(dir, args);
    assert!(out.status.success(), "openssl {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `openssl s_server` on a free port of 127.0.0.1 with these extra arguments, ready to accept.
pub fn s_server(dir: &Path, args: &[&str]) -> (Daemon, String) {
    let port = free_port();
    let child = require("openssl", "openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}"), "-quiet", "-naccept", "20"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let daemon = Daemon(child);
    let addr = format!("127.0.0.1:{port}");
    wait_for_port(&addr);
    (daemon, addr)
}

/// k8s-verify --connect with these arguments: exit code and the JSON report.
pub fn connect_json(addr: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let out = tool("k8s-verify")
        .args(["--connect", addr, "--timeout", "10s", "--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    if !out.stdout.is_empty() {
        assert_schema("connect", &out.stdout);
    }
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{args:?}: no JSON (exit {code}): {}", String::from_utf8_lossy(&out.stderr)));
    (code, v)
}
