//! Running the binaries under test and the shell: where they are, their output, files and
//! processes the tests share.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

/// Where the binaries under test are: `K8S_PKI_TEST_BINS` when set (`make test` names
/// `target/release`, the build `make pki` made, overflow checks on), else `target/<profile>/`,
/// where `cargo build --workspace --bins` put them.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("K8S_PKI_TEST_BINS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps dir");
    deps.parent().expect("profile dir").to_path_buf()
}

/// One of our binaries, ready to run.
pub fn tool(name: &str) -> Command {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` first (make test does)",
        path.display()
    );
    let mut cmd = Command::new(path);
    cmd.env_remove("NO_COLOR");
    cmd
}

/// Runs one of our binaries and returns stdout, asserting success.
pub fn run_ok(name: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = tool(name).args(args).write_stdin(stdin.to_vec()).output().expect("runs");
    assert!(out.status.success(), "{name} {args:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// An external program that the tests require; a missing one fails the test with a clear
/// message (CI installs them all, so a skip would hide a broken set-up).
pub fn require(program: &str, package: &str) -> StdCommand {
    static FOUND: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let known = FOUND.lock().map(|f| f.iter().any(|p| p == program)).unwrap_or(false);
    if !known {
        let found = StdCommand::new("sh")
            .arg("-c")
            .arg(format!("command -v {program}"))
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(found, "{program} is not installed: apt-get install -y {package} (make test-deps installs it)");
        if let Ok(mut f) = FOUND.lock() {
            f.push(program.to_string());
        }
    }
    StdCommand::new(program)
}

/// python3, as [`require`] finds it, started by its own path: `python3` on PATH may be a
/// version manager's shell script that costs more than the interpreter each time.
pub fn python() -> StdCommand {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let path = PATH.get_or_init(|| {
        let out = require("python3", "python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "python3: {}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    });
    StdCommand::new(path)
}

/// The source tree's root (README.md, examples/, docs/, man/).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Text of a file.
pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
}

/// A path as a `&str` argument.
pub fn s(p: &Path) -> String {
    p.to_str().expect("utf8 path").to_string()
}

/// The PEM blocks' labels in a stream, in order.
pub fn labels(pem: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(pem)
        .lines()
        .filter_map(|l| l.strip_prefix("-----BEGIN ").and_then(|r| r.strip_suffix("-----")))
        .map(str::to_string)
        .collect()
}

/// Extracts the blocks with `label` from a PEM stream, as PEM text.
pub fn blocks_of(pem: &[u8], label: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(pem);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find(&begin) {
        let Some(stop) = rest[start..].find(&end) else { break };
        let stop = start + stop + end.len();
        out.push(format!("{}\n", &rest[start..stop]));
        rest = &rest[stop..];
    }
    out
}

/// Builds a CA under `dir/PREFIX.{crt,key}` with our tools.
pub fn make_ca(dir: &Path, prefix: &str, cn: &str) {
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--profile", "ca", "--cn", cn], &key);
    let out = dir.join(prefix);
    run_ok("k8s-sign", &["--self-sign", "--out", out.to_str().expect("utf8")], &csr);
}

/// Key + CSR for a profile or by flags, signed by the CA at `dir/ca`, written to `dir/name`.
pub fn issue(dir: &Path, ca: &str, name: &str, csr_args: &[&str]) {
    let key = run_ok("k8s-genkey", &[], b"");
    let csr = run_ok("k8s-csr", csr_args, &key);
    let ca = dir.join(ca);
    let out = dir.join(name);
    run_ok("k8s-sign", &["--ca", ca.to_str().expect("utf8"), "--out", out.to_str().expect("utf8")], &csr);
}

/// A free TCP port on 127.0.0.1.
/// Never the same port twice in a run: tests run in parallel, and a port closed here is free to
/// be handed out again before the server it was meant for binds it, so that one test's client
/// would reach another test's server (or find it gone: "connection refused").
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// A child process killed (by pid) when dropped, so no server outlives its test.
pub struct Daemon(pub std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits (at most 10 s) until something accepts connections on `addr`.
pub fn wait_for_port(addr: &str) {
    let start = Instant::now();
    let sock: std::net::SocketAddr = addr.parse().expect("address");
    while std::net::TcpStream::connect_timeout(&sock, Duration::from_millis(200)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `bash -c 'set -euo pipefail; SCRIPT'` with our tools first on PATH.
fn bash_with_tools(script: &str) -> StdCommand {
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = StdCommand::new("bash");
    cmd.arg("-c").arg(format!("set -euo pipefail\n{script}")).env("PATH", path);
    cmd
}

/// Runs `script` in bash (`set -euo pipefail`) with our tools first on PATH; `args` are its
/// `$1`, `$2`, … (paths stay out of the script's text).
pub fn pipe<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> Output {
    bash_with_tools(script).arg("sh").args(args).output().expect("bash")
}

/// Runs `script` as [`pipe`] does, in `dir`, with `env` set (documented commands run as written).
pub fn script_in(dir: &Path, script: &str, env: &[(&str, String)]) -> Output {
    let mut cmd = bash_with_tools(script);
    cmd.current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("bash")
}

/// Validates `json` (with `lines`, one document per line) against `docs/schemas/KIND.schema.json`
/// with Python's jsonschema (tests/schema/validate.py), an implementation independent of ours.
/// Returns whether it is valid, and the validator's report of each violation.
pub fn schema_check(kind: &str, json: &[u8], lines: bool) -> (bool, String) {
    let root = repo();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join(format!("{kind}.json"));
    std::fs::write(&file, json).expect("write json");
    let mut cmd = python();
    cmd.arg(root.join("tests/schema/validate.py")).arg(root.join("docs/schemas")).arg(kind);
    if lines {
        cmd.arg("--lines");
    }
    let out = cmd.arg(&file).output().expect("python3 runs");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!report.contains("jsonschema module is missing"), "{report}");
    (out.status.success(), report)
}

/// Asserts that `json` is valid for the schema of `kind` (see [`schema_check`]).
pub fn assert_schema(kind: &str, json: &[u8]) {
    let (ok, report) = schema_check(kind, json, kind == "stream-item");
    assert!(ok, "the {kind} JSON does not follow docs/schemas/{kind}.schema.json:\n{report}");
}

/// `k8s-rotate ARGS --pki-dir TREE`.
pub fn rotate(tree: &Path, args: &[&str]) -> Output {
    tool("k8s-rotate").args(args).arg("--pki-dir").arg(tree).output().expect("k8s-rotate")
}

/// [`rotate`], which must succeed; its stdout.
pub fn rotate_ok(tree: &Path, args: &[&str]) -> String {
    let out = rotate(tree, args);
    assert!(out.status.success(), "k8s-rotate {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
