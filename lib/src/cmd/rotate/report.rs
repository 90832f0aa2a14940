//! What a step, a rollback and `status` report, as typed values computed once: the JSON is their
//! serialisation and the text ([`super::show`]) is rendered from the same values, so the two
//! cannot say different things.

use serde::Serialize;

use super::options::{Options, next_step};
use crate::rotation::change::Change;
use crate::rotation::copies::{NodeCopies, copies};
use crate::rotation::plan::{Restart, restarts};
use crate::rotation::state::{State, StepFiles};
use crate::rotation::tree::Tree;
use crate::rotation::{Phase, Step, Target};

/// What a step did (or, with `--dry-run`, would do).
pub(super) struct StepReport<'a> {
    pub step: &'static Step,
    pub targets: &'a [Target],
    /// Every file the step as a whole writes, from its record (the same however often it ran).
    pub record: &'a StepFiles,
    /// This run's writes, for what each file holds now and why.
    pub changes: &'a [Change],
    /// Whether this run finished a step that was interrupted.
    pub resumed: bool,
}

/// One file of a step's record: what it holds now and why, or that it was removed.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Write {
    pub path: String,
    pub now: String,
    pub why: String,
    pub removed: bool,
}

/// A step's or a rollback's report: `{targets, from, to, dryRun, writes, restarts, copies,
/// next}`, with `resumed` and `kept` for a step, `rollback: true` for a rollback.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StepOutput {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
    pub targets: Vec<&'static str>,
    pub from: &'static str,
    pub to: &'static str,
    pub dry_run: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<bool>,
    /// The files of the node asked for (`--node`), or all.
    pub writes: Vec<Write>,
    pub restarts: Vec<Restart>,
    pub copies: Vec<NodeCopies>,
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<Vec<String>>,
    /// How many files the step writes on every node.
    #[serde(skip)]
    pub total: usize,
    /// Whether this run finished an interrupted one (a step's `resumed`; a rollback's too).
    #[serde(skip)]
    pub finishing: bool,
}

impl StepReport<'_> {
    /// Each file of the record with what it holds and why.
    fn files(&self) -> Vec<Write> {
        self.record
            .all()
            .map(|rel| {
                let removed = self.record.removed.contains(rel);
                let (now, why) = match self.changes.iter().find(|c| &c.rel == rel) {
                    Some(c) => (c.now(), c.why()),
                    None if removed => ("deleted".into(), "removed by an earlier run of the step".into()),
                    None => ("as the step wants".into(), "written by an earlier run of the step".into()),
                };
                Write { path: rel.clone(), now, why, removed }
            })
            .collect()
    }

    fn written(&self) -> Vec<String> {
        self.record.replaced.iter().chain(&self.record.created).cloned().collect()
    }

    /// The report of the step (`rollback` false: into `step.to`, `kept` what finish leaves) or
    /// of the rollback that undoes it (back to `step.from`, with the same copies and restarts:
    /// the same readers load the files again).
    pub(super) fn output(&self, tree: &Tree, opts: &Options, rollback: bool, kept: Option<Vec<String>>) -> StepOutput {
        let nodes = super::facts::nodes(tree);
        let main = nodes.first().map(|n| n.name.as_str()).unwrap_or_default();
        let node = opts.node.as_deref();
        let (from, to) = if rollback { (self.step.to, self.step.from) } else { (self.step.from, self.step.to) };
        let next = match rollback {
            true if self.step.from == Phase::Idle => None,
            _ => crate::rotation::step_from(to).map(|s| super::facts::command_line(tree, s, self.targets)),
        };
        let files = self.files();
        StepOutput {
            rollback,
            targets: self.targets.iter().map(|t| t.name()).collect(),
            from: from.word(),
            to: to.word(),
            dry_run: opts.dry_run,
            resumed: (!rollback).then_some(self.resumed),
            finishing: self.resumed,
            total: files.len(),
            writes: files.into_iter().filter(|w| in_node(&w.path, node, main)).collect(),
            restarts: restarts(self.step.to, self.targets, &nodes, node),
            copies: copies(&self.written(), &nodes, main, node),
            next,
            kept,
        }
    }
}

/// Whether `rel` is a file of `node` (every file without `--node`): its own under `nodes/NAME/`,
/// the main node's kubeconfigs, and the shared files.
fn in_node(rel: &str, node: Option<&str>, main: &str) -> bool {
    match (node, rel.strip_prefix("nodes/")) {
        (None, _) => true,
        (Some(n), Some(rest)) => rest.starts_with(&format!("{n}/")),
        (Some(n), None) => n == main || !rel.ends_with(".conf"),
    }
}

/// `status`: `{rotation, phase, next, confirm, restarts}`; idle is `{rotation: null, phase:
/// "idle"}`.
#[derive(Debug, Serialize)]
pub(super) struct StatusOutput<'a> {
    pub rotation: Option<&'a State>,
    pub phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Option<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<Vec<Restart>>,
    /// An interrupted step or rollback: the command that finishes it and the one that undoes it.
    #[serde(skip)]
    pub interrupted: Option<(String, String)>,
}

/// The status of `state` (none: idle).
pub(super) fn status<'a>(
    tree: &Tree,
    state: Option<&'a State>,
    opts: &Options,
) -> crate::error::Result<StatusOutput<'a>> {
    let Some(s) = state else {
        return Ok(StatusOutput {
            rotation: None,
            phase: "idle",
            next: None,
            confirm: None,
            restarts: None,
            interrupted: None,
        });
    };
    let phase = s.phase()?;
    let targets = s.target_list();
    let next = next_step(state).map(|step| super::facts::command_line(tree, step, &targets));
    let interrupted = interrupted(tree, s, &targets);
    Ok(StatusOutput {
        rotation: state,
        phase: phase.word(),
        next: Some(interrupted.as_ref().map(|(c, _)| c.clone()).or(next)),
        confirm: Some(next_step(state).and_then(|step| step.confirm)),
        restarts: Some(restarts(phase, &targets, &super::facts::nodes(tree), opts.node.as_deref())),
        interrupted,
    })
}

/// For an interrupted step or rollback: the command that finishes it and the one that undoes it.
fn interrupted(tree: &Tree, state: &State, targets: &[Target]) -> Option<(String, String)> {
    let dir = crate::explain::sh_path(&tree.root);
    let rollback = format!("k8s-rotate rollback --pki-dir {dir}");
    match state.applying.as_deref()? {
        crate::rotation::state::ROLLBACK => Some((rollback.clone(), rollback)),
        _ => state.interrupted_step().map(|s| (super::facts::command_line(tree, s, targets), rollback)),
    }
}
