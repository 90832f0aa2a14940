//! All-or-nothing file writes: each file is written whole as an unnamed inode (O_TMPFILE, or a
//! hidden temp file where the file system lacks it), 0600 from birth, set to its mode whatever
//! the umask, fsynced, and only then linked or renamed to its name. Writers into the same
//! directory are serialised by a lock on the directory, so two runs writing the same prefix
//! never leave a key from one beside a certificate from the other.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// One file to write.
pub struct FileWrite {
    /// Destination.
    pub path: PathBuf,
    /// Permission bits, applied whatever the umask. A file without group or other bits is a
    /// secret: it is never written to a terminal without `force`.
    pub mode: u32,
    /// Contents (zeroized on drop).
    pub contents: Zeroizing<Vec<u8>>,
    /// The user named this exact path (`--key-out FILE`, `--out FILE`): a device or FIFO found
    /// there is written in place. A name the tool made itself (`PREFIX.key`, a file in a tree)
    /// that turns out to be a device, a FIFO or a link is refused without `force`.
    pub named_by_user: bool,
}

impl FileWrite {
    /// A file whose name the tool chose.
    pub fn new(path: PathBuf, mode: u32, contents: Zeroizing<Vec<u8>>) -> FileWrite {
        FileWrite { path, mode, contents, named_by_user: false }
    }

    /// A file whose exact path the user named.
    pub fn named_by_user(mut self, yes: bool) -> FileWrite {
        self.named_by_user = yes;
        self
    }

    fn is_secret(&self) -> bool {
        self.mode & 0o077 == 0
    }
}

/// Where one write goes.
enum Target<'a> {
    /// A device or FIFO named by the user, written in place (never renamed over).
    InPlace(&'a FileWrite),
    /// A file, written through a temp file and given its name at the end.
    File(&'a FileWrite),
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
    let mut targets = Vec::with_capacity(files.len());
    for f in files {
        targets.push(classify(f, force)?);
    }
    let mut devices = Vec::new();
    for t in &targets {
        if let Target::InPlace(f) = t {
            devices.push((f, open_device(f, force)?));
        }
    }
    let regular: Vec<&FileWrite> =
        targets.iter().filter_map(|t| if let Target::File(f) = t { Some(*f) } else { None }).collect();
    let _locks = lock_dirs(&regular)?;
    remove_stale_temps(&regular);
    let mut temps: Vec<Temp> = Vec::new();
    for f in &regular {
        temps.push(write_temp(f)?);
    }
    for (f, mut out) in devices {
        out.write_all(&f.contents).and_then(|()| out.flush()).map_err(|e| Error::io(&f.path, &e))?;
    }
    if force { commit_replacing(&regular, temps) } else { commit_new(&regular, temps) }
}

/// Decides how `f` is written, refusing what must not be written at all.
fn classify(f: &FileWrite, force: bool) -> Result<Target<'_>> {
    let Ok(here) = f.path.symlink_metadata() else {
        return Ok(Target::File(f));
    };
    let followed = fs::metadata(&f.path);
    if f.named_by_user && followed.as_ref().is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Ok(Target::InPlace(f));
    }
    if force {
        return Ok(Target::File(f));
    }
    let what = if here.file_type().is_symlink() {
        "is a symbolic link"
    } else if here.is_file() || here.is_dir() {
        return Err(Error::io_msg(&f.path, "file exists (use --force to overwrite)"));
    } else {
        crate::input::kind_of(&here.file_type())
    };
    Err(Error::io_msg(&f.path, format!("{what}, not a file (use --force to replace it)")))
}

/// Opens a device or FIFO the user named. A secret never goes to a terminal without `force`,
/// whatever the path that leads there (`/dev/tty`, `/dev/stdout`, `/dev/pts/N`).
fn open_device(f: &FileWrite, force: bool) -> Result<File> {
    let out = OpenOptions::new().write(true).open(&f.path).map_err(|e| Error::io(&f.path, &e))?;
    if f.is_secret() && out.is_terminal() && !force {
        return Err(Error::refused(format!(
            "refusing to write a private key to a terminal ({}); name a file, pipe the output, or pass --force",
            crate::term::sanitize(&f.path.display().to_string())
        )));
    }
    Ok(out)
}

/// Exclusive locks on the directories of `files` (flock on the directory itself: nothing is
/// left behind), taken in one order so that two writers never wait on each other.
fn lock_dirs(files: &[&FileWrite]) -> Result<Vec<File>> {
    let mut locks = Vec::new();
    for dir in dirs_of(files) {
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
        let handle = File::open(&dir).map_err(|e| Error::io(&dir, &e))?;
        rustix::fs::flock(&handle, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| Error::io(&dir, &io::Error::from(e)))?;
        locks.push(handle);
    }
    Ok(locks)
}

