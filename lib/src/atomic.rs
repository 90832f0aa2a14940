//! All-or-nothing file writes: each file is written whole as an unnamed inode (O_TMPFILE, or a
//! hidden temp file where the file system lacks it), 0600 from birth, set to its mode whatever
//! the umask, fsynced, and only then linked or renamed to its name.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// One file to write.
pub struct FileWrite {
    /// Destination.
    pub path: PathBuf,
    /// Permission bits, applied whatever the umask.
    pub mode: u32,
    /// Contents (zeroized on drop).
    pub contents: Zeroizing<Vec<u8>>,
}

/// Writes every file in `files`. Each is first written completely as an unnamed inode in its
/// directory (O_TMPFILE; a named temp file where the file system lacks it), created 0600, set
/// to its mode whatever the umask, and fsynced; only when every file is complete do they get
/// their names. Without `force` an existing file is an error and nothing is written (a hard
/// link never replaces a name), and a failure while naming removes the names already given:
/// all files or none. With `force` each file is replaced by a rename, so each old file stays
/// intact until its new one is complete; a failure part-way leaves the files renamed so far.
///
/// A destination that is not a regular file — `/dev/null`, `/dev/stdout`, a FIFO — is written
/// in place: it is never renamed over (that would replace the device with a file).
pub fn write_files_atomic(files: &[FileWrite], force: bool) -> Result<()> {
    let (special, files): (Vec<&FileWrite>, Vec<&FileWrite>) = files.iter().partition(|f| is_special(&f.path));
    if !force {
        for f in &files {
            if f.path.symlink_metadata().is_ok() {
                return Err(Error::io_msg(&f.path, "file exists (use --force to overwrite)"));
            }
        }
    }
    let mut temps: Vec<Temp> = Vec::new();
    for f in &files {
        temps.push(write_temp(f)?);
    }
    let mut committed: Vec<&Path> = Vec::new();
    for (f, temp) in files.iter().zip(temps) {
        if let Err(e) = commit(temp, &f.path, force) {
            if !force {
                for p in &committed {
                    let _ = fs::remove_file(p);
                }
            }
            return Err(e);
        }
        committed.push(&f.path);
    }
    for f in special {
        let mut out = OpenOptions::new().write(true).open(&f.path).map_err(|e| Error::io(&f.path, &e))?;
        out.write_all(&f.contents).and_then(|()| out.flush()).map_err(|e| Error::io(&f.path, &e))?;
    }
    Ok(())
}

/// Whether `path` names something other than a regular file or directory (a device, a FIFO,
/// a socket), following symlinks such as /dev/stdout.
fn is_special(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
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

fn commit(temp: Temp, dest: &Path, force: bool) -> Result<()> {
    match (&temp, force) {
        (Temp::Anonymous(file), false) => {
            link_anonymous(file, dest).map_err(|e| Error::io(dest, &e))?;
        }
        (Temp::Anonymous(file), true) => {
            // linkat cannot replace a name: give the complete file a temp name, then rename.
            let named = temp_name(&parent_dir(dest), dest)?;
            link_anonymous(file, &named).map_err(|e| Error::io(dest, &e))?;
            let named = Temp::Named(named);
            commit(named, dest, true)?;
        }
        (Temp::Named(path), true) => {
            fs::rename(path, dest).map_err(|e| Error::io(dest, &e))?;
        }
        (Temp::Named(path), false) => match fs::hard_link(path, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(Error::io(dest, &e)),
            Err(_) => {
                if dest.symlink_metadata().is_ok() {
                    return Err(Error::io_msg(dest, "file exists (use --force to overwrite)"));
                }
                fs::rename(path, dest).map_err(|e| Error::io(dest, &e))?;
            }
        },
    }
    drop(temp);
    if let Ok(dir) = File::open(parent_dir(dest)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let files = vec![FileWrite { path: "/dev/null".into(), mode: 0o600, contents: Zeroizing::new(b"k".to_vec()) }];
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
            FileWrite { path: key.clone(), mode: 0o600, contents: Zeroizing::new(b"k".to_vec()) },
            FileWrite { path: crt.clone(), mode: 0o644, contents: Zeroizing::new(b"c".to_vec()) },
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
