//! The shared harness: find the built binaries, run them and the independent tools
//! (openssl, Go, etcd, kubectl) that judge their output.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};

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
    let found = StdCommand::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(found, "{program} is not installed: apt-get install -y {package} (make test-deps installs it)");
    StdCommand::new(program)
}

/// The source tree's root (README.md, examples/, docs/, man/).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

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

/// A scratch directory: a test's files. When a test that passed drops it, every kubeconfig the
/// tools wrote there is loaded by real kubectl ([`Scratch`]).
pub fn scratch() -> Scratch {
    Scratch(tempfile::tempdir().expect("tempdir"))
}

/// A temporary directory whose kubeconfigs are judged by kubectl when it goes: `config view
/// --raw` and `config get-contexts` must load each one the tools wrote (mode 0600, as they write
/// every kubeconfig; a test's own hand-made input, good or hostile, has the umask's mode). Each
/// distinct content is loaded once per run.
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = tempfile::TempDir;
    fn deref(&self) -> &tempfile::TempDir {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        for path in kubeconfigs_written(self.0.path()) {
            kubectl_loads(&path);
        }
    }
}

/// The kubeconfigs under `dir` (not through links) that the tools wrote, not yet seen this run.
fn kubeconfigs_written(dir: &Path) -> Vec<PathBuf> {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::PermissionsExt;
    static SEEN: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let (path, Ok(meta)) = (entry.path(), entry.metadata()) else { continue };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if !meta.is_file() || meta.len() > 1 << 20 || meta.permissions().mode() & 0o777 != 0o600 {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            if !(text.contains("\nkind: Config") || text.starts_with("kind: Config")) {
                continue;
            }
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if !seen.contains(&h.finish()) {
                seen.push(h.finish());
                found.push(path);
            }
        }
    }
    found
}

/// Real kubectl loads the kubeconfig at `path`: it shows it and lists its contexts.
pub fn kubectl_loads(path: &Path) {
    for args in [&["config", "view", "--raw"][..], &["config", "get-contexts"]] {
        let out = require("kubectl", "kubectl (see the README)")
            .arg("--kubeconfig")
            .arg(path)
            .args(args)
            .env_remove("KUBECONFIG")
            .output()
            .expect("kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?} refuses {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
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

/// Text of a file.
pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref()).unwrap_or_else(|e| panic!("{}: {e}", path.as_ref().display()))
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

/// Builds one of the Go helpers in tests/go/ (once per test run) and returns its path.
pub fn go_helper(name: &str) -> PathBuf {
    use std::sync::{Mutex, OnceLock};
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK.get_or_init(|| Mutex::new(())).lock().unwrap_or_else(|e| e.into_inner());
    let out_dir = bin_dir().join("go-helpers");
    let out = out_dir.join(name);
    let source = repo().join("tests/go").join(format!("{name}.go"));
    let fresh = |o: &Path| {
        let (Ok(a), Ok(b)) = (std::fs::metadata(o), std::fs::metadata(&source)) else { return false };
        matches!((a.modified(), b.modified()), (Ok(a), Ok(b)) if a >= b)
    };
    if !fresh(&out) {
        let status = require("go", "golang-go")
            .args(["build", "-o"])
            .arg(&out)
            .arg(&source)
            .env("GOCACHE", bin_dir().join("go-cache"))
            .env("GOFLAGS", "-mod=mod")
            .env("GOTOOLCHAIN", "local")
            .status()
            .expect("go build");
        assert!(status.success(), "go build {} failed", source.display());
    }
    out
}

/// What one run of one of our binaries cost.
pub struct Cost {
    /// Exit code.
    pub code: i32,
    /// Peak resident memory of the process, KiB.
    pub rss_kib: u64,
    /// Wall-clock seconds.
    pub secs: f64,
    /// What it printed on stderr.
    pub stderr: String,
}

/// Runs one of our binaries (stdout discarded, at most 120 s) and measures its peak memory with
/// getrusage in a python parent of its own: the child's peak, not this test process's.
pub fn cost_of(name: &str, args: &[&str]) -> Cost {
    let start = std::time::Instant::now();
    let out = StdCommand::new("python3")
        .arg("-c")
        .arg("import resource,subprocess,sys; r=subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120); print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.stdout.write(r.stderr.decode(errors='replace'))")
        .arg(bin_dir().join(name))
        .args(args)
        .output()
        .expect("python3");
    let secs = start.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (first, stderr) = text.split_once('\n').unwrap_or((&text, ""));
    let mut parts = first.split_whitespace();
    let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no exit code: {text}"));
    let rss_kib = parts.next().and_then(|r| r.parse().ok()).unwrap_or_else(|| panic!("no RSS: {text}"));
    Cost { code, rss_kib, secs, stderr: stderr.to_string() }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A child process killed (by pid) when dropped, so no server outlives its test.
pub struct Daemon(pub std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The demo PKI built once by examples/kubeadm-pki.sh with three nodes, shared by the tests
/// that only read it.
pub fn demo_pki() -> &'static Path {
    use std::sync::OnceLock;
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        // Under target/, replaced on every run: its CA keys never pile up in /tmp.
        let out = bin_dir().join("e2e-demo-pki");
        let _ = std::fs::remove_dir_all(&out);
        build_demo_pki(&out);
        out
    })
}

/// A two-node demo PKI (node-1 and node-2, both control-plane) with ECDSA P-256 keys throughout
/// (k8s-genkey with `--algo ecdsa-p256` first on PATH), built once: for tests that rotate many
/// copies, where RSA key generation would dominate.
pub fn ecdsa_demo_pki() -> &'static Path {
    use std::sync::OnceLock;
    static PKI: OnceLock<PathBuf> = OnceLock::new();
    PKI.get_or_init(|| {
        let out = bin_dir().join("e2e-demo-pki-ecdsa");
        let shim = bin_dir().join("e2e-ecdsa-shim");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&shim).expect("shim dir");
        let genkey = format!("#!/bin/sh\nexec '{}' --algo ecdsa-p256 \"$@\"\n", bin_dir().join("k8s-genkey").display());
        std::fs::write(shim.join("k8s-genkey"), genkey).expect("shim");
        assert!(StdCommand::new("chmod").arg("755").arg(shim.join("k8s-genkey")).status().expect("chmod").success());
        build_pki_with(&out, &format!("{}:{}", shim.display(), bin_dir().display()), "node-1 node-2");
        out
    })
}

