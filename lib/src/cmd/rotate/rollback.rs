//! `k8s-rotate rollback`: one step back, from any phase before done, or undoing a step that was
//! interrupted, behind the same gate as a step (every certificate before and after verifies
//! against every trust file before and after). It puts back exactly the files the step's record
//! names, from the step's backup (a real directory of the tree, read beneath it), and removes
//! what the step created; killed anywhere, it finishes when run again.

use super::gates::refuse_or_force;
use super::options::Options;
use super::records::{backup_name, clear_leftovers, record_of};
use super::{facts, show};
use crate::error::{Error, Result};
use crate::rotation::changes::{Change, Want};
use crate::rotation::gate::{View, transition};
use crate::rotation::state::{ROLLBACK, State, StepFiles, Undo};
use crate::rotation::tree::Tree;
use crate::rotation::{Phase, Step, material};
use crate::validity::format_time;

/// The step a rollback undoes, and whether a rollback of it was already under way.
fn undone(state: &State) -> Result<(&'static Step, bool)> {
    let resuming = state.applying.as_deref() == Some(ROLLBACK);
    let phase = match (&state.rollback, state.interrupted_step()) {
        (Some(u), _) if resuming => Phase::parse(&u.phase)?,
        (_, Some(step)) => step.to,
        _ => state.phase()?,
    };
    match crate::rotation::step_into(phase).filter(|_| phase != Phase::Done) {
        Some(step) => Ok((step, resuming)),
        None => Err(Error::refused_as(
            crate::error::Refusal::Gate,
            format!("gate: nothing to roll back from {}: the old keys are gone", phase.word()),
        )),
    }
}

/// What the step's record says it wrote; for a state written before records were kept, the
/// files of its backup that the rotation may write.
fn record(tree: &Tree, state: &State, step: &Step, backup: &str) -> StepFiles {
    if let Some(r) = state.steps.get(step.to.word()) {
        return r.clone();
    }
    let universe = tree.universe();
    let replaced = crate::rotation::secrets::walk(tree, backup)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|rel| rel.strip_prefix(&format!("{backup}/")).map(str::to_string))
        .filter(|rel| universe.contains(rel))
        .collect();
    StepFiles { replaced, ..Default::default() }
}

/// The writes that undo `step`: its replaced files put back, what it created removed (the kcm
/// signer stays: it holds the CA that signs again), and for prepare the rotation's material.
fn undo_changes(tree: &Tree, state: &State, step: &Step, resuming: bool) -> Result<Vec<Change>> {
    let interrupted = !resuming && state.interrupted_step().is_some();
    let backup = state.backups.get(step.to.word()).cloned();
    // An interrupted step whose backup was not complete replaced nothing yet.
    let replaced_any = !interrupted || state.backed_up;
    let mut all = Vec::new();
    match backup {
        _ if !replaced_any => {}
        None => {
            return Err(Error::refused_as(
                crate::error::Refusal::Gate,
                format!("gate: no backup of {} recorded", step.to.word()),
            ));
        }
        Some(backup) => {
            let rec = record(tree, state, step, &backup);
            let originals = crate::rotation::backup::originals(tree, &backup, &rec.replaced)?;
            for rel in &rec.replaced {
                // A rollback killed after its writes may have removed the backup's private keys
                // already: those files were put back before that.
                let Some(bytes) = originals.get(rel) else {
                    if resuming {
                        continue;
                    }
                    return Err(Error::io_msg(
                        &tree.root.join(&backup),
                        format!("lacks {rel}, which `{}` replaced: it cannot be put back", step.command),
                    ));
                };
                if tree.read(rel).as_deref() != Some(bytes.as_slice()) {
                    let why = format!("as it was before {}", step.command);
                    all.push(Change::write(rel.clone(), bytes.to_vec(), crate::rotation::backup::mode_of(rel), &why));
                }
            }
            let kept = |r: &&String| *r != crate::kubeadm::wiring::CA_SIGNER && !r.starts_with("pki/rotation/");
            for rel in rec.created.iter().filter(kept) {
                if tree.dir().exists(rel) {
                    all.push(Change::removal(rel.clone(), "the undone step created it"));
                }
            }
        }
    }
    if step.from == Phase::Idle {
        for t in state.target_list() {
            for g in [crate::rotation::Generation::Old, crate::rotation::Generation::New] {
                for what in ["crt", "key"] {
                    let rel = material::file(std::path::Path::new("pki"), t, g, what).display().to_string();
                    if tree.dir().exists(&rel) {
                        all.push(Change::removal(rel, "nothing is signed by the new CA or key yet"));
                    }
                }
            }
        }
    }
    Ok(all)
}

