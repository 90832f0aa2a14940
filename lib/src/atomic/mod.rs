//! All-or-nothing file writes: each file is written whole as an unnamed inode (O_TMPFILE, or a
//! hidden temp file where the file system lacks it), 0600 from birth, set to its mode whatever
//! the umask, fsynced, and only then linked or renamed to its name. Every operation is made
//! relative to the file's directory, opened once: for a file of a tree ([`FileWrite::in_tree`])
//! that directory is opened beneath the tree without following any link
//! ([`crate::beneath::Beneath::make_dir`]), so nothing is written through a link the tool did not
//! choose. Writers into the same directory are serialised by a lock on the directory, so two runs
//! writing the same prefix never leave a key from one beside a certificate from the other. What a
//! killed run leaves (temp files, some of them holding keys) is removed by the next writer there,
//! overwritten first ([`crate::scrub`]).

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, IsTerminal, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags};

use crate::error::{Error, Result};

mod commit;
mod slot;
pub use commit::{Replaced, take_replaced};
use commit::{Temp, commit_new, commit_replacing, write_temp};
pub use slot::FileWrite;
use slot::{Dir, Slot, distinct};

/// Where one write goes.
enum Target<'a> {
    /// A device or FIFO named by the user, written in place (never renamed over).
    InPlace(&'a Slot<'a>),
    /// A file, written through a temp file and given its name at the end.
    File(&'a Slot<'a>),
}

/// Writes every file in `files`, all or none.
///
/// Each file is first written completely as an unnamed inode in its directory (O_TMPFILE; a
/// named temp file where the file system lacks it), created 0600, set to its mode whatever the
/// umask, and fsynced. Devices and FIFOs the user named are written next, before any file gets
/// its name, so a failing device (`/dev/full`) leaves no file behind. Then the files get their
/// names, under a lock on each directory:
/// - without `force` an existing name is an error and nothing is written (a hard link never
///   replaces a name), and a failure while naming removes the names already given;
/// - with `force` each old file is kept under a temp name until every new file has its name;
///   a failure part-way puts the old files back.
///
/// Temp files a killed run left beside these names are removed under the lock.
pub fn write_files_atomic(files: &[FileWrite], force: bool) -> Result<()> {
    write_files(files, if force { Existing::Replace } else { Existing::Refuse })
}

/// What a write does with a file already at a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// An error; nothing is written.
    Refuse,
    /// Replaced; the old file is removed (the tool's own state and trees, which keep their
    /// own backups).
    Replace,
    /// Replaced, the old file kept beside it as `NAME.bak-STAMP` (`--force` on a file the user
    /// named): [`take_replaced`] says which.
    KeepBackup,
}

/// A user's `--force`: without it an existing file is refused, with it replaced and kept as
/// `NAME.bak-STAMP`.
pub fn user_force(force: bool) -> Existing {
    if force { Existing::KeepBackup } else { Existing::Refuse }
}

/// [`write_files_atomic`] with the choice of what happens to an existing file.
pub fn write_files(files: &[FileWrite], existing: Existing) -> Result<()> {
    let force = existing != Existing::Refuse;
    // A file refused where its directory already is refuses the run before any missing
    // directory of another file is made.
    let found = open_slots(files, false)?;
    for s in &found {
        classify(s, force)?;
    }
    if found.len() == files.len() {
        return write_slots(&found, existing);
    }
    // A run that fails once its directories are made (a file where a directory must be, a
    // device that refuses the bytes) leaves them: removing them by path could remove one that
    // another run has just found and is writing into.
    let slots = open_slots(files, true)?;
    write_slots(&slots, existing)
}

