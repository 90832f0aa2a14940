//! A tree's directory as one handle, every path of the tree resolved beneath it: what
//! `/etc/kubernetes`, a copied tree, its backups and a rotation's state are read and written
//! through. Reads open with `openat2(RESOLVE_BENEATH)`: a link inside the tree (relative, as
//! `kubelet-client-current.pem` is) is followed, one leading out of it (at any depth: `pki/etcd`
//! a link to another directory, or one swapped in while the command runs) is reported and never
//! followed. Directories for writes are opened without following any link at all
//! (`RESOLVE_NO_SYMLINKS`). Reads are bounded per file and in total, so a tree of huge or sparse
//! files cannot take unbounded memory.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{Mode, OFlags, ResolveFlags};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The largest file of a tree that is read (kubeconfigs and bundles are a few kilobytes).
pub const MAX_FILE: u64 = 4 * 1024 * 1024;

/// The most a command reads from one tree in all.
pub const MAX_TOTAL: u64 = 64 * 1024 * 1024;

/// What is at a path of the tree.
pub enum Entry {
    /// Nothing.
    Absent,
    /// A regular file, opened for reading.
    File(File),
    /// A directory.
    Dir,
    /// Something that is not read, in words: a FIFO or device, a link out of the tree, a
    /// broken link, a link loop, an unreadable file.
    Refused(String),
}

/// The tree's directory.
pub struct Beneath {
    root: PathBuf,
    dir: OwnedFd,
    read: AtomicU64,
}

const READ_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::NONBLOCK).union(OFlags::NOCTTY).union(OFlags::CLOEXEC);

