//! k8s-verify's directory modes: the audit of a kubeadm tree (`--pki-dir`, `--expiry`), the
//! trust graph (`--graph`) and the component flags (`--flags`).

use super::options::{Options, OutputFormat, audit_options};
use crate::audit::audit;
use crate::error::{Error, Result};
use crate::expiry;
use crate::finding::Status;
use crate::report;
use crate::sink::{print, print_text};
use crate::term::Paint;
use crate::wiring::GraphFormat;

/// `--flags`: the component flags that point at each file of the tree.
pub(super) fn flags(opts: &Options) -> Result<()> {
    let root = opts.pki_dir.as_deref().map(|p| p.display().to_string()).unwrap_or_else(|| "/etc/kubernetes".into());
    let (root, ca_signer) = (root.trim_end_matches('/'), has_ca_signer(opts));
    match opts.format {
        OutputFormat::Json => print(&crate::wiring::flags_json(root, ca_signer)),
        OutputFormat::Text => print_text(&crate::wiring::flags_text(root, ca_signer)),
    }
}

/// Whether `--pki-dir` holds `pki/ca-signer.crt` (a CA rotation has started): then
/// kube-controller-manager's `--cluster-signing-cert-file` points at it.
fn has_ca_signer(opts: &Options) -> bool {
    opts.pki_dir
        .as_deref()
        .and_then(|dir| crate::audit::locate(dir).ok())
        .and_then(|(root, _)| crate::beneath::Beneath::open(&root).ok())
        .is_some_and(|tree| tree.file(crate::wiring::CA_SIGNER) == Ok(true))
}
/// `--graph`: the trust graph, with each file's actual signer when `--pki-dir` is given.
pub(super) fn graph(opts: &Options, format: GraphFormat, at: i64, warn_within: i64) -> Result<()> {
    let signers = match &opts.pki_dir {
        Some(dir) => audit(dir, &audit_options(opts, at, warn_within))?
            .files
            .iter()
            .map(|f| (f.path.clone(), f.signed_by.clone().unwrap_or_else(|| "unknown CA".into())))
            .collect(),
        None => Vec::new(),
    };
    print_text(&crate::wiring::graph(format, &signers, has_ca_signer(opts)))
}

/// `--pki-dir`: the audit, or with `--expiry` the expiry table; exit 1 on a failure, 6 on
/// warnings only.
pub(super) fn run(
    opts: &Options,
    at: i64,
    warn_within: i64,
    paint: &Paint,
    note: crate::cmd::note::Warn<'_>,
) -> Result<()> {
    let Some(dir) = &opts.pki_dir else { return Err(Error::usage("--pki-dir is needed")) };
    let mut rep = audit(dir, &audit_options(opts, at, warn_within))?;
    crate::rotation::report::add_to(dir, at, &mut rep);
    // kubeadm's table stays kubeadm's: the suggestion to renew a CA in place goes to stderr.
    if opts.expiry {
        for f in rep.files.iter().filter(|f| f.kind == crate::report::FileKind::Ca) {
            if let (Some(fix), Some(end)) = (&f.fix, f.not_after) {
                note(crate::cmd::note::Note::Warning(&format!(
                    "the CA {} ends {}: renew it in place, keeping its key: {fix}",
                    f.name,
                    crate::validity::format_time(end)
                )));
            }
        }
    }
    // The audit text is coloured, so report.rs sanitises each value before painting; the
    // expiry table has no colour and is sanitised whole.
    match (opts.expiry, opts.format) {
        (true, OutputFormat::Text) => print_text(&expiry::expiry_text(&rep))?,
        (true, OutputFormat::Json) => print(&expiry::expiry_json(&rep))?,
        (false, OutputFormat::Text) => print(&report::audit_text(&rep, opts.verbose, paint))?,
        (false, OutputFormat::Json) => print(&report::audit_json(&rep))?,
    }
    let failed = rep.files.iter().filter(|f| f.status == Status::Fail).count();
    crate::finding::exit_for(rep.status, true, || format!("{failed} of {} files failed the audit", rep.files.len()))
}
