//! The lock kubectl takes around a kubeconfig it modifies: `FILE.lock`, created exclusively and
//! removed when done (client-go `tools/clientcmd/loader.go` `lockFile`/`unlockFile`, used by
//! `ModifyConfig`). k8s-kubeconfig takes the same lock around its read-modify-write of a
//! kubeconfig, so that its writers and kubectl's serialise, and re-reads the file under it.
//! kubectl gives up at once when the lock exists; k8s-kubeconfig waits for it, bounded.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How long a writer waits for another to finish.
const WAIT: Duration = Duration::from_secs(30);

/// `FILE.lock`, held until dropped.
pub struct ConfigLock {
    path: PathBuf,
}

impl ConfigLock {
    /// Takes `file`'s lock, waiting (at most 30 s) while another writer holds it.
    pub fn take(file: &Path) -> Result<ConfigLock> {
        let mut name = file.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => return Ok(ConfigLock { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && start.elapsed() < WAIT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::io_msg(
                        &path,
                        format!(
                            "held for {} s: another kubectl or k8s-kubeconfig is writing {} (remove the lock if none is)",
                            WAIT.as_secs(),
                            file.display()
                        ),
                    ));
                }
                Err(e) => return Err(Error::io(&path, &e)),
            }
        }
    }
}

impl Drop for ConfigLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_exclusive_and_released() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("config");
        let lock = ConfigLock::take(&file).expect("lock");
        assert!(dir.path().join("config.lock").exists());
        let waiter = {
            let file = file.clone();
            std::thread::spawn(move || ConfigLock::take(&file).map(|_| Instant::now()))
        };
        std::thread::sleep(Duration::from_millis(200));
        let released = Instant::now();
        drop(lock);
        let taken = waiter.join().expect("thread").expect("second lock");
        assert!(taken >= released, "the second writer waited for the first");
        assert!(!dir.path().join("config.lock").exists());
    }
}