/// Writes the files whose directories are open: all or none.
fn write_slots(slots: &[Slot<'_>], existing: Existing) -> Result<()> {
    let force = existing != Existing::Refuse;
    let mut targets = Vec::with_capacity(slots.len());
    for s in slots {
        targets.push(classify(s, force)?);
    }
    let mut devices = Vec::new();
    for t in &targets {
        if let Target::InPlace(s) = t {
            devices.push((s.f, open_device(s, force)?));
        }
    }
    let regular: Vec<&Slot> =
        targets.iter().filter_map(|t| if let Target::File(s) = t { Some(*s) } else { None }).collect();
    let _locks = lock_dirs(&regular)?;
    // What a run killed between writing and naming left beside these names (under the
    // directories' locks, so no live run owns them).
    for dir in distinct(&regular) {
        let names: Vec<&OsStr> = regular.iter().filter(|s| s.dir.id == dir.id).map(|s| s.name.as_os_str()).collect();
        crate::scrub::sweep_locked(dir.fd.as_fd(), Some(&names));
    }
    let mut temps: Vec<Temp> = Vec::new();
    for s in &regular {
        temps.push(write_temp(s)?);
    }
    for (f, mut out) in devices {
        out.write_all(&f.contents).and_then(|()| out.flush()).map_err(|e| Error::io(&f.path, &e))?;
    }
    match existing {
        Existing::Refuse => commit_new(&regular, temps),
        Existing::Replace => commit_replacing(&regular, temps, false),
        Existing::KeepBackup => commit_replacing(&regular, temps, true),
    }
}

/// Opens the directory of every file once: beneath its tree for a file of a tree, else as
/// named. With `create`, what is missing is made; without, a file whose directory cannot be
/// opened as it is has no slot (the run with `create` says why).
fn open_slots(files: &[FileWrite], create: bool) -> Result<Vec<Slot<'_>>> {
    let mut trees: Vec<(PathBuf, crate::beneath::Beneath)> = Vec::new();
    let mut dirs: Vec<(PathBuf, Dir)> = Vec::new();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let name = f.path.file_name().map(OsStr::to_os_string).ok_or_else(|| Error::io_msg(&f.path, "no file name"))?;
        let parent = parent_dir(&f.path);
        let dir = match dirs.iter().find(|(p, _)| *p == parent) {
            Some((_, d)) => d.clone(),
            None => {
                let fd = match open_dir(f, &parent, &mut trees, create) {
                    Ok(fd) => fd,
                    Err(_) if !create => continue,
                    Err(e) => return Err(e),
                };
                let st = rustix::fs::fstat(&fd).map_err(|e| Error::io(&parent, &io::Error::from(e)))?;
                let dir = Dir { fd: Arc::new(fd), path: parent.clone(), id: (st.st_dev, st.st_ino) };
                dirs.push((parent, dir.clone()));
                dir
            }
        };
        out.push(Slot { f, dir, name });
    }
    Ok(out)
}

/// The directory `parent` of `f`: beneath its tree (opened once in `trees`) for a file of a
/// tree, else as named; made first with `create`.
fn open_dir(
    f: &FileWrite,
    parent: &Path,
    trees: &mut Vec<(PathBuf, crate::beneath::Beneath)>,
    create: bool,
) -> Result<OwnedFd> {
    match &f.tree {
        Some((root, rel)) => {
            if !trees.iter().any(|(r, _)| r == root) {
                trees.push((root.clone(), crate::beneath::Beneath::open(root)?));
            }
            let (_, tree) = trees.iter().find(|(r, _)| r == root).ok_or_else(|| Error::internal("tree"))?;
            let rel_dir = Path::new(rel).parent().map(|p| p.display().to_string()).unwrap_or_default();
            if create { tree.make_dir(&rel_dir) } else { tree.open_dir(&rel_dir) }
        }
        None => {
            if create {
                fs::create_dir_all(parent).map_err(|e| dir_error(parent, &e))?;
            }
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            rustix::fs::open(parent, flags, Mode::empty()).map_err(|e| Error::io(parent, &io::Error::from(e)))
        }
    }
}

