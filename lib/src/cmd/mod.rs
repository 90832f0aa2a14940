//! One function per command: what each binary does once its flags are parsed.
//!
//! Each submodule has an `Options` struct (plain data the binary fills from clap) and a
//! `run` function. Warnings go to a callback so the binary decides how to print them.

pub mod csr;
pub mod genkey;
pub mod kubeconfig;
pub mod sign;
pub mod verify;

use std::path::Path;

use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::stream::{Kind, read_blocks};

/// Something a command says on the side, for stderr.
#[derive(Clone, Copy, Debug)]
pub enum Note<'a> {
    /// A warning (printed as `tool: warning: ...`).
    Warning(&'a str),
    /// A line of `--explain` output (printed as is): `# ...` prose, `$ ...` a runnable command.
    Explain(&'a str),
}

/// Where a command's notes go; the binary decides how to print them.
pub type Warn<'a> = &'a mut dyn FnMut(Note<'_>);

/// Reads the first certificate of a file named by a flag (a CA file may hold a chain).
pub fn read_one_cert(path: &Path) -> Result<crate::cert::Cert> {
    let name = path.display().to_string();
    let blocks = read_blocks(path)?;
    let block = blocks.iter().find(|b| b.kind() == Kind::Cert).ok_or_else(|| {
        let found = blocks.first().map(|b| format!(", found a {} block", b.label)).unwrap_or_default();
        Error::input(&name, format!("expected a CERTIFICATE{found}"))
    })?;
    crate::cert::Cert::from_der(&block.der, &name)
}

/// Reads exactly one private key from a file named by a flag.
pub fn read_one_key(path: &Path) -> Result<PrivateKey> {
    let name = path.display().to_string();
    let blocks = read_blocks(path)?;
    let mut keys = blocks.iter().filter(|b| b.kind() == Kind::Key);
    let block = keys.next().ok_or_else(|| {
        let found = blocks.first().map(|b| format!(", found a {} block", b.label)).unwrap_or_default();
        Error::input(&name, format!("expected a private key{found}"))
    })?;
    if keys.next().is_some() {
        return Err(Error::input(&name, "holds two private keys where one is expected"));
    }
    PrivateKey::from_pem_block(&block.label, &block.der, &name)
}
