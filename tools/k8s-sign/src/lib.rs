//! `k8s-sign`: sign CSRs. Flags are in [`cli`]; the work is `k8s_pki::cmd::sign`.

pub mod cli;

use std::ffi::OsString;

/// Runs `k8s-sign` with these arguments and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli: cli::Cli = k8s_pki_cli::parse(cli::command(), args);
    let mut warn = |n: k8s_pki::cmd::Note<'_>| k8s_pki_cli::note("k8s-sign", n);
    k8s_pki_cli::finish("k8s-sign", cli.options().and_then(|o| k8s_pki::cmd::sign::run(&o, &mut warn)))
}
