//! `k8s-verify`: checks, inspection and audits. Flags are in [`cli`]; the work is
//! `k8s_pki::cmd::verify`.

pub mod cli;

use std::ffi::OsString;

/// Runs `k8s-verify` with these arguments and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli: cli::Cli = k8s_pki_cli::parse(cli::command(), k8s_pki_cli::respell(args, cli::SPELLINGS));
    let mut note = |n: k8s_pki::cmd::Note<'_>| k8s_pki_cli::note("k8s-verify", n);
    k8s_pki_cli::finish("k8s-verify", k8s_pki::cmd::verify::run(&cli.options(), &mut note).map(|()| Vec::new()))
}
