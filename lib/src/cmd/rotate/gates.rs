//! The gates of a step: what must hold before it runs (the phase it follows, the operator's
//! confirmations, the service-account soak, a passing audit, every edge of the transition, the
//! kubelets' own client certificates before distrust), and refusing or forcing past them.

use super::facts;
use super::options::Options;
use crate::error::{Error, Result};
use crate::rotation::change::Change;
use crate::rotation::gate::{View, transition};
use crate::rotation::material::Material;
use crate::rotation::state::State;
use crate::rotation::tree::Tree;
use crate::rotation::{Phase, Step, Target};

/// What stops a step, one line each.
pub(super) fn gates(
    tree: &Tree,
    state: Option<&State>,
    step: &Step,
    (ms, changes): (&[Material], &[Change]),
    opts: &Options,
    resuming: bool,
) -> Vec<String> {
    let mut missing = Vec::new();
    let phase = state.map(State::phase).transpose().ok().flatten().unwrap_or(Phase::Idle);
    if phase != step.from {
        missing.push(format!("the tree is in {}; `{}` follows {}", phase.word(), step.command, step.from.word()));
    }
    if let Some(word) = step.confirm
        && !opts.confirm.iter().any(|c| c == word)
    {
        missing.push(format!("--confirm {word}: {}", facts::confirm_meaning(word)));
    }
    if step.to == Phase::Distrust
        && let Some(sa) = state.and_then(|s| s.targets.get("sa"))
        && let Some(soaked) = facts::soak_left(sa, opts.now)
    {
        missing.push(format!(
            "the new service-account key has signed for less than minSoak ({}); wait {soaked}",
            facts::duration_words(sa.min_soak.unwrap_or(facts::DEFAULT_MIN_SOAK))
        ));
    }
    for m in ms.iter().filter(|m| step.to == Phase::Prepare && m.old.public == m.new.public) {
        missing.push(format!(
            "the new {} has the old one's key ({}): a rotation needs a new key",
            m.target.name(),
            m.new.id()
        ));
    }
    if step.to == Phase::Distrust
        && let Some(m) = ms.iter().find(|m| m.target == Target::Ca)
    {
        missing.extend(kubelet_gate(tree, m, opts));
    }
    if !resuming {
        let audit_opts = facts::audit_options(opts.now);
        match crate::audit::audit(&tree.root, &audit_opts) {
            Ok(r) if r.status == crate::finding::Status::Fail => {
                let failed = r.files.iter().filter(|f| f.status == crate::finding::Status::Fail).count();
                missing.push(format!(
                    "k8s-verify --pki-dir {} fails ({failed} files): fix the tree first",
                    crate::explain::sh_path(&tree.root)
                ));
            }
            Ok(_) => {}
            Err(e) => missing.push(format!("k8s-verify --pki-dir cannot audit the tree: {e}")),
        }
    }
    let before = View::current(tree, "before the step");
    let after = View::after(tree, changes);
    missing.extend(transition(tree, &[&before, &after], opts.now));
    missing
}

/// Into distrust: every kubelet's own client certificate (a file reference in its kubelet.conf)
/// is signed by the new CA. The kubelet renews it from kube-controller-manager's signer at a
/// random point between 70% and 90% of its lifetime (client-go util/certificate
/// certificate_manager.go, nextRotationDeadline); after distrust the API server refuses an old one.
fn kubelet_gate(tree: &Tree, m: &Material, opts: &Options) -> Vec<String> {
    let found = crate::rotation::gate::kubelet_clients(tree, m);
    let mut out: Vec<String> = found
        .stale
        .iter()
        .map(|s| {
            format!("{s}: the kubelet's client certificate is not signed by the new CA yet; kube-apiserver refuses it after distrust")
        })
        .collect();
    if !found.elsewhere.is_empty() && !opts.confirm.iter().any(|c| c == KUBELETS_RENEWED) {
        out.push(format!(
            "--confirm {KUBELETS_RENEWED}: {} name a certificate on the node; on each node, `k8s-verify --ca-cert ca.new.crt FILE` (with a copy of pki/rotation/ca.new.crt) must pass",
            found.elsewhere.join(", ")
        ));
    }
    out
}

/// The `--confirm` word for kubelets' own client certificates, checked on their nodes.
const KUBELETS_RENEWED: &str = "kubelet-clients-renewed";

pub(super) fn refuse_or_force(
    missing: &[String],
    opts: &Options,
    note: crate::cmd::note::Warn<'_>,
) -> Result<Option<String>> {
    let Some(first) = missing.first() else {
        return Ok(None);
    };
    for m in missing.iter().skip(1) {
        note(crate::cmd::note::Note::Warning(&format!("gate: {m}")));
    }
    match &opts.force {
        Some(reason) => {
            note(crate::cmd::note::Note::Warning(&format!("gate overridden (--force {reason}): {first}")));
            Ok(Some(reason.clone()))
        }
        None => {
            let more = if missing.len() > 1 { format!(" ({} more above)", missing.len() - 1) } else { String::new() };
            Err(Error::refused_as(crate::error::Refusal::Gate, format!("gate: {first}{more}")))
        }
    }
}
