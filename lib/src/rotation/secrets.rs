//! What `finish` removes: once the rotation is done nothing can roll it back, so no private key
//! of the rotation is needed any more. It removes the rotation's own keys (`pki/rotation/*.key`),
//! every file of the rotation's backups that is not a certificate or a public key (old keys,
//! kubeconfigs that embed one), and any other file under the tree holding the private key of an
//! old CA or of the old service-account key (a copy someone made). Each is overwritten before it
//! is unlinked. What stays: the backups' certificates and public keys, and `pki/rotation/*.crt`
//! and `*.pub`, for the record.

use std::collections::BTreeSet;

use super::change::Change;
use super::material::Material;
use super::state::State;
use super::tree::Tree;
use crate::error::{Error, Result};
use crate::key::PublicKey;
use crate::pem::Kind;

/// The most entries a walk of the tree looks at.
const MAX_ENTRIES: usize = 100_000;

/// Every file under `dir` of the tree (relative to it), walked without following a link.
pub fn walk(tree: &Tree, dir: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_string()];
    let mut seen = 0usize;
    while let Some(d) = stack.pop() {
        for (name, is_dir) in tree.dir().list(&d) {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(Error::io_msg(
                    &tree.root.join(dir),
                    format!("holds more than {MAX_ENTRIES} entries: not walked"),
                ));
            }
            let rel = if d.is_empty() { name } else { format!("{d}/{name}") };
            if is_dir { stack.push(rel) } else { out.push(rel) }
        }
    }
    out.sort();
    Ok(out)
}

/// Whether the file `rel` holds only certificates and public keys (at least one).
pub fn is_public(tree: &Tree, rel: &str) -> bool {
    let named = rel.ends_with(".crt") || rel.ends_with(".pub");
    named
        && tree.dir().read(rel).ok().flatten().is_some_and(|b| {
            let mut reader = crate::pem::PemReader::new(b.as_slice(), rel);
            let mut seen = 0;
            loop {
                match reader.next_block() {
                    Ok(Some(block)) if matches!(block.kind(), Kind::Cert | Kind::PublicKey) => seen += 1,
                    Ok(None) => return seen > 0,
                    _ => return false,
                }
            }
        })
}

/// Whether the file `rel` holds the private key of one of `olds`.
fn holds_old_key(tree: &Tree, rel: &str, olds: &[PublicKey]) -> bool {
    let Some(bytes) = tree.dir().read(rel).ok().flatten() else { return false };
    if !bytes.windows(11).any(|w| w == b"PRIVATE KEY") {
        return false;
    }
    let mut reader = crate::pem::PemReader::new(bytes.as_slice(), rel);
    while let Ok(Some(block)) = reader.next_block() {
        if block.kind() == Kind::Key
            && crate::key::PrivateKey::from_pem_block(&block.label, &block.der, rel)
                .is_ok_and(|k| olds.contains(k.public_key()))
        {
            return true;
        }
    }
    false
}

/// The removals of `finish`, in order: the rotation's own keys, the secrets of its backups, and
/// any other copy of an old CA's or the old SA key's private key under the tree.
pub fn removals(tree: &Tree, state: Option<&State>, ms: &[Material]) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for m in ms {
        for g in [super::Generation::Old, super::Generation::New] {
            let rel = super::layout::file(std::path::Path::new("pki"), m.target, g, "key").display().to_string();
            if tree.dir().exists(&rel) && seen.insert(rel.clone()) {
                out.push(Change::removal(rel, "the rotation's private keys go at finish (the new one is in pki/)"));
            }
        }
    }
    let backups: Vec<String> = state.map(|s| s.backup_dirs.clone()).unwrap_or_default();
    for dir in backups.iter().filter(|d| tree.dir().is_dir(d)) {
        for rel in walk(tree, dir)? {
            if !is_public(tree, &rel) && seen.insert(rel.clone()) {
                out.push(Change::removal(rel, "a backup's private key: no rollback needs it after finish"));
            }
        }
    }
    let olds: Vec<PublicKey> = ms.iter().map(|m| m.old.public.clone()).collect();
    for rel in walk(tree, "")? {
        let in_backup = backups.iter().any(|b| rel.starts_with(&format!("{b}/")));
        if !in_backup && !seen.contains(&rel) && holds_old_key(tree, &rel, &olds) {
            seen.insert(rel.clone());
            out.push(Change::removal(rel, "a copy of an old private key"));
        }
    }
    Ok(out)
}

/// What `finish` keeps, in words: the backups (certificates and public keys only) and the
/// rotation's public files.
pub fn kept(tree: &Tree, state: &State) -> Vec<String> {
    let mut out: Vec<String> = state
        .backup_dirs
        .iter()
        .filter(|d| tree.dir().is_dir(d))
        .map(|d| format!("{d}/ (certificates and public keys only)"))
        .collect();
    let dir = format!("pki/{}", super::layout::DIR);
    out.extend(walk(tree, &dir).unwrap_or_default());
    out
}
