//! A step's writes and their backup, all beneath the tree: each file a step replaces is first
//! copied into the step's `backup-TIMESTAMP/` (once: a re-run after a crash keeps the first copy),
//! then replaced atomically; a file removed (a private key) is overwritten first and never copied
//! anywhere. `rollback` reads back exactly the files the step's record names, from a backup that
//! must be a real directory of the tree. The private keys a backup holds are removed when no
//! rollback can need them any more ([`remove_secrets`]).

use std::collections::BTreeMap;
use std::path::Path;

use zeroize::Zeroizing;

use super::change::Change;
use super::tree::Tree;
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

/// Copies into `backup` (a directory of the tree) every file that `changes` replace and that is
/// not there yet. Removed files are never copied: what a step removes is a private key.
pub fn back_up(tree: &Tree, changes: &[Change], backup: &str) -> Result<()> {
    let mut copies = Vec::new();
    for c in changes.iter().filter(|c| c.contents.is_some()) {
        let dst = format!("{backup}/{}", c.rel);
        if tree.dir().exists(&dst) {
            continue;
        }
        if let Some(bytes) = tree.dir().read(&c.rel)? {
            copies.push(crate::atomic::FileWrite::in_tree(&tree.root, &dst, mode_of(&c.rel), bytes));
        }
    }
    crate::atomic::write_files_atomic(&copies, false)
}

/// Writes `changes` into the tree, atomically, each file's directory opened beneath it; then
/// removes what they remove (overwritten first).
pub fn write(tree: &Tree, changes: &[Change]) -> Result<()> {
    let writes: Vec<crate::atomic::FileWrite> = changes
        .iter()
        .filter_map(|c| {
            c.contents
                .as_ref()
                .map(|(bytes, mode)| crate::atomic::FileWrite::in_tree(&tree.root, &c.rel, *mode, bytes.clone()))
        })
        .collect();
    crate::atomic::write_files_atomic(&writes, true)?;
    for c in changes.iter().filter(|c| c.contents.is_none()) {
        remove(tree, &c.rel)?;
    }
    Ok(())
}

/// Removes the file `rel` of the tree, overwritten first when it is its only name; `Ok(false)`
/// when nothing was there.
pub fn remove(tree: &Tree, rel: &str) -> Result<bool> {
    let path = tree.root.join(rel);
    let (dir, name) = match rel.rsplit_once('/') {
        Some((dir, name)) => (dir, name),
        None => ("", rel),
    };
    let fd = match tree.dir().open_dir(dir) {
        Ok(fd) => fd,
        Err(_) if !tree.dir().exists(dir) => return Ok(false),
        Err(e) => return Err(e),
    };
    crate::scrub::remove_secret(std::os::fd::AsFd::as_fd(&fd), std::ffi::OsStr::new(name))
        .map_err(|e| Error::io(&path, &e))
}

/// The originals of `files` in `backup`, each read beneath the tree (bounded): what `rollback`
/// puts back. A file the backup lacks is left out.
pub fn originals(tree: &Tree, backup: &str, files: &[String]) -> Result<BTreeMap<String, Zeroizing<Vec<u8>>>> {
    let dir = tree.dir();
    if !dir.is_dir(backup) {
        let why = match dir.entry(backup) {
            crate::beneath::Entry::Refused(why) => why,
            crate::beneath::Entry::Absent => "is not there".into(),
            _ => "is not a directory".into(),
        };
        return Err(Error::io_msg(&tree.root.join(backup), format!("the backup {why}: nothing is restored from it")));
    }
    // The backup itself must not be a link: opening it without following any proves it.
    dir.open_dir(backup)?;
    let mut out = BTreeMap::new();
    for rel in files {
        if let Some(bytes) = dir.read(&format!("{backup}/{rel}"))? {
            out.insert(rel.clone(), bytes);
        }
    }
    Ok(out)
}

/// Removes from the backup directories `dirs` every file that is not a certificate or a public
/// key (private keys, kubeconfigs that embed one), each overwritten first: returns them.
pub fn remove_secrets(tree: &Tree, dirs: &[String]) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for dir in dirs.iter().filter(|d| tree.dir().is_dir(d)) {
        for rel in super::secrets::walk(tree, dir)? {
            if !super::secrets::is_public(tree, &rel) && remove(tree, &rel)? {
                removed.push(rel);
            }
        }
    }
    Ok(removed)
}

/// The directories a rotation writes into (those of its files, and `backups`), each swept of
/// the temp files a killed run left there (some hold keys: overwritten first). Returns them.
pub fn sweep(tree: &Tree, backups: &[String]) -> Vec<String> {
    let mut dirs: std::collections::BTreeSet<String> = tree
        .universe()
        .iter()
        .map(|rel| rel.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default())
        .collect();
    dirs.insert(String::new());
    for b in backups {
        for rel in tree.universe() {
            dirs.insert(
                format!("{b}/{}", rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")).trim_end_matches('/').to_string(),
            );
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        let Ok(fd) = tree.dir().open_dir(&d) else { continue };
        let path = if d.is_empty() { tree.root.clone() } else { tree.root.join(&d) };
        for name in crate::scrub::sweep(&fd, &path).unwrap_or_default() {
            out.push(Path::new(&d).join(name).display().to_string());
        }
    }
    out
}
