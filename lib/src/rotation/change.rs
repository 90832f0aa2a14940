//! One write (or removal) a rotation step makes, with what the file holds after it and why.

use zeroize::Zeroizing;

/// One write (or removal) of a step, with what it changes and why.
#[derive(Clone)]
pub struct Change {
    /// The file, relative to the tree.
    pub rel: String,
    /// New contents and mode; `None` removes the file.
    pub contents: Option<(Zeroizing<Vec<u8>>, u32)>,
    /// What it holds after the step, in words.
    pub now: String,
    /// Why the step writes it.
    pub why: String,
    /// The equivalent command (for `--explain`).
    pub pipe: String,
}

impl Change {
    /// A write of `bytes` to `rel`, described by `why`.
    pub fn write(rel: String, bytes: Vec<u8>, mode: u32, why: &str) -> Change {
        Change {
            rel,
            contents: Some((Zeroizing::new(bytes), mode)),
            now: why.into(),
            why: why.into(),
            pipe: String::new(),
        }
    }

    /// The removal of `rel` (overwritten first), described by `why`.
    pub fn removal(rel: String, why: &str) -> Change {
        Change { rel, contents: None, now: "deleted".into(), why: why.into(), pipe: String::new() }
    }
}
