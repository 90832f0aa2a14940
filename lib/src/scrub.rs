//! Removing what may hold a secret: a file is renamed to a temp name, overwritten with zeros and
//! synced, then unlinked ([`remove_secret`]); and what a killed run left in a directory (temp
//! files `.NAME.XXXXXXXXXXXX.tmp`, some holding keys) is removed the same way ([`sweep`]), under
//! the directory's lock so that no live writer's temp file is touched.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, Mode, OFlags};

use crate::error::Result;

/// Whether `file` is a temp file of ours: `.NAME.XXXXXXXXXXXX.tmp` (twelve hex digits), for one
/// of `names` when given.
pub(crate) fn is_temp_of(file: &[u8], names: Option<&[&OsStr]>) -> bool {
    let Some(rest) = file.strip_prefix(b".").and_then(|r| r.strip_suffix(b".tmp")) else { return false };
    let Some((name, hex)) = rest.len().checked_sub(13).map(|at| rest.split_at(at)) else { return false };
    let Some(hex) = hex.strip_prefix(b".") else { return false };
    hex.iter().all(u8::is_ascii_hexdigit)
        && !name.is_empty()
        && names.is_none_or(|ns| ns.iter().any(|n| n.as_bytes() == name))
}

pub(crate) fn sweep_locked(dir: std::os::fd::BorrowedFd<'_>, names: Option<&[&OsStr]>) -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(entries) = rustix::fs::Dir::read_from(dir) else { return removed };
    let stale: Vec<OsString> = entries
        .flatten()
        .filter(|e| {
            e.file_type() == rustix::fs::FileType::RegularFile || e.file_type() == rustix::fs::FileType::Unknown
        })
        .map(|e| OsStr::from_bytes(e.file_name().to_bytes()).to_os_string())
        .filter(|n| is_temp_of(n.as_bytes(), names))
        .collect();
    for name in stale {
        if remove_secret(dir, &name).unwrap_or(false) {
            removed.push(name.to_string_lossy().to_string());
        }
    }
    removed
}

/// Removes every temp file a killed run left in the directory `dir` (any name), under the
/// directory's lock, overwriting each first: returns their names.
pub fn sweep(dir: &OwnedFd, path: &Path) -> Result<Vec<String>> {
    rustix::fs::flock(dir, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| crate::error::Error::io(path, &io::Error::from(e)))?;
    Ok(sweep_locked(dir.as_fd(), None))
}

/// Removes the file `name` of the directory `dir`, which may hold a secret: when it is the
/// file's only name it is first renamed to a temp name (so that a run killed part-way leaves no
/// half-erased file under its name, and the next writer there sweeps it), overwritten with zeros
/// and synced, then unlinked. On journaling and copy-on-write file systems and on flash an
/// overwrite does not promise the old blocks are gone, so secrets are also never written where
/// they need not be. A link or anything but a regular file is unlinked without being opened.
/// `Ok(false)` when nothing was there.
pub fn remove_secret(dir: std::os::fd::BorrowedFd<'_>, name: &OsStr) -> io::Result<bool> {
    let stat = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(s) => s,
        Err(rustix::io::Errno::NOENT) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let regular = rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::RegularFile;
    if !regular || stat.st_nlink != 1 {
        rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
        return Ok(true);
    }
    let temp = if is_temp_of(name.as_bytes(), None) {
        name.to_os_string()
    } else {
        let mut suffix = [0u8; 6];
        aws_lc_rs::rand::fill(&mut suffix).map_err(|_| io::Error::other("no randomness for a temp name"))?;
        let mut temp = OsString::from(".");
        temp.push(name);
        temp.push(format!(".{}.tmp", suffix.iter().map(|b| format!("{b:02x}")).collect::<String>()));
        rustix::fs::renameat(dir, name, dir, temp.as_os_str())?;
        temp
    };
    let flags = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, temp.as_os_str(), flags, Mode::empty())?;
    let mut file = File::from(fd);
    let st = rustix::fs::fstat(&file)?;
    if (st.st_dev, st.st_ino) == (stat.st_dev, stat.st_ino) && st.st_nlink == 1 {
        let mut left = st.st_size.max(0) as u64;
        while left > 0 {
            let n = left.min(64 * 1024);
            file.write_all(&vec![0u8; n as usize])?;
            left -= n;
        }
        file.sync_all()?;
    }
    rustix::fs::unlinkat(dir, temp.as_os_str(), AtFlags::empty())?;
    Ok(true)
}
