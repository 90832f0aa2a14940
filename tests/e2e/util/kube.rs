//! kubectl as the judge of kubeconfigs, and the scratch directories whose kubeconfigs it loads.

use std::path::{Path, PathBuf};

use std::process::Command as StdCommand;
use std::sync::OnceLock;

use super::run::require;

/// Real kubectl, away from any kubeconfig in the environment. `K8S_PKI_TEST_KUBECTL` names one;
/// otherwise `kubectl` on PATH, except when that is gcloud's kubectl dispatcher (its client
/// version ends in `-dispatcher`): it first asks the kubeconfig's server for its version, waiting
/// up to 5 s for servers that do not exist, as the test trees' `fd00::10` and `192.168.1.5` do
/// not, then runs the kubectl of that release, or its own. Its own release, `kubectl.1.MINOR`
/// beside it, is run directly then: the same kubectl, without the wait.
pub fn kubectl() -> StdCommand {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    let program = PROGRAM.get_or_init(|| match std::env::var_os("K8S_PKI_TEST_KUBECTL") {
        Some(named) => {
            let named = PathBuf::from(named);
            assert!(named.is_file(), "K8S_PKI_TEST_KUBECTL names no file: {}", named.display());
            named
        }
        None => undispatched(),
    });
    let mut cmd = StdCommand::new(program);
    cmd.env_remove("KUBECONFIG");
    cmd
}

/// `kubectl` on PATH, or the release beside it that gcloud's dispatcher runs when no server
/// answers.
fn undispatched() -> PathBuf {
    let out = require("kubectl", "kubectl (it comes with the machine image)")
        .args(["version", "--client", "-o", "json"])
        .env("KUBECONFIG", "/dev/null")
        .output()
        .expect("kubectl version");
    assert!(out.status.success(), "kubectl version --client: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("kubectl version JSON");
    let git = v["clientVersion"]["gitVersion"].as_str().unwrap_or_default();
    let Some(release) = git.strip_suffix("-dispatcher") else { return PathBuf::from("kubectl") };
    let minor = release.trim_start_matches('v').split('.').take(2).collect::<Vec<_>>().join(".");
    let which = StdCommand::new("sh").args(["-c", "command -v kubectl"]).output().expect("sh");
    let path = PathBuf::from(String::from_utf8_lossy(&which.stdout).trim());
    let beside = std::fs::canonicalize(&path).expect("kubectl's path").with_file_name(format!("kubectl.{minor}"));
    assert!(beside.is_file(), "kubectl {git} is a dispatcher without its own release beside it ({})", beside.display());
    beside
}

/// A scratch directory: a test's files. When a test that passed drops it, every kubeconfig the
/// tools wrote there is loaded by real kubectl ([`Scratch`]).
pub fn scratch() -> Scratch {
    Scratch(tempfile::tempdir().expect("tempdir"))
}

/// A temporary directory whose kubeconfigs are judged by kubectl when it goes: `config
/// get-contexts` must load each one the tools wrote (mode 0600, as they write
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
            let digest = h.finish();
            let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
            if !seen.contains(&digest) {
                seen.push(digest);
                found.push(path);
            }
        }
    }
    found
}

/// Real kubectl loads the kubeconfig at `path` and lists its contexts (`config get-contexts`
/// loads the file as `config view` does: one run is enough).
pub fn kubectl_loads(path: &Path) {
    let out = kubectl()
        .arg("--kubeconfig")
        .arg(path)
        .args(["config", "get-contexts", "-o", "name"])
        .output()
        .expect("kubectl");
    assert!(
        out.status.success(),
        "kubectl config get-contexts refuses {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
