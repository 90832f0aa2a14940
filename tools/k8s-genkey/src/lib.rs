//! `k8s-genkey`: new private keys. Flags are in [`cli`]; the work is `k8s_pki::cmd::genkey`.

pub mod cli;

use std::ffi::OsString;

/// Runs `k8s-genkey` with these arguments and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli: cli::Cli = k8s_pki_cli::parse(cli::command(), k8s_pki_cli::respell(args, cli::SPELLINGS));
    let mut note = |n: k8s_pki::cmd::Note<'_>| k8s_pki_cli::note("k8s-genkey", n);
    k8s_pki_cli::finish("k8s-genkey", cli.options().and_then(|o| k8s_pki::cmd::genkey::run(&o, &mut note)))
}
