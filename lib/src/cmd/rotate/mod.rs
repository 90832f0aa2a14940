//! `k8s-rotate`: staged rotation of a kubeadm tree's CAs and service-account key. Each step
//! checks its gates, records `applying` and the files it writes in `pki/rotation.json`, backs the
//! originals up, writes atomically and records the new phase last; killed anywhere, it finishes
//! when run again, or `rollback` undoes it.

mod cluster;
mod facts;
mod gates;
mod options;
mod plan;
mod records;
mod report;
mod rollback;
mod show;

pub use options::{Choice, Command, Leaves, Options, PlanArgs, Start, StepArgs};
use records::{backup_name, clear_leftovers, record_of};

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::rotation::changes::{Change, Want};
use crate::rotation::material::{self, Material};
use crate::rotation::state::{State, TargetState};
use crate::rotation::tree::Tree;
use crate::rotation::{Phase, Step, Target};
use crate::validity::format_time;

pub use plan::plan;
pub use show::status;

/// Runs the subcommand.
pub fn run(opts: &Options, note: super::Warn<'_>) -> Result<()> {
    let tree = Tree::open(&opts.pki_dir)?;
    if let Some(node) = &opts.node
        && !facts::nodes(&tree).iter().any(|n| &n.name == node)
    {
        return Err(Error::usage(format!("no node '{}' in this tree", crate::term::sanitize(node))));
    }
    let state = State::load(tree.dir())?;
    match &opts.command {
        Command::Plan(args) => plan(&tree, state.as_ref(), args, opts),
        Command::Status => status(&tree, state.as_ref(), opts),
        Command::Rollback => rollback::run(&tree, state, opts, note),
        Command::Step(step, _) => forward(&tree, state, step, opts, note),
    }
}

/// The targets of the step: the rotation's, or what `prepare` names. A step forced on an idle
/// tree takes every target (only prepare names targets). A new CA given as a file goes with
/// one target, and only before the rotation has begun.
fn targets(state: Option<&State>, opts: &Options) -> Result<Vec<Target>> {
    let start = opts.start();
    let given = start.is_some_and(|s| s.input.is_some());
    let targets = match (state, start) {
        (Some(s), _) => s.target_list(),
        (None, Some(start)) => start.choice.targets()?,
        (None, None) => Target::ALL.to_vec(),
    };
    match state {
        Some(s) if given && s.applying.as_deref() == Some("prepare") => Err(Error::usage(
            "this prepare saved its new CA before it was interrupted: run it again without the CA file to finish it",
        )),
        _ if given && (state.is_some() || targets.len() != 1) => {
            Err(Error::usage("a new CA from a file or stdin goes with prepare and exactly one --target"))
        }
        None if given && targets.iter().any(|t| t.ca().is_none()) => Err(Error::usage(
            "the service-account key is not a CA: a new CA from a file or stdin goes with --target ca, etcd-ca or front-proxy-ca",
        )),
        _ => Ok(targets),
    }
}

/// The material of every target: read from `pki/rotation/` while a rotation is under way, or
/// made by `prepare` (with the writes that keep it there).
fn materials(
    tree: &Tree,
    state: Option<&State>,
    targets: &[Target],
    opts: &Options,
) -> Result<(Vec<Material>, Vec<Change>)> {
    let start = opts.start();
    let kubeadms;
    let new = match start {
        Some(start) => &start.new,
        None => {
            let lifetime = crate::validity::lifetime(None, None, crate::kubeadm::release::CA_DAYS, opts.now)?;
            kubeadms = material::NewOptions { cn: None, same_cn: false, lifetime, algo: None, now: opts.now };
            &kubeadms
        }
    };
    let made = material::Making { input: start.and_then(|s| s.input.as_deref()), new, now: opts.now };
    material::materials(tree, state, targets, &made)
}

