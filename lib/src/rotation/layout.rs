//! Where a target's material lives: `pki/rotation/TARGET.GENERATION.{crt,pub,key}`.

use std::path::{Path, PathBuf};

use super::{Generation, Target};

/// The directory under `pki/`.
pub const DIR: &str = "rotation";

/// The file of a target's generation under `pki/rotation/`: `crt` (or `pub` for `sa`) or `key`.
pub fn file(pki: &Path, target: Target, generation: Generation, what: &str) -> PathBuf {
    let what = if target == Target::Sa && what == "crt" { "pub" } else { what };
    pki.join(DIR).join(format!("{}.{}.{what}", target.name(), generation.word()))
}
