//! What a command says on the side (warnings, `--explain` lines), handed to the binary, which
//! decides how to print it.

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
