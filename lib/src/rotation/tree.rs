//! A kubeadm tree as a rotation sees it: its directory (read beneath it), its extra nodes, the
//! leaves the layout places there, and every file a rotation may read or write.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::change::Change;
use super::{Generation, Target};
use crate::error::{Error, Result};
use crate::kubeadm::profile::{Location, PROFILES, Profile};
use crate::pem::Kind;
use crate::usage::Usage;

/// A kubeadm tree: the directory holding `pki/` and the kubeconfigs, and its extra nodes
/// (`nodes/NAME/`). Every file is read beneath it ([`crate::beneath`]): a link that leads out of
/// the tree is never followed.
#[derive(Clone)]
pub struct Tree {
    /// The directory.
    pub root: PathBuf,
    /// The extra nodes' names, sorted.
    pub nodes: Vec<String>,
    /// The directory's handle.
    dir: std::sync::Arc<crate::beneath::Beneath>,
    /// Files read as if written already (see [`Tree::with_changes`]).
    overlay: std::collections::HashMap<String, Zeroizing<Vec<u8>>>,
}

/// A certificate of the tree: a `.crt`/`.key` pair or a kubeconfig's client certificate.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// Its file, relative to the tree (`pki/apiserver.crt`, `nodes/n2/kubelet.conf`).
    pub rel: String,
    /// The identity it is.
    pub profile: &'static Profile,
    /// Whether it is a kubeconfig.
    pub kubeconfig: bool,
}

impl Leaf {
    /// Server certificates (etcd's peer certificates too) move a step after clients.
    pub fn server(&self) -> bool {
        self.profile.usages.contains(&Usage::Server)
    }

    /// The key beside a `.crt`.
    pub fn key_rel(&self) -> String {
        format!("{}.key", self.rel.trim_end_matches(".crt"))
    }
}

/// Whether `rel` is a plain path inside a tree: relative, no `.` or `..` part, no empty part, no
/// control character.
pub fn plain_rel(rel: &str) -> bool {
    !rel.is_empty()
        && rel.len() <= 4096
        && !rel.chars().any(crate::term::is_unsafe)
        && rel.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

impl Tree {
    /// The tree at `dir`, which must hold `pki/`. Every file a rotation reads or writes is
    /// looked at first: a link out of the tree, a FIFO or a device where one of them should be,
    /// at any depth, is refused (exit 5) before anything is read or written.
    pub fn open(dir: &Path) -> Result<Tree> {
        let handle = crate::beneath::Beneath::open(dir)?;
        if !handle.is_dir("pki") {
            let why = match handle.entry("pki") {
                crate::beneath::Entry::Refused(why) => format!("pki {why}"),
                _ => "no pki/ directory here: give the directory holding pki/ (/etc/kubernetes)".into(),
            };
            return Err(Error::io_msg(dir, why));
        }
        let nodes = crate::audit::extra_nodes(&handle);
        let tree =
            Tree { root: dir.to_path_buf(), nodes, dir: std::sync::Arc::new(handle), overlay: Default::default() };
        for rel in tree.universe() {
            if let crate::beneath::Entry::Refused(why) = tree.dir.entry(&rel) {
                return Err(Error::io_msg(&tree.root.join(&rel), why));
            }
        }
        Ok(tree)
    }

    /// The directory's handle.
    pub fn dir(&self) -> &crate::beneath::Beneath {
        &self.dir
    }

    /// `pki/`.
    pub fn pki(&self) -> PathBuf {
        self.root.join("pki")
    }

    /// A file of the tree as a word for bash (the `--explain` commands run as printed, from
    /// anywhere; node directory names come from the tree and are quoted).
    pub fn sh(&self, rel: &str) -> String {
        crate::explain::sh_path(&self.root.join(rel))
    }

    /// The tree as it reads once `changes` are written (removals are not modelled: they only
    /// touch `pki/rotation/`), for computing what a step would do after another.
    pub fn with_changes(&self, changes: &[Change]) -> Tree {
        let mut tree = self.clone();
        for c in changes {
            if let Some((bytes, _)) = &c.contents {
                tree.overlay.insert(c.rel.clone(), bytes.clone());
            }
        }
        tree
    }

    /// A file's bytes; `None` when absent or not readable beneath the tree.
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        if let Some(bytes) = self.overlay.get(rel) {
            return Some(bytes.to_vec());
        }
        self.dir.read(rel).ok().flatten().map(|b| b.to_vec())
    }

    /// Whether a regular file is at `rel` (read beneath the tree).
    pub fn has(&self, rel: &str) -> bool {
        self.overlay.contains_key(rel) || self.dir.file(rel).unwrap_or(false)
    }

    /// A private key of the tree; `None` when absent or unreadable.
    pub fn key(&self, rel: &str) -> Option<crate::key::PrivateKey> {
        let text = Zeroizing::new(String::from_utf8(self.read(rel)?).ok()?);
        let block = crate::pem::first_block_of(&text, Kind::Key, rel).ok().flatten()?;
        crate::key::PrivateKey::from_pem_block(&block.label, &block.der, rel).ok()
    }

    /// Every leaf the layout places in this tree, present or not: the main node's, then each
    /// extra node's copies.
    pub fn layout(&self) -> Vec<Leaf> {
        let mut out = Vec::new();
        let file_of = |loc: Location| match loc {
            Location::Pki(stem) => Some(format!("pki/{stem}.crt")),
            Location::Kubeconfig(file) => Some(file.to_string()),
            Location::Elsewhere => None,
        };
        let leaf = |rel: String, profile: &'static Profile, loc: Location| Leaf {
            rel,
            profile,
            kubeconfig: matches!(loc, Location::Kubeconfig(_)),
        };
        for p in PROFILES.iter().filter(|p| !p.is_ca) {
            if let Some(rel) = file_of(p.location) {
                out.push(leaf(rel, p, p.location));
            }
        }
        for node in &self.nodes {
            for p in PROFILES.iter().filter(|p| !p.is_ca) {
                if let Some(loc) = p.per_node
                    && let Some(rel) = file_of(loc)
                {
                    out.push(leaf(format!("nodes/{node}/{rel}"), p, loc));
                }
            }
        }
        out
    }

    /// Every leaf present: the main node's, then each extra node's copies.
    pub fn leaves(&self) -> Vec<Leaf> {
        self.layout().into_iter().filter(|l| self.has(&l.rel)).collect()
    }

    /// Every file a rotation may read or write: the CA files, keys and `sa.*`, the kcm signer,
    /// the rotation's material, and each leaf of the layout with its key. A state file naming
    /// anything else is not followed.
    pub fn universe(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for t in Target::ALL {
            out.insert(t.trust_file());
            out.insert(t.key_file());
            for g in [Generation::Old, Generation::New] {
                for what in ["crt", "key"] {
                    out.insert(super::layout::file(Path::new("pki"), t, g, what).display().to_string());
                }
            }
        }
        out.insert(crate::kubeadm::wiring::CA_SIGNER.to_string());
        for leaf in self.layout() {
            if !leaf.kubeconfig {
                out.insert(leaf.key_rel());
            }
            out.insert(leaf.rel);
        }
        out
    }
}