/// Decides how a file is written, refusing what must not be written at all.
fn classify<'a>(s: &'a Slot<'a>, force: bool) -> Result<Target<'a>> {
    let Some(here) = s.stat(false) else {
        return Ok(Target::File(s));
    };
    use rustix::fs::FileType;
    let (f, kind) = (s.f, |st: &rustix::fs::Stat| FileType::from_raw_mode(st.st_mode));
    let special = s.stat(true).is_some_and(|m| !matches!(kind(&m), FileType::RegularFile | FileType::Directory));
    if f.named_by_user && f.tree.is_none() && special {
        return Ok(Target::InPlace(s));
    }
    if force {
        return Ok(Target::File(s));
    }
    let what = match kind(&here) {
        FileType::Symlink => "is a symbolic link",
        FileType::RegularFile | FileType::Directory => {
            return Err(Error::io_msg(&f.path, "file exists (use --force to overwrite)"));
        }
        FileType::Fifo => "is a FIFO",
        FileType::Socket => "is a socket",
        _ => "is a device",
    };
    Err(Error::io_msg(&f.path, format!("{what}, not a file (use --force to replace it)")))
}

/// Opens a device or FIFO the user named. A secret never goes to a terminal without `force`,
/// whatever the path that leads there (`/dev/tty`, `/dev/stdout`, `/dev/pts/N`).
fn open_device(s: &Slot<'_>, force: bool) -> Result<File> {
    let f = s.f;
    let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = rustix::fs::openat(s.dir.fd.as_fd(), s.name.as_os_str(), flags, Mode::empty())
        .map_err(|e| Error::io(&f.path, &io::Error::from(e)))?;
    let out = File::from(fd);
    if f.is_secret() && out.is_terminal() && !force {
        return Err(Error::refused_as(
            crate::error::Refusal::Terminal,
            format!(
                "refusing to write a private key to a terminal ({}); name a file, pipe the output, or pass --force",
                crate::term::sanitize(&f.path.display().to_string())
            ),
        ));
    }
    Ok(out)
}

/// Why `parent` could not be made: a file where a directory must be is said as such (mkdir's
/// "file exists" would suggest `--force`, which cannot help).
fn dir_error(parent: &Path, e: &io::Error) -> Error {
    let blocker = parent.ancestors().find(|a| fs::symlink_metadata(a).is_ok());
    match blocker {
        Some(b) if e.kind() == io::ErrorKind::AlreadyExists || !b.is_dir() => {
            Error::io_msg(b, "not a directory: nothing can be written below it")
        }
        _ => Error::io(parent, e),
    }
}

/// Exclusive locks on the directories of `slots` (flock on the directory itself: nothing is
/// left behind), taken in one order so that two writers never wait on each other.
fn lock_dirs(slots: &[&Slot<'_>]) -> Result<Vec<Arc<OwnedFd>>> {
    let mut locks = Vec::new();
    for dir in distinct(slots) {
        lock(&dir.fd, &dir.path)?;
        locks.push(dir.fd.clone());
    }
    Ok(locks)
}

fn lock(fd: &OwnedFd, path: &Path) -> Result<()> {
    rustix::fs::flock(fd, rustix::fs::FlockOperation::LockExclusive).map_err(|e| Error::io(path, &io::Error::from(e)))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use zeroize::Zeroizing;

    #[test]
    fn devices_are_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let files = vec![FileWrite::new("/dev/null".into(), 0o600, Zeroizing::new(b"k".to_vec())).named_by_user(true)];
        write_files_atomic(&files, true).expect("write to /dev/null");
        write_files_atomic(&files, false).expect("no --force needed for a device");
        assert!(fs::metadata("/dev/null").expect("meta").file_type().is_char_device(), "/dev/null is still a device");
    }

    #[test]
    fn atomic_writes_refuse_to_clobber_and_set_modes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("sub/a.key");
        let crt = dir.path().join("sub/a.crt");
        let files = vec![
            FileWrite::new(key.clone(), 0o600, Zeroizing::new(b"k".to_vec())),
            FileWrite::new(crt.clone(), 0o644, Zeroizing::new(b"c".to_vec())),
        ];
        write_files_atomic(&files, false).expect("first write");
        assert_eq!(fs::metadata(&key).expect("key").permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&crt).expect("crt").permissions().mode() & 0o777, 0o644);
        let err = write_files_atomic(&files, false).expect_err("exists");
        assert_eq!(err.exit_code(), 5);
        write_files_atomic(&files, true).expect("forced");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .expect("dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
