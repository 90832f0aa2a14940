//! A step's writes and their backup: each file a step replaces is first copied into the step's
//! `backup-TIMESTAMP/` (once: a re-run after a crash keeps the first copy), then replaced
//! atomically; `rollback` reads the copies back.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::tree::{Change, Tree};
use crate::error::{Error, Result};
use crate::pem::Kind;

/// The mode a file of the tree is kept with, as kubeadm keeps it: kubeconfigs (which embed keys)
/// 0600, every other file as its kind is written ([`Kind::file_mode`]: keys, `sa.pub` and CSRs
/// 0600, certificates 0644).
pub fn mode_of(rel: &str) -> u32 {
    let kind = match rel.rsplit_once('.').map(|(_, ext)| ext) {
        Some("conf") => return 0o600,
        Some("key") => Kind::Key,
        Some("pub") => Kind::PublicKey,
        Some("csr") => Kind::Csr,
        _ => Kind::Cert,
    };
    kind.file_mode()
}

/// Applies `changes` under `tree`: each existing file is first copied into `backup` (relative to
/// the tree) unless a copy is already there, then every file is replaced atomically.
pub fn apply(tree: &Tree, changes: &[Change], backup: &str) -> Result<()> {
    let mut copies = Vec::new();
    for c in changes {
        let src = tree.root.join(&c.rel);
        let dst = tree.root.join(backup).join(&c.rel);
        if src.is_file() && !dst.exists() {
            let mode = mode_of(&c.rel);
            let bytes = crate::input::read_file(&src)?;
            copies.push(crate::atomic::FileWrite::new(dst, mode, Zeroizing::new(bytes)));
        }
    }
    crate::atomic::write_files_atomic(&copies, false)?;
    let writes: Vec<crate::atomic::FileWrite> = changes
        .iter()
        .filter_map(|c| {
            c.contents
                .as_ref()
                .map(|(bytes, mode)| crate::atomic::FileWrite::new(tree.root.join(&c.rel), *mode, bytes.clone()))
        })
        .collect();
    crate::atomic::write_files_atomic(&writes, true)?;
    for c in changes.iter().filter(|c| c.contents.is_none()) {
        let path = tree.root.join(&c.rel);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&path, &e)),
        }
    }
    Ok(())
}

/// The files of a backup directory (relative to the tree), with their bytes: what `rollback`
/// puts back.
pub fn backup_files(tree: &Tree, backup: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let base = tree.root.join(backup);
    let mut stack = vec![base.clone()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, &e))?;
        for e in entries.flatten() {
            let path = e.path();
            let kind = e.file_type().map_err(|err| Error::io(&path, &err))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let rel = path.strip_prefix(&base).unwrap_or(&path).display().to_string();
                out.insert(rel, crate::input::read_file(&path)?);
            }
        }
    }
    Ok(out)
}