/// Runs examples/kubeadm-pki.sh into `out` with our binaries on PATH.
pub fn build_demo_pki(out: &Path) {
    build_pki_with(out, &bin_dir().display().to_string(), "node-1 node-2 node-3");
}

fn build_pki_with(out: &Path, bins: &str, nodes: &str) {
    let script = repo().join("examples/kubeadm-pki.sh");
    let path = format!("{bins}:{}", std::env::var("PATH").unwrap_or_default());
    let result = StdCommand::new("bash")
        .arg(&script)
        .arg(out)
        .arg(nodes)
        .arg("10.0.0.10")
        .env("PATH", path)
        .output()
        .expect("run kubeadm-pki.sh");
    assert!(
        result.status.success(),
        "kubeadm-pki.sh failed:\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// A path as a `&str` argument.
pub fn s(p: &Path) -> String {
    p.to_str().expect("utf8 path").to_string()
}

/// `k8s-verify --pki-dir DIR --format json`: its exit code and report (checked against its schema).
pub fn audit_json(tree: &Path) -> (i32, serde_json::Value) {
    let out = tool("k8s-verify").arg("--pki-dir").arg(tree).args(["--format", "json"]).output().expect("k8s-verify");
    assert_schema("audit", &out.stdout);
    (out.status.code().unwrap_or(-1), serde_json::from_slice(&out.stdout).expect("audit json"))
}

/// A private copy of the demo PKI, to break or renew.
pub fn copy_of_demo() -> (Scratch, PathBuf) {
    let dir = scratch();
    let out = dir.path().join("cluster");
    copy_demo_pki(&out);
    (dir, out)
}

/// A copy of the demo PKI (built once per run) at `out`, modes and times kept: what a test that
/// changes the tree starts from, instead of building its own.
pub fn copy_demo_pki(out: &Path) {
    let ok = StdCommand::new("cp").arg("-a").arg(demo_pki()).arg(out).status().expect("cp").success();
    assert!(ok, "copying the demo PKI to {}", out.display());
}

/// Starts the Go stand-in for kube-apiserver (tests/go/apiserver.go) with this serving
/// certificate and client CA; returns it (stopped by pid on drop) and its address.
pub fn start_apiserver(cert: &Path, key: &Path, client_ca: &Path) -> (Daemon, String) {
    use std::io::{BufRead, BufReader};
    let mut child = StdCommand::new(go_helper("apiserver"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .arg("-client-ca")
        .arg(client_ca)
        .args(["-lifetime", "120s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the test API server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("its address");
    (Daemon(child), line.trim().to_string())
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
    let dir = scratch();
    let file = dir.path().join(format!("{kind}.json"));
    std::fs::write(&file, json).expect("write json");
    let mut cmd = require("python3", "python3");
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
