//! The Go helpers (tests/go): built once, offline, with the standard library only; Go's x509
//! verdicts, the stand-in for kube-apiserver, and CPU costs measured the same way.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};

use super::run::{Daemon, bin_dir, python, repo, require};

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
    let out = python()
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

/// Starts the Go stand-in for kube-apiserver (tests/go/apiserver.go) with this serving
/// certificate and client CA; returns it (stopped by pid on drop) and its address.
pub fn start_apiserver(cert: &Path, key: &Path, client_ca: &Path) -> (Daemon, String) {
    spawn_apiserver(cert, key, client_ca, None)
}

/// [`start_apiserver`] also serving, as kube-apiserver does (discovery, lists, gets by
/// name), the objects in `objects`: a JSON array of objects or a List (see util/dump.rs).
pub fn start_apiserver_with_objects(cert: &Path, key: &Path, client_ca: &Path, objects: &Path) -> (Daemon, String) {
    spawn_apiserver(cert, key, client_ca, Some(objects))
}

fn spawn_apiserver(cert: &Path, key: &Path, client_ca: &Path, objects: Option<&Path>) -> (Daemon, String) {
    use std::io::{BufRead, BufReader};
    let mut cmd = StdCommand::new(go_helper("apiserver"));
    cmd.arg("-cert").arg(cert).arg("-key").arg(key).arg("-client-ca").arg(client_ca).args(["-lifetime", "120s"]);
    if let Some(objects) = objects {
        cmd.arg("-objects").arg(objects);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start the test API server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("its address");
    let daemon = Daemon(child);
    // Its first line is the address, or why it refused to start (a bad -objects file).
    let addr = line.trim().to_string();
    assert!(addr.parse::<std::net::SocketAddr>().is_ok(), "the test API server did not start: {addr:?}");
    (daemon, addr)
}

/// Go's verdict for each "CERT CA USAGE HOSTS..." line.
pub fn go_x509(lines: &[String]) -> Vec<String> {
    let out =
        assert_cmd::Command::new(go_helper("x509check")).write_stdin(lines.join("\n")).output().expect("x509check");
    assert!(out.status.success(), "x509check failed: {}", String::from_utf8_lossy(&out.stderr));
    let verdicts: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(verdicts.len(), lines.len(), "one Go verdict per line: {verdicts:?}");
    verdicts
}

/// The Go minor release in `go version` / `etcd --version` output.
pub fn go_minor(text: &str) -> u32 {
    let at = text.find("go1.").unwrap_or_else(|| panic!("no Go version in {text:?}"));
    text[at + 4..].split(|c: char| !c.is_ascii_digit()).next().and_then(|m| m.parse().ok()).expect("Go minor")
}

/// The alert a Go server (crypto/tls, handshake_server.go processCertsFromClient) sends for a
/// client certificate from an unknown CA: bad_certificate up to go1.20, unknown_ca since the
/// alerts were refined (go1.21).
pub fn go_unknown_ca_alert(minor: u32) -> &'static str {
    if minor >= 21 { "unknown certificate authority" } else { "bad certificate" }
}

/// The Go stand-in for kube-apiserver serving the demo tree `out`'s apiserver certificate and
/// trusting its `pki/ca.crt` for clients.
pub fn start_demo_apiserver(out: &Path) -> (Daemon, String) {
    start_apiserver(&out.join("pki/apiserver.crt"), &out.join("pki/apiserver.key"), &out.join("pki/ca.crt"))
}

/// [`start_demo_apiserver`] also serving the objects in `objects` (see
/// [`start_apiserver_with_objects`]).
pub fn start_demo_apiserver_with_objects(out: &Path, objects: &Path) -> (Daemon, String) {
    start_apiserver_with_objects(
        &out.join("pki/apiserver.crt"),
        &out.join("pki/apiserver.key"),
        &out.join("pki/ca.crt"),
        objects,
    )
}