impl Beneath {
    /// The directory `root` (the path the user named; a link there is followed, as `cd` would).
    pub fn open(root: &Path) -> Result<Beneath> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(root, flags, Mode::empty()).map_err(|e| Error::io(root, &io::Error::from(e)))?;
        Ok(Beneath { root: root.to_path_buf(), dir, read: AtomicU64::new(0) })
    }

    /// The directory as named.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path of the tree as the user sees it (for messages).
    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() || rel == "." { self.root.clone() } else { self.root.join(rel) }
    }

    /// What is at `rel`.
    pub fn entry(&self, rel: &str) -> Entry {
        if let Err(why) = plain(rel) {
            return Entry::Refused(why);
        }
        match rustix::fs::openat2(&self.dir, rel, READ_FLAGS, Mode::empty(), ResolveFlags::BENEATH) {
            Ok(fd) => {
                let file = File::from(fd);
                match file.metadata() {
                    Ok(m) if m.is_file() => Entry::File(file),
                    Ok(m) if m.is_dir() => Entry::Dir,
                    Ok(m) => Entry::Refused(format!("{}, not a regular file: not read", kind_of(&m.file_type()))),
                    Err(e) => Entry::Refused(crate::error::describe_io(&e)),
                }
            }
            Err(e) => self.why_not(rel, e),
        }
    }

    /// Whether `rel` is a regular file to be read (`Ok(false)`: nothing there), or what is
    /// there instead, in words.
    pub fn file(&self, rel: &str) -> std::result::Result<bool, String> {
        match self.entry(rel) {
            Entry::Absent => Ok(false),
            Entry::File(_) => Ok(true),
            Entry::Dir => Err("is a directory, not a regular file: not read".into()),
            Entry::Refused(why) => Err(why),
        }
    }

    /// Whether anything at all is at `rel` (a file, a directory, something refused).
    pub fn exists(&self, rel: &str) -> bool {
        !matches!(self.entry(rel), Entry::Absent)
    }

    /// Whether `rel` is a directory of the tree.
    pub fn is_dir(&self, rel: &str) -> bool {
        matches!(self.entry(rel), Entry::Dir)
    }

    /// The bytes of the regular file at `rel`; `None` when nothing is there. Anything else
    /// (a link out of the tree, a FIFO, a file over [`MAX_FILE`], the tree over [`MAX_TOTAL`])
    /// is an I/O error naming the path.
    pub fn read(&self, rel: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let path = self.path(rel);
        let mut file = match self.entry(rel) {
            Entry::Absent => return Ok(None),
            Entry::File(f) => f,
            Entry::Dir => return Err(Error::io_msg(&path, "is a directory, not a regular file: not read")),
            Entry::Refused(why) => return Err(Error::io_msg(&path, why)),
        };
        let size = file.metadata().map_err(|e| Error::io(&path, &e))?.len();
        if size > MAX_FILE {
            return Err(Error::io_msg(
                &path,
                format!("larger than {} MiB: not a file of a kubeadm tree", MAX_FILE >> 20),
            ));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize));
        (&mut file).take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(|e| Error::io(&path, &e))?;
        if bytes.len() as u64 > MAX_FILE {
            return Err(Error::io_msg(
                &path,
                format!("larger than {} MiB: not a file of a kubeadm tree", MAX_FILE >> 20),
            ));
        }
        let total = self.read.fetch_add(bytes.len() as u64, Ordering::Relaxed) + bytes.len() as u64;
        if total > MAX_TOTAL {
            return Err(Error::io_msg(
                &path,
                format!("the tree's files add up to more than {} MiB: not read further", MAX_TOTAL >> 20),
            ));
        }
        Ok(Some(bytes))
    }

    /// The permission bits of the file at `rel` (through links inside the tree).
    pub fn mode(&self, rel: &str) -> Option<u32> {
        use std::os::unix::fs::PermissionsExt;
        match self.entry(rel) {
            Entry::File(f) => f.metadata().ok().map(|m| m.permissions().mode() & 0o7777),
            _ => None,
        }
    }

    /// The names in the directory `rel` with whether each is a directory (links are listed as
    /// what they are, never followed); empty when `rel` is not a directory of the tree.
    pub fn list(&self, rel: &str) -> Vec<(String, bool)> {
        let Ok(fd) = self.open_dir(rel) else { return Vec::new() };
        let Ok(dir) = rustix::fs::Dir::read_from(&fd) else { return Vec::new() };
        let mut out = Vec::new();
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name == "." || name == ".." {
                continue;
            }
            out.push((name, entry.file_type() == rustix::fs::FileType::Directory));
        }
        out.sort();
        out
    }

    /// The directory `rel` (`""` for the tree itself), opened without following any link on
    /// the way: where a write of the tree goes.
    pub fn open_dir(&self, rel: &str) -> Result<OwnedFd> {
        let rel = if rel.is_empty() { "." } else { rel };
        plain(rel).map_err(|why| Error::io_msg(&self.path(rel), why))?;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rustix::fs::openat2(&self.dir, rel, flags, Mode::empty(), ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS)
            .map_err(|e| self.write_error(rel, e))
    }

    /// [`Beneath::open_dir`], creating what is missing (0755 less the umask) one directory at a
    /// time, each made and then opened without following a link.
    pub fn make_dir(&self, rel: &str) -> Result<OwnedFd> {
        match self.open_dir(rel) {
            Ok(fd) => return Ok(fd),
            Err(_) if rel.is_empty() => return self.open_dir(rel),
            Err(_) => {}
        }
        let mut at = rustix::io::dup(&self.dir).map_err(|e| Error::io(&self.root, &io::Error::from(e)))?;
        let mut so_far = PathBuf::new();
        for part in Path::new(rel).components() {
            let Component::Normal(name) = part else { continue };
            so_far.push(name);
            match rustix::fs::mkdirat(&at, name, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(Error::io(&self.root.join(&so_far), &io::Error::from(e))),
            }
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
            at = rustix::fs::openat2(&at, name, flags, Mode::empty(), resolve)
                .map_err(|e| self.write_error(&so_far.display().to_string(), e))?;
        }
        Ok(at)
    }

    fn write_error(&self, rel: &str, e: rustix::io::Errno) -> Error {
        let path = self.path(rel);
        match e {
            rustix::io::Errno::LOOP | rustix::io::Errno::XDEV => match self.link_on_the_way(rel) {
                Some((link, to)) => Error::io_msg(
                    &path,
                    format!("{link} is a symbolic link (to {to}): nothing is written through a link"),
                ),
                None => Error::io_msg(&path, "a symbolic link on the way: nothing is written through a link"),
            },
            e => Error::io(&path, &io::Error::from(e)),
        }
    }

    /// Why `rel` could not be opened beneath the tree, in the words the audit prints.
    fn why_not(&self, rel: &str, e: rustix::io::Errno) -> Entry {
        use rustix::io::Errno;
        let link = self.link_on_the_way(rel);
        let named = |link: &str, what: String| {
            if link == rel { what } else { format!("{link} {what}") }
        };
        match (e, link) {
            (Errno::NOENT, None) => Entry::Absent,
            (Errno::NOENT, Some((l, to))) => Entry::Refused(named(&l, format!("is a broken symbolic link (to {to})"))),
            (Errno::XDEV, Some((l, to))) => {
                Entry::Refused(named(&l, format!("is a symbolic link out of the tree (to {to}): not followed")))
            }
            (Errno::LOOP, Some((l, to))) => Entry::Refused(named(&l, format!("is a symbolic link loop (to {to})"))),
            (Errno::XDEV, None) => Entry::Refused("leads out of the tree: not followed".into()),
            (Errno::NOTDIR, _) => Entry::Refused("a part of its path is not a directory".into()),
            (e, _) => Entry::Refused(crate::error::describe_io(&io::Error::from(e))),
        }
    }

    /// The first symbolic link among the parts of `rel`, and where it points (sanitised), read
    /// without following anything.
    fn link_on_the_way(&self, rel: &str) -> Option<(String, String)> {
        let mut so_far = PathBuf::new();
        for part in Path::new(rel).components() {
            let Component::Normal(name) = part else { continue };
            so_far.push(name);
            let at = so_far.display().to_string();
            let (parent, leaf) = match so_far.parent().map(|p| p.display().to_string()) {
                Some(p) if !p.is_empty() => (self.open_dir(&p).ok()?, name),
                _ => (rustix::io::dup(&self.dir).ok()?, name),
            };
            let stat = rustix::fs::statat(parent.as_fd(), leaf, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).ok()?;
            if rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Symlink {
                let to = rustix::fs::readlinkat(parent.as_fd(), leaf, Vec::new()).ok()?;
                return Some((at, crate::term::sanitize(&to.to_string_lossy())));
            }
        }
        None
    }
}

