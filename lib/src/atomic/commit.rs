//! Giving complete files their names: temp files, linking a new name, replacing old files
//! (all or none, the old ones put back on a failure), and the backups `--force` keeps.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustix::fs::{AtFlags, Mode, OFlags};

use super::slot::{FileWrite, Slot, distinct};
use crate::error::{Error, Result};

/// A complete file waiting for its name.
pub(super) enum Temp {
    /// An unnamed inode (O_TMPFILE), gone if we die before naming it.
    Anonymous(File),
    /// A hidden temp file in a directory, removed on drop unless renamed.
    Named(Arc<OwnedFd>, OsString),
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Temp::Named(dir, name) = self {
            let _ = rustix::fs::unlinkat(dir.as_fd(), name.as_os_str(), AtFlags::empty());
        }
    }
}

pub(super) fn temp_name(s: &Slot<'_>) -> Result<OsString> {
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|_| Error::io_msg(&s.f.path, "no randomness for a temp file"))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let mut name = OsString::from(".");
    name.push(&s.name);
    name.push(format!(".{suffix}.tmp"));
    Ok(name)
}

fn fill(mut file: &File, f: &FileWrite) -> io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(f.mode))?;
    file.write_all(&f.contents)?;
    file.sync_all()
}

pub(super) fn write_temp(s: &Slot<'_>) -> Result<Temp> {
    let f = s.f;
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    if let Ok(fd) = rustix::fs::openat(s.dir.fd.as_fd(), ".", flags, Mode::from_raw_mode(0o600)) {
        let file = File::from(fd);
        fill(&file, f).map_err(|e| Error::io(&f.path, &e))?;
        return Ok(Temp::Anonymous(file));
    }
    let name = temp_name(s)?;
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(s.dir.fd.as_fd(), name.as_os_str(), flags, Mode::from_raw_mode(0o600))
        .map_err(|e| Error::io(&f.path, &io::Error::from(e)))?;
    let file = File::from(fd);
    // Owned from here: a name we did not create is never removed.
    let temp = Temp::Named(s.dir.fd.clone(), name);
    // On error `temp` is dropped and removes the partial file; the message names the destination.
    fill(&file, f).map_err(|e| Error::io(&f.path, &e))?;
    Ok(temp)
}

/// Gives `temp` the name `to` in `s`'s directory, which must not exist.
fn link_new(temp: &Temp, s: &Slot<'_>, to: &OsStr) -> io::Result<()> {
    let dir = s.dir.fd.as_fd();
    match temp {
        Temp::Anonymous(file) => {
            let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
            rustix::fs::linkat(rustix::fs::CWD, proc_path.as_str(), dir, to, AtFlags::SYMLINK_FOLLOW)
                .map_err(io::Error::from)
        }
        Temp::Named(_, name) => match rustix::fs::linkat(dir, name.as_os_str(), dir, to, AtFlags::empty()) {
            Ok(()) => Ok(()),
            Err(rustix::io::Errno::EXIST) => Err(io::Error::from(rustix::io::Errno::EXIST)),
            // A file system without hard links: the name was free a moment ago.
            Err(_) if rustix::fs::statat(dir, to, AtFlags::SYMLINK_NOFOLLOW).is_err() => {
                rustix::fs::renameat(dir, name.as_os_str(), dir, to).map_err(io::Error::from)
            }
            Err(e) => Err(e.into()),
        },
    }
}