/// The writes of the step into `phase` for every target (for finish: what it removes).
pub(super) fn changes(
    tree: &Tree,
    state: Option<&State>,
    ms: &[Material],
    phase: Phase,
    opts: &Options,
) -> Result<Vec<Change>> {
    let leaves = opts.leaves();
    let want = Want {
        phase,
        keep_keys: leaves.keep_keys,
        lifetime: leaves.lifetime,
        now: opts.now,
        renew_within: 0,
        not_before: crate::audit::release_of_tree(tree.dir()).leaf_not_before,
    };
    let mut out = Vec::new();
    for m in ms {
        out.extend(crate::rotation::changes::compute(tree, m, &want)?);
    }
    if phase == Phase::Done {
        out.extend(crate::rotation::secrets::removals(tree, state, ms)?);
    }
    Ok(out)
}

/// Refuses a step while another was interrupted, or before any rotation (unless forced).
fn refuse_out_of_turn(tree: &Tree, state: Option<&State>, step: &Step, opts: &Options) -> Result<bool> {
    let interrupted = state.and_then(|s| s.applying.clone());
    let resuming = interrupted.as_deref() == Some(step.command);
    if let Some(a) = interrupted.filter(|_| !resuming) {
        let dir = crate::explain::sh_path(&tree.root);
        let how = if a == crate::rotation::state::ROLLBACK {
            format!("run `k8s-rotate rollback --pki-dir {dir}` again to finish it")
        } else {
            format!("run it again to finish it, or `k8s-rotate rollback --pki-dir {dir}` to undo it")
        };
        return Err(Error::refused_as(crate::error::Refusal::Gate, format!("gate: `{a}` was interrupted; {how}")));
    }
    if state.is_none() && step.from != Phase::Idle && opts.force.is_none() {
        return Err(Error::refused_as(
            crate::error::Refusal::Gate,
            format!("gate: no rotation is under way; `{}` follows {}", step.command, step.from.word()),
        ));
    }
    Ok(resuming)
}

/// A step run again after it completed (its last write done, the run killed while it cleaned
/// up, or run twice): nothing to write; its report again, from its record.
fn already_done(tree: &Tree, state: &State, step: &'static Step, opts: &Options, note: super::Warn<'_>) -> Result<()> {
    note(crate::cmd::note::Note::Warning(&format!(
        "`{}` is done already (the tree is in {}): nothing written",
        step.command,
        step.to.word()
    )));
    let record = state.steps.get(step.to.word()).cloned().unwrap_or_default();
    let targets = state.target_list();
    let report = report::StepReport { step, targets: &targets, record: &record, changes: &[], resumed: false };
    let kept = (step.to == Phase::Done).then(|| crate::rotation::secrets::kept(tree, state));
    show::print_step(&report.output(tree, opts, false, kept), opts)
}

