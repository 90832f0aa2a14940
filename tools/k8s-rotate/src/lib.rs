//! `k8s-rotate`: staged CA and service-account key rotation. Flags are in [`cli`]; the work is
//! `k8s_pki::cmd::rotate`.

pub mod cli;
mod options;

use std::ffi::OsString;

/// Runs `k8s-rotate` with these arguments and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli: cli::Cli = k8s_pki_cli::parse(cli::command(), k8s_pki_cli::respell(args, cli::SPELLINGS));
    let mut note = |n: k8s_pki::cmd::Note<'_>| k8s_pki_cli::note("k8s-rotate", n);
    let result = cli.options().and_then(|o| k8s_pki::cmd::rotate::run(&o, &mut note));
    k8s_pki_cli::finish("k8s-rotate", result.map(|()| Vec::new()))
}