/// "is a FIFO", "is a directory", ... for a file that is not a regular file.
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "is a directory"
    } else if t.is_fifo() {
        "is a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "is a device"
    } else if t.is_socket() {
        "is a socket"
    } else {
        "is not a regular file"
    }
}

/// A path inside the tree: relative, without `..`, without NUL.
fn plain(rel: &str) -> std::result::Result<(), String> {
    let p = Path::new(rel);
    if rel.contains('\0') || p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!("'{}' is not a path inside the tree", crate::term::sanitize(rel)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn links_inside_are_followed_and_links_out_are_named_at_any_depth() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("ca.crt"), "outside").expect("write");
        let t = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(t.path().join("pki")).expect("mkdir");
        std::fs::write(t.path().join("pki/real.crt"), "inside").expect("write");
        symlink("real.crt", t.path().join("pki/in.crt")).expect("link");
        symlink(outside.path(), t.path().join("pki/etcd")).expect("link");
        symlink("gone", t.path().join("pki/broken.crt")).expect("link");
        let b = Beneath::open(t.path()).expect("open");
        assert_eq!(b.read("pki/in.crt").expect("read").expect("there").as_slice(), b"inside");
        let why = b.file("pki/etcd/ca.crt").expect_err("out");
        assert!(why.starts_with("pki/etcd is a symbolic link out of the tree (to /"), "{why}");
        assert!(b.file("pki/broken.crt").expect_err("broken").contains("broken symbolic link (to gone)"));
        assert!(!b.file("pki/none.crt").expect("absent"));
        assert!(b.file("../x").expect_err("escape").contains("not a path inside the tree"));
        let err = b.make_dir("pki/etcd/sub").expect_err("through a link").to_string();
        assert!(err.contains("pki/etcd is a symbolic link"), "{err}");
        assert!(!outside.path().join("sub").exists(), "nothing made outside");
    }

    #[test]
    fn reads_are_bounded_per_file() {
        let t = tempfile::tempdir().expect("tempdir");
        let f = File::create(t.path().join("big")).expect("create");
        f.set_len(MAX_FILE + 1).expect("sparse");
        let b = Beneath::open(t.path()).expect("open");
        assert!(b.read("big").expect_err("too big").to_string().contains("larger than 4 MiB"));
    }
}
