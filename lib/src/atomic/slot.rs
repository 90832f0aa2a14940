//! What is written where: a file to write (its path, mode, contents, whose name it is) and the
//! directory it goes into, opened once.

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::AtFlags;
use zeroize::Zeroizing;

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
    /// The tree the file belongs to, and its path there: its directory is opened beneath the
    /// tree, never through a link.
    pub(super) tree: Option<(PathBuf, String)>,
}

impl FileWrite {
    /// A file whose name the tool chose.
    pub fn new(path: PathBuf, mode: u32, contents: Zeroizing<Vec<u8>>) -> FileWrite {
        FileWrite { path, mode, contents, named_by_user: false, tree: None }
    }

    /// A file of the tree at `root`, at `rel` in it: written into its directory as opened beneath
    /// the tree without following any link (a link on the way is an error, nothing is written).
    pub fn in_tree(root: &Path, rel: &str, mode: u32, contents: Zeroizing<Vec<u8>>) -> FileWrite {
        let tree = Some((root.to_path_buf(), rel.to_string()));
        FileWrite { path: root.join(rel), mode, contents, named_by_user: false, tree }
    }

    /// A file whose exact path the user named.
    pub fn named_by_user(mut self, yes: bool) -> FileWrite {
        self.named_by_user = yes;
        self
    }

    pub(super) fn is_secret(&self) -> bool {
        self.mode & 0o077 == 0
    }
}

/// A directory, opened once, that files are written into.
#[derive(Clone)]
pub(super) struct Dir {
    pub(super) fd: Arc<OwnedFd>,
    pub(super) path: PathBuf,
    /// Device and inode: the same directory reached twice is locked once.
    pub(super) id: (u64, u64),
}

/// One write: the file, its directory and its name there.
pub(super) struct Slot<'a> {
    pub(super) f: &'a FileWrite,
    pub(super) dir: Dir,
    pub(super) name: OsString,
}

impl Slot<'_> {
    pub(super) fn stat(&self, follow: bool) -> Option<rustix::fs::Stat> {
        let flags = if follow { AtFlags::empty() } else { AtFlags::SYMLINK_NOFOLLOW };
        rustix::fs::statat(self.dir.fd.as_fd(), self.name.as_os_str(), flags).ok()
    }
}

/// The directories of `slots`, each once (by device and inode), in one order.
pub(super) fn distinct(slots: &[&Slot<'_>]) -> Vec<Dir> {
    let mut dirs: Vec<Dir> = Vec::new();
    for s in slots {
        if !dirs.iter().any(|d| d.id == s.dir.id) {
            dirs.push(s.dir.clone());
        }
    }
    dirs.sort_by_key(|d| d.id);
    dirs
}
