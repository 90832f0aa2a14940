//! kubectl as the judge of kubeconfigs, and the scratch directories whose kubeconfigs it loads.

use std::path::{Path, PathBuf};

use super::run::require;

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
