//! `k8s-kubeconfig`: kubeconfigs from certificates. Flags are in [`cli`]; the work is
//! `k8s_pki::cmd::kubeconfig`.

pub mod cli;

use std::ffi::OsString;

/// Runs `k8s-kubeconfig` with these arguments and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli: cli::Cli = k8s_pki_cli::parse(cli::command(), k8s_pki_cli::respell(args, cli::SPELLINGS));
    let now = k8s_pki::validity::now();
    let mut note = |n: k8s_pki::cmd::Note<'_>| k8s_pki_cli::note("k8s-kubeconfig", n);
    k8s_pki_cli::finish("k8s-kubeconfig", k8s_pki::cmd::kubeconfig::run(&cli.options(), now, &mut note))
}
