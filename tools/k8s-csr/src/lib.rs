//! `k8s-csr`: certificate signing requests. Flags are in [`cli`]; the work is `k8s_pki::cmd::csr`.

pub mod cli;

use std::ffi::OsString;

/// Runs `k8s-csr` with these arguments and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli: cli::Cli = k8s_pki_cli::parse(cli::command(), k8s_pki_cli::respell(args, cli::SPELLINGS));
    if cli.list_profiles {
        let release = cli.kubernetes_version.unwrap_or_else(k8s_pki::kubeadm::release::newest);
        let table = match cli.output.format {
            k8s_pki_cli::FormatArg::Json => k8s_pki::kubeadm::profile::table_json(release),
            k8s_pki_cli::FormatArg::Pem => k8s_pki::kubeadm::profile::table(release),
        };
        return k8s_pki_cli::finish("k8s-csr", k8s_pki::sink::print(&table).map(|()| Vec::new()));
    }
    let mut warn = |n: k8s_pki::cmd::Note<'_>| k8s_pki_cli::note("k8s-csr", n);
    k8s_pki_cli::finish("k8s-csr", cli.options().and_then(|o| k8s_pki::cmd::csr::run(&o, &mut warn)))
}