/// Rolls back one step (see the module's text).
pub(super) fn run(tree: &Tree, state: Option<State>, opts: &Options, note: crate::cmd::note::Warn<'_>) -> Result<()> {
    let Some(mut state) = state else {
        let swept = if opts.dry_run { Vec::new() } else { crate::rotation::backup::sweep(tree, &[]) };
        for t in &swept {
            note(crate::cmd::note::Note::Warning(&format!("removed {t}, left by a run that was killed")));
        }
        if !crate::rotation::material::leftovers(tree).is_empty() {
            return clear_leftovers(tree, opts, note);
        }
        if swept.is_empty() {
            return Err(Error::refused_as(crate::error::Refusal::Gate, "gate: no rotation is under way"));
        }
        return Ok(());
    };
    let (step, resuming) = undone(&state)?;
    if !opts.dry_run {
        for t in crate::rotation::backup::sweep(tree, &state.backup_dirs) {
            note(crate::cmd::note::Note::Warning(&format!("removed {t}, left by a run that was killed")));
        }
    }
    let mut all = undo_changes(tree, &state, step, resuming)?;
    if step.to == Phase::IssueClients {
        all = renew_expiring(tree, &state, all, opts)?;
    }
    let forced = gate(tree, &state, step, &all, opts, resuming, note)?;
    show::explain_changes(tree, &all, opts, note);
    let targets = state.target_list();
    let earlier = state.rollback.as_ref().filter(|_| resuming).map(|u| &u.files);
    let files = record_of(tree, &all, earlier);
    let report =
        super::report::StepReport { step, targets: &targets, record: &files, changes: &all, resumed: resuming };
    if opts.dry_run {
        return show::print_step(&report.output(tree, opts, true, None), opts);
    }
    let undo = state.rollback.as_ref().filter(|_| resuming).map(|u| u.backup.clone());
    let undo = undo.unwrap_or_else(|| backup_name(tree, opts.now));
    state.applying = Some(ROLLBACK.into());
    state.rollback = Some(Undo { phase: step.to.word().into(), backup: undo.clone(), files: files.clone() });
    if !state.backup_dirs.contains(&undo) {
        state.backup_dirs.push(undo.clone());
    }
    state.save(&tree.root)?;
    // The rollback's own backup keeps what it replaces for the record: public files only.
    let public: Vec<Change> =
        all.iter().filter(|c| c.rel.ends_with(".crt") || c.rel.ends_with(".pub")).cloned().collect();
    crate::rotation::backup::back_up(tree, &public, &undo)?;
    crate::rotation::backup::write(tree, &all)?;
    // The undone step's backup is consumed: its private keys go now, before the state says the
    // rollback is done (killed in between, the rollback runs again without needing them).
    if let Some(consumed) = state.backups.get(step.to.word()) {
        crate::rotation::backup::remove_secrets(tree, std::slice::from_ref(consumed))?;
    }
    finish_rollback(tree, state, step, forced, opts)?;
    show::print_step(&report.output(tree, opts, true, None), opts)
}

/// The gates of a rollback: the SA soak when the new key would leave `sa.pub`, and the
/// transition (skipped when finishing an interrupted rollback, which was gated already).
fn gate(
    tree: &Tree,
    state: &State,
    step: &Step,
    all: &[Change],
    opts: &Options,
    resuming: bool,
    note: crate::cmd::note::Warn<'_>,
) -> Result<Option<String>> {
    if resuming {
        return Ok(None);
    }
    let mut missing = Vec::new();
    // Only going back to idle drops the new SA key from sa.pub: before that it stays trusted.
    if step.from == Phase::Idle
        && let Some(sa) = state.targets.get("sa")
        && sa.signing_since.is_some()
        && let Some(left) = facts::soak_left(sa, opts.now)
    {
        missing.push(format!(
            "tokens signed by the new service-account key stay valid: wait {left} (minSoak) before dropping it"
        ));
    }
    let before = View::current(tree, "before the rollback");
    let mut after = View::after(tree, all);
    after.label = "after the rollback";
    missing.extend(transition(tree, &[&before, &after], opts.now));
    refuse_or_force(&missing, opts, note)
}

/// Records the rollback as done: the state goes back a phase, or, back at idle, is removed after
/// every private key the rotation's backups held.
fn finish_rollback(tree: &Tree, mut state: State, step: &Step, forced: Option<String>, opts: &Options) -> Result<()> {
    if step.from == Phase::Idle {
        // The keys first, the state last: killed in between, the rollback runs again.
        crate::rotation::backup::remove_secrets(tree, &state.backup_dirs)?;
        crate::rotation::backup::remove(tree, &format!("pki/{}", crate::rotation::state::FILE))?;
        return Ok(());
    }
    state.enter(step.from, &format_time(opts.now));
    state.applying = None;
    state.rollback = None;
    state.backed_up = false;
    state.backups.remove(step.to.word());
    state.steps.remove(step.to.word());
    if let Some(reason) = forced {
        for t in state.targets.values_mut() {
            t.forced.push(format!("rollback: {reason}"));
        }
    }
    state.save(&tree.root)
}

/// A client certificate put back by the rollback of issue/clients that expires within this long
/// is re-issued from the old CA instead (the audit's default warning window).
const RENEW_WITHIN: i64 = 30 * 86_400;

/// `all` (the files put back), with each old client certificate among them that expires within
/// [`RENEW_WITHIN`] re-issued from the old CA: going back must not bring back a certificate about
/// to expire.
fn renew_expiring(tree: &Tree, state: &State, mut all: Vec<Change>, opts: &Options) -> Result<Vec<Change>> {
    let restored = tree.with_changes(&all);
    let put_back: std::collections::HashSet<String> = all.iter().map(|c| c.rel.clone()).collect();
    let leaves = opts.leaves();
    let want = Want {
        phase: Phase::Prepare,
        keep_keys: leaves.keep_keys,
        lifetime: leaves.lifetime,
        now: opts.now,
        renew_within: RENEW_WITHIN,
        not_before: crate::audit::release_of_tree(tree.dir()).leaf_not_before,
    };
    for t in state.target_list() {
        let m = material::Material::load(tree.dir(), t)?;
        for c in crate::rotation::changes::compute(&restored, &m, &want)? {
            let crt = c.rel.strip_suffix(".key").map(|stem| format!("{stem}.crt")).unwrap_or_else(|| c.rel.clone());
            if put_back.contains(&c.rel) || put_back.contains(&crt) {
                all.retain(|x| x.rel != c.rel);
                all.push(c);
            }
        }
    }
    Ok(all)
}
