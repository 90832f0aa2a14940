//! `k8s-sign`: sign CSRs. Flags are in [`cli`]; the work is `k8s_pki::cmd::sign`.

pub mod cli;

use std::ffi::OsString;

use k8s_pki::Error;
use k8s_pki::error::Refusal;

/// Runs `k8s-sign` with these arguments and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args = k8s_pki_cli::respell(args, cli::SPELLINGS);
    let cli: cli::Cli = k8s_pki_cli::parse(cli::command(), args.clone());
    let mut warn = |n: k8s_pki::cmd::Note<'_>| k8s_pki_cli::note("k8s-sign", n);
    let result = cli.options().and_then(|o| k8s_pki::cmd::sign::run(&o, &mut warn));
    k8s_pki_cli::finish("k8s-sign", result.map_err(|e| corrected(e, &args)))
}

/// A CSR that requests no usages: the refusal names the command that signs it, as it was typed
/// plus the flag it needs (the signer decides usages; k8s-pki does not guess them).
fn corrected(error: Error, args: &[OsString]) -> Error {
    match error {
        Error::Refused(Refusal::NoUsages(_)) => {
            let words: Vec<String> = std::iter::once("k8s-sign".to_string())
                .chain(args.iter().skip(1).map(|a| k8s_pki::explain::sh(&a.to_string_lossy())))
                .collect();
            let command = words.join(" ");
            Error::refused_as(
                Refusal::NoUsages,
                format!(
                    "{}; the signer decides, e.g. for a client: {command} --usage client (a server: --usage server; kubeadm's: --profile NAME)",
                    k8s_pki::issue::NO_USAGES
                ),
            )
        }
        other => other,
    }
}
