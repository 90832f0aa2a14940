//! One function per command: what each binary does once its flags are parsed.
//!
//! Each submodule has an `Options` struct (plain data the binary fills from clap) and a
//! `run` function. Warnings go to a callback so the binary decides how to print them.

pub mod csr;
pub mod genkey;
pub mod kubeconfig;
pub mod sign;
pub mod verify;

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