fn forward(
    tree: &Tree,
    state: Option<State>,
    step: &'static Step,
    opts: &Options,
    note: super::Warn<'_>,
) -> Result<()> {
    if let Some(s) = &state
        && s.applying.is_none()
        && s.phase().ok() == Some(step.to)
    {
        if !opts.dry_run {
            for t in crate::rotation::backup::sweep(tree, &s.backup_dirs) {
                note(crate::cmd::note::Note::Warning(&format!("removed {t}, left by a run that was killed")));
            }
        }
        return already_done(tree, s, step, opts, note);
    }
    let resuming = refuse_out_of_turn(tree, state.as_ref(), step, opts)?;
    // What a new rotation takes is a usage error, and a cluster dump that cannot be read an
    // error, before anything is removed or written.
    let targets = targets(state.as_ref(), opts)?;
    let objects = cluster::distrust_objects(step, opts)?;
    if state.is_none() {
        clear_leftovers(tree, opts, note)?;
    }
    if !opts.dry_run {
        let dirs = state.as_ref().map(|s| s.backup_dirs.clone()).unwrap_or_default();
        for t in crate::rotation::backup::sweep(tree, &dirs) {
            note(crate::cmd::note::Note::Warning(&format!("removed {t}, left by a run that was killed")));
        }
    }
    let (ms, material_writes) = materials(tree, state.as_ref(), &targets, opts)?;
    let tree_changes = changes(tree, state.as_ref(), &ms, step.to, opts)?;
    let mut all = material_writes.clone();
    all.extend(tree_changes.iter().cloned());
    let mut missing = gates::gates(tree, state.as_ref(), step, (&ms, &all), opts, resuming);
    missing.extend(cluster::distrust_gate_lines(tree, step, objects.as_ref(), note)?);
    let forced = gates::refuse_or_force(&missing, opts, note)?;
    show::explain_changes(tree, &all, opts, note);
    let record = record_of(tree, &all, state.as_ref().and_then(|s| s.steps.get(step.to.word())));
    let made: Vec<Target> = ms.iter().map(|m| m.target).collect();
    let report = report::StepReport { step, targets: &made, record: &record, changes: &all, resumed: resuming };
    if opts.dry_run {
        return show::print_step(&report.output(tree, opts, false, None), opts);
    }
    // The material first: the state names it next, and nothing trusts it before that.
    let material: Vec<crate::atomic::FileWrite> = material_writes
        .iter()
        .filter_map(|c| {
            c.contents.as_ref().map(|(b, m)| crate::atomic::FileWrite::in_tree(&tree.root, &c.rel, *m, b.clone()))
        })
        .collect();
    crate::atomic::write_files_atomic(&material, false)?;
    let now = format_time(opts.now);
    let mut state = state.unwrap_or_else(|| new_state(&ms, &now, opts));
    let backup =
        state.backups.get(step.to.word()).cloned().filter(|_| resuming).unwrap_or_else(|| backup_name(tree, opts.now));
    state.applying = Some(step.command.into());
    state.steps.insert(step.to.word().into(), record.clone());
    state.backups.insert(step.to.word().into(), backup.clone());
    if !state.backup_dirs.contains(&backup) {
        state.backup_dirs.push(backup.clone());
    }
    state.save(&tree.root)?;
    crate::rotation::backup::back_up(tree, &tree_changes, &backup)?;
    if !state.backed_up {
        state.backed_up = true;
        state.save(&tree.root)?;
    }
    crate::rotation::backup::write(tree, &tree_changes)?;
    let kept = (step.to == Phase::Done).then(|| crate::rotation::secrets::kept(tree, &state));
    enter(&mut state, step, opts, forced.as_deref(), &now);
    state.save(&tree.root)?;
    show::print_step(&report.output(tree, opts, false, kept), opts)
}

/// Records that every target entered the step's phase.
fn enter(state: &mut State, step: &Step, opts: &Options, forced: Option<&str>, now: &str) {
    state.enter(step.to, now);
    state.applying = None;
    state.backed_up = false;
    for t in state.targets.values_mut() {
        if let Some(word) = step.confirm.filter(|w| opts.confirm.iter().any(|c| c == w)) {
            t.confirmed.push(word.into());
        }
        if let Some(reason) = forced {
            t.forced.push(format!("{}: {reason}", step.command));
        }
    }
    if step.to == Phase::IssueClients
        && let Some(sa) = state.targets.get_mut("sa")
    {
        sa.signing_since = Some(now.into());
    }
}

fn new_state(ms: &[Material], now: &str, opts: &Options) -> State {
    let soak = opts.start().map_or(facts::DEFAULT_MIN_SOAK, |s| s.sa_min_soak);
    let mut targets = BTreeMap::new();
    for m in ms {
        targets.insert(
            m.target.name().to_string(),
            TargetState {
                phase: Phase::Idle.word().into(),
                since: now.into(),
                old: m.old.id(),
                new: m.new.id(),
                confirmed: Vec::new(),
                forced: Vec::new(),
                min_soak: (m.target == Target::Sa).then_some(soak),
                min_soak_human: (m.target == Target::Sa).then(|| facts::duration_words(soak)),
                signing_since: None,
            },
        );
    }
    State {
        api_version: "k8s-pki/v1alpha1".into(),
        kind: "Rotation".into(),
        started: now.into(),
        applying: None,
        backed_up: false,
        rollback: None,
        targets,
        backups: BTreeMap::new(),
        steps: BTreeMap::new(),
        backup_dirs: Vec::new(),
    }
}