/// Removes `.NAME.XXXXXXXXXXXX.tmp` files beside the files to write: what a run killed between
/// writing and naming left (called under the directories' locks, so no live run owns them).
/// Each directory is read once.
fn remove_stale_temps(files: &[&FileWrite]) {
    for dir in dirs_of(files) {
        let names: Vec<String> = files
            .iter()
            .filter(|f| parent_dir(&f.path) == dir)
            .filter_map(|f| f.path.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .collect();
        let ours = |file: &str| {
            names.iter().any(|name| {
                let rest = file.strip_prefix(&format!(".{name}.")).and_then(|r| r.strip_suffix(".tmp"));
                rest.is_some_and(|r| r.len() == 12 && r.bytes().all(|b| b.is_ascii_hexdigit()))
            })
        };
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let stale = ours(&entry.file_name().to_string_lossy()) && entry.file_type().is_ok_and(|t| t.is_file());
            if stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// The directories of `files`, each once, in one order.
fn dirs_of(files: &[&FileWrite]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = files.iter().map(|f| parent_dir(&f.path)).collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A complete file waiting for its name.
enum Temp {
    /// An unnamed inode (O_TMPFILE), gone if we die before naming it.
    Anonymous(File),
    /// A hidden temp file, removed on drop unless renamed.
    Named(PathBuf),
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Temp::Named(p) = self {
            let _ = fs::remove_file(p);
        }
    }
}

fn temp_name(dir: &Path, dest: &Path) -> Result<PathBuf> {
    let name = dest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|_| Error::io_msg(dest, "no randomness for a temp file"))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(dir.join(format!(".{name}.{suffix}.tmp")))
}

fn fill(mut file: &File, f: &FileWrite) -> io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(f.mode))?;
    file.write_all(&f.contents)?;
    file.sync_all()
}

fn write_temp(f: &FileWrite) -> Result<Temp> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    let dir = parent_dir(&f.path);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    if let Ok(fd) = openat(CWD, &dir, flags, Mode::from_raw_mode(0o600)) {
        let file = File::from(fd);
        fill(&file, f).map_err(|e| Error::io(&f.path, &e))?;
        return Ok(Temp::Anonymous(file));
    }
    let path = temp_name(&dir, &f.path)?;
    let file =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(|e| Error::io(&f.path, &e))?;
    // Owned from here: a name we did not create is never removed.
    let temp = Temp::Named(path);
    // On error `temp` is dropped and removes the partial file; the message names the destination.
    fill(&file, f).map_err(|e| Error::io(&f.path, &e))?;
    Ok(temp)
}

fn link_anonymous(file: &File, dest: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(rustix::fs::CWD, proc_path.as_str(), rustix::fs::CWD, dest, rustix::fs::AtFlags::SYMLINK_FOLLOW)
        .map_err(io::Error::from)
}

/// Gives `temp` the name `dest`, which must not exist.
fn link_new(temp: &Temp, dest: &Path) -> Result<()> {
    match temp {
        Temp::Anonymous(file) => link_anonymous(file, dest).map_err(|e| Error::io(dest, &e)),
        Temp::Named(path) => match fs::hard_link(path, dest) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::io(dest, &e)),
            Err(_) if dest.symlink_metadata().is_ok() => {
                Err(Error::io_msg(dest, "file exists (use --force to overwrite)"))
            }
            // A file system without hard links: the name was free a moment ago.
            Err(_) => fs::rename(path, dest).map_err(|e| Error::io(dest, &e)),
        },
    }
}

/// Names every file; a failure removes the names already given.
fn commit_new(files: &[&FileWrite], temps: Vec<Temp>) -> Result<()> {
    let mut committed: Vec<&Path> = Vec::new();
    for (f, temp) in files.iter().zip(temps) {
        if let Err(e) = link_new(&temp, &f.path) {
            for p in &committed {
                let _ = fs::remove_file(p);
            }
            return Err(e);
        }
        committed.push(&f.path);
    }
    sync_dirs(files);
    Ok(())
}

/// Replaces every file. The old ones stay under temp names until all new ones have their
/// names; a failure part-way puts them back.
fn commit_replacing(files: &[&FileWrite], temps: Vec<Temp>) -> Result<()> {
    let mut named = Vec::with_capacity(temps.len());
    for (f, temp) in files.iter().zip(temps) {
        named.push(match temp {
            Temp::Anonymous(_) => {
                let name = temp_name(&parent_dir(&f.path), &f.path)?;
                link_new(&temp, &name)?;
                Temp::Named(name)
            }
            named @ Temp::Named(_) => named,
        });
    }
    let mut olds: Vec<Option<Temp>> = Vec::with_capacity(files.len());
    for f in files {
        olds.push(if f.path.symlink_metadata().is_ok() {
            let name = temp_name(&parent_dir(&f.path), &f.path)?;
            // link(2) without following: a symlink is kept as the link it is.
            fs::hard_link(&f.path, &name).map_err(|e| Error::io(&f.path, &e))?;
            Some(Temp::Named(name))
        } else {
            None
        });
    }
    for (i, (f, new)) in files.iter().zip(&named).enumerate() {
        let Temp::Named(from) = new else { continue };
        if let Err(e) = fs::rename(from, &f.path) {
            for (g, old) in files.iter().zip(&olds).take(i) {
                let _ = match old {
                    Some(Temp::Named(o)) => fs::rename(o, &g.path),
                    _ => fs::remove_file(&g.path),
                };
            }
            return Err(Error::io(&f.path, &e));
        }
    }
    sync_dirs(files);
    Ok(())
}

fn sync_dirs(files: &[&FileWrite]) {
    for f in files {
        if let Ok(dir) = File::open(parent_dir(&f.path)) {
            let _ = dir.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
