//! k8s-verify's directory modes: the audit of a kubeadm tree (`--pki-dir`, `--expiry`), the
//! trust graph (`--graph`) and the component flags (`--flags`).

use std::path::Path;

use super::options::OutputFormat;
use super::request::{Show, Tree};
use crate::audit::audit;
use crate::error::Result;
use crate::expiry;
use crate::finding::Status;
use crate::kubeadm::wiring::GraphFormat;
use crate::report;
use crate::sink::{print, print_text};

/// `--flags`: the component flags that point at each file of the tree.
pub(super) fn flags(pki_dir: Option<&Path>, show: &Show) -> Result<()> {
    let root = pki_dir.map(|p| p.display().to_string()).unwrap_or_else(|| "/etc/kubernetes".into());
    let (root, ca_signer) = (root.trim_end_matches('/'), has_ca_signer(pki_dir));
    match show.format {
        OutputFormat::Json => print(&crate::kubeadm::wiring::flags_json(root, ca_signer)),
        OutputFormat::Text => print_text(&crate::kubeadm::wiring::flags_text(root, ca_signer)),
    }
}

/// Whether `--pki-dir` holds `pki/ca-signer.crt` (a CA rotation has started): then
/// kube-controller-manager's `--cluster-signing-cert-file` points at it.
fn has_ca_signer(pki_dir: Option<&Path>) -> bool {
    pki_dir
        .and_then(|dir| crate::audit::locate(dir).ok())
        .and_then(|(root, _)| crate::beneath::Beneath::open(&root).ok())
        .is_some_and(|tree| tree.file(crate::kubeadm::wiring::CA_SIGNER) == Ok(true))
}
/// `--graph`: the trust graph, with each file's actual signer when `--pki-dir` is given.
pub(super) fn graph(tree: Option<&Tree>, format: GraphFormat) -> Result<()> {
    let signers = match tree {
        Some(tree) => audit(&tree.dir, &tree.audit)?
            .files
            .iter()
            .map(|f| (f.path.clone(), f.signed_by.clone().unwrap_or_else(|| "unknown CA".into())))
            .collect(),
        None => Vec::new(),
    };
    print_text(&crate::kubeadm::wiring::graph(format, &signers, has_ca_signer(tree.map(|t| t.dir.as_path()))))
}

/// `--pki-dir`: the audit, or with `--expiry` the expiry table; exit 1 on a failure, 6 on
/// warnings only.
pub(super) fn run(tree: &Tree, expiry: bool, show: &Show, note: crate::cmd::note::Warn<'_>) -> Result<()> {
    let mut rep = audit(&tree.dir, &tree.audit)?;
    crate::rotation::report::add_to(&tree.dir, show.at, &mut rep);
    // kubeadm's table stays kubeadm's: the suggestion to renew a CA in place goes to stderr.
    if expiry {
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
    match (expiry, show.format) {
        (true, OutputFormat::Text) => print_text(&expiry::expiry_text(&rep))?,
        (true, OutputFormat::Json) => print(&expiry::expiry_json(&rep))?,
        (false, OutputFormat::Text) => print(&report::audit_text(&rep, show.verbose, &show.paint))?,
        (false, OutputFormat::Json) => print(&report::audit_json(&rep))?,
    }
    let failed = rep.files.iter().filter(|f| f.status == Status::Fail).count();
    crate::finding::exit_for(rep.status, true, || format!("{failed} of {} files failed the audit", rep.files.len()))
}