/// Names every file; a failure removes the names already given.
pub(super) fn commit_new(slots: &[&Slot<'_>], temps: Vec<Temp>) -> Result<()> {
    let mut committed: Vec<&Slot> = Vec::new();
    for (s, temp) in slots.iter().zip(temps) {
        if let Err(e) = link_new(&temp, s, &s.name) {
            for c in &committed {
                let _ = rustix::fs::unlinkat(c.dir.fd.as_fd(), c.name.as_os_str(), AtFlags::empty());
            }
            return Err(match e.kind() {
                io::ErrorKind::AlreadyExists => Error::io_msg(&s.f.path, "file exists (use --force to overwrite)"),
                _ => Error::io(&s.f.path, &e),
            });
        }
        committed.push(s);
    }
    sync_dirs(slots);
    Ok(())
}

/// Replaces every file. The old ones stay under other names until all new ones have their
/// names (temp names, or with `keep` their backup names `NAME.bak-STAMP`); a failure part-way
/// puts them back. With `keep` the backups stay and are recorded for [`take_replaced`].
pub(super) fn commit_replacing(slots: &[&Slot<'_>], temps: Vec<Temp>, keep: bool) -> Result<()> {
    let mut named = Vec::with_capacity(temps.len());
    for (s, temp) in slots.iter().zip(temps) {
        named.push(match temp {
            Temp::Anonymous(_) => {
                let name = temp_name(s)?;
                link_new(&temp, s, &name).map_err(|e| Error::io(&s.f.path, &e))?;
                Temp::Named(s.dir.fd.clone(), name)
            }
            named @ Temp::Named(..) => named,
        });
    }
    let mut olds: Vec<Option<Temp>> = Vec::with_capacity(slots.len());
    for s in slots {
        olds.push(if s.stat(false).is_some() { Some(set_aside(s, keep)?) } else { None });
    }
    for (i, (s, new)) in slots.iter().zip(&named).enumerate() {
        let Temp::Named(_, from) = new else { continue };
        let dir = s.dir.fd.as_fd();
        if let Err(e) = rustix::fs::renameat(dir, from.as_os_str(), dir, s.name.as_os_str()) {
            for (g, old) in slots.iter().zip(&mut olds).take(i) {
                let gdir = g.dir.fd.as_fd();
                let _ = match old.take() {
                    Some(mut old) => rustix::fs::renameat(gdir, old.disarm().as_os_str(), gdir, g.name.as_os_str()),
                    None => rustix::fs::unlinkat(gdir, g.name.as_os_str(), AtFlags::empty()),
                };
            }
            return Err(Error::io(&s.f.path, &io::Error::from(e)));
        }
    }
    if keep {
        for (s, old) in slots.iter().zip(&mut olds) {
            if let Some(mut old) = old.take() {
                let backup = s.f.path.with_file_name(old.disarm());
                record(s.f.path.clone(), backup, s.f.is_secret());
            }
        }
    }
    sync_dirs(slots);
    Ok(())
}

/// Gives the file at `s`'s name a second name (link(2) without following: a symlink is kept as
/// the link it is): a hidden temp name, or with `keep` the first free `NAME.bak-STAMP[.N]`.
fn set_aside(s: &Slot<'_>, keep: bool) -> Result<Temp> {
    let dir = s.dir.fd.as_fd();
    let link = |name: &OsStr| rustix::fs::linkat(dir, s.name.as_os_str(), dir, name, AtFlags::empty());
    if !keep {
        let name = temp_name(s)?;
        link(&name).map_err(|e| Error::io(&s.f.path, &io::Error::from(e)))?;
        return Ok(Temp::Named(s.dir.fd.clone(), name));
    }
    let stamp = crate::validity::format_time(crate::validity::now()).replace([':', '-'], "");
    for n in 1..1000 {
        let mut name = s.name.clone();
        name.push(if n == 1 { format!(".bak-{stamp}") } else { format!(".bak-{stamp}.{n}") });
        match link(&name) {
            Ok(()) => return Ok(Temp::Named(s.dir.fd.clone(), name)),
            Err(rustix::io::Errno::EXIST) => continue,
            Err(e) => return Err(Error::io(&s.f.path, &io::Error::from(e))),
        }
    }
    Err(Error::io_msg(&s.f.path, "no free name for a backup of the old file"))
}

impl Temp {
    /// The temp name, which is no longer removed on drop (it was renamed, or is kept).
    fn disarm(&mut self) -> OsString {
        match self {
            Temp::Named(_, name) => std::mem::take(name),
            Temp::Anonymous(_) => OsString::new(),
        }
    }
}

/// A file `--force` replaced, and where the old one is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaced {
    /// The name written.
    pub path: PathBuf,
    /// The old file's new name beside it.
    pub backup: PathBuf,
    /// The old file was a secret (a private key, a kubeconfig holding one).
    pub secret: bool,
}

/// Replacements this process made keeping a backup, not yet said; the binary says them once
/// its command is done ([`take_replaced`]).
static REPLACED: Mutex<Vec<Replaced>> = Mutex::new(Vec::new());

fn record(path: PathBuf, backup: PathBuf, secret: bool) {
    if let Ok(mut r) = REPLACED.lock() {
        r.push(Replaced { path, backup, secret });
    }
}

/// The files replaced (with their backups) since the last call.
pub fn take_replaced() -> Vec<Replaced> {
    REPLACED.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default()
}

pub(super) fn sync_dirs(slots: &[&Slot<'_>]) {
    for d in distinct(slots) {
        let _ = rustix::fs::fsync(d.fd.as_fd());
    }
}
