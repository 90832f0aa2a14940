//! What `k8s-rotate` prints: the plan of the remaining steps, the status, each step's writes
//! and restarts, in text or JSON (`{target, from, to, writes, restarts, gate}`).

use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::options::{Options, next_step};
use crate::error::{Error, Result};
use crate::rotation::change::Change;
use crate::rotation::copies::{NodeCopies, copies};
use crate::rotation::plan::{Node, Restart, restarts};
use crate::rotation::state::{State, StepFiles, TargetState};
use crate::rotation::tree::Tree;
use crate::rotation::{Phase, Step, Target};

/// A write of `bytes` to `rel`.
pub(super) fn change(rel: String, bytes: Vec<u8>, mode: u32, why: &str) -> Change {
    Change { rel, contents: Some((Zeroizing::new(bytes), mode)), now: why.into(), why: why.into(), pipe: String::new() }
}

/// What a `--confirm` word stands for.
pub(super) fn confirm_meaning(word: &str) -> &'static str {
    match word {
        "prepare-restarts" => "every restart the prepare step listed was done (k8s-rotate plan lists them)",
        "clients-refreshed" => {
            "the clients restarted, in-cluster Pods too (kube-root-ca.crt), and user kubeconfigs and cluster-info carry the bundle"
        }
        _ => "the restarts of the previous step were done",
    }
}

/// `24h`, `90m`, `0s`.
pub(super) fn duration_words(secs: i64) -> String {
    if secs <= 0 {
        return "0s".into();
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

/// The SA target's soak when the state does not say (`--min-soak`'s default).
pub(super) const DEFAULT_MIN_SOAK: i64 = 86_400;

/// How long the SA target must still wait before its old key may go, if at all.
pub(super) fn soak_left(sa: &TargetState, now: i64) -> Option<String> {
    let since = sa.signing_since.as_deref()?.parse::<jiff::Timestamp>().ok()?.as_second();
    let soak = sa.min_soak.unwrap_or(DEFAULT_MIN_SOAK);
    let left = since + soak - now;
    (left > 0).then(|| duration_words(left))
}

/// The audit a gate runs: kubeadm's defaults, now.
pub(super) fn audit_options(now: i64) -> crate::audit::AuditOptions {
    crate::audit::AuditOptions {
        node_name: None,
        advertise_address: None,
        service_cidr: Default::default(),
        dns_domain: "cluster.local".into(),
        at: now,
        warn_within: 0,
        root: None,
        release: None,
        external_etcd: false,
    }
}

/// The tree's nodes: the main one (named as the audit infers it, else `node-1`), then each
/// `nodes/NAME/`; a node with etcd certificates is a control-plane node.
pub(super) fn nodes(tree: &Tree) -> Vec<Node> {
    let main = crate::audit::node_name(&tree.root, &audit_options(0)).unwrap_or_else(|| "node-1".into());
    let mut out = vec![Node { name: main.clone(), control_plane: true }];
    for n in tree.nodes.iter().filter(|n| **n != main) {
        let control_plane = tree.root.join("nodes").join(n).join("pki/etcd").is_dir();
        out.push(Node { name: n.clone(), control_plane });
    }
    out
}

/// With `--explain`: each write, why, and the equivalent command.
pub(super) fn explain_changes(changes: &[Change], opts: &Options, note: crate::cmd::note::Warn<'_>) {
    if !opts.explain {
        return;
    }
    for c in changes {
        note(crate::cmd::note::Note::Explain(&format!(
            "# {}: {} ({})",
            c.rel,
            c.why,
            if c.contents.is_some() { "written" } else { "removed" }
        )));
        if !c.pipe.is_empty() {
            note(crate::cmd::note::Note::Explain(&format!("$ {}", c.pipe)));
        }
    }
}

fn in_node(rel: &str, node: Option<&str>, main: &str) -> bool {
    match (node, rel.strip_prefix("nodes/")) {
        (None, _) => true,
        (Some(n), Some(rest)) => rest.starts_with(&format!("{n}/")),
        (Some(n), None) => n == main || !rel.ends_with(".conf"),
    }
}

/// JSON on stdout, as every command prints it (a closed pipe is a quiet stop).
pub(super) fn print(value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::internal(e.to_string()))?;
    crate::sink::print(&format!("{text}\n"))
}

/// One line of text on stdout, made safe for a terminal.
pub(super) fn line(text: &str) -> Result<()> {
    crate::sink::print_text(&format!("{text}\n"))
}

pub(super) fn restarts_text(list: &[Restart]) -> Result<()> {
    if list.is_empty() {
        return line("restart: nothing");
    }
    line("restart, in order:")?;
    let mut told = Vec::new();
    for r in list {
        let node = if r.node.is_empty() { "cluster".to_string() } else { r.node.clone() };
        // Why and what to wait for, the first time a component is named.
        let why = if told.contains(&r.component) {
            String::new()
        } else {
            told.push(r.component);
            let wait = if r.wait.is_empty() { String::new() } else { format!("; wait until {}", r.wait) };
            format!(" ({}{wait})", r.why)
        };
        line(&format!("  {:>2}. {node}: {}{why}", r.order, r.component))?;
    }
    Ok(())
}

/// Per node, before its restarts: what to copy there, and its own kubeconfigs to update.
fn copies_text(list: &[NodeCopies]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    line("copy to each node's /etc/kubernetes (the tree is the first node's), before restarting it:")?;
    for n in list {
        let files: Vec<String> = n
            .copy
            .iter()
            .map(|c| if c.from == c.to { c.from.clone() } else { format!("{} as {}", c.from, c.to) })
            .collect();
        if !files.is_empty() {
            line(&format!("  {}: {}", n.node, files.join(", ")))?;
        }
        if !n.update_in_place.is_empty() {
            line(&format!(
                "  {}: also its own {} (not in the tree): the same change as here, made in place, keeping its server: and SANs",
                n.node,
                n.update_in_place.join(", ")
            ))?;
        }
    }
    Ok(())
}

/// The command line of `step` on `tree`, complete: it runs as printed (prepare names its
/// targets; a gated step its `--confirm` word).
pub(crate) fn command_line(tree: &Tree, step: &Step, targets: &[Target]) -> String {
    crate::rotation::command_line(step, &crate::explain::sh_path(&tree.root), targets)
}

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

impl StepReport<'_> {
    /// Each file of the record with what it holds and why.
    fn files(&self) -> Vec<(String, String, String, bool)> {
        self.record
            .all()
            .map(|rel| {
                let removed = self.record.removed.contains(rel);
                match self.changes.iter().find(|c| &c.rel == rel) {
                    Some(c) => (rel.clone(), c.now.clone(), c.why.clone(), removed),
                    None if removed => {
                        (rel.clone(), "deleted".into(), "removed by an earlier run of the step".into(), true)
                    }
                    None => {
                        (rel.clone(), "as the step wants".into(), "written by an earlier run of the step".into(), false)
                    }
                }
            })
            .collect()
    }

    fn written(&self) -> Vec<String> {
        self.record.replaced.iter().chain(&self.record.created).cloned().collect()
    }
}

/// A step's result (or, with `--dry-run`, its plan): the files, the copies to each node, the
/// restarts and the next command; `kept` is what finish leaves.
pub(super) fn print_step(tree: &Tree, r: &StepReport<'_>, opts: &Options, kept: Option<&[String]>) -> Result<()> {
    let nodes = nodes(tree);
    let list = restarts(r.step.to, r.targets, &nodes, opts.node.as_deref());
    let names: Vec<&str> = r.targets.iter().map(|t| t.name()).collect();
    let main = nodes.first().map(|n| n.name.as_str()).unwrap_or_default();
    let files = r.files();
    let copies = copies(&r.written(), &nodes, main, opts.node.as_deref());
    let next = crate::rotation::step_from(r.step.to).map(|s| command_line(tree, s, r.targets));
    if opts.json {
        let writes: Vec<Value> = files
            .iter()
            .filter(|(rel, ..)| in_node(rel, opts.node.as_deref(), main))
            .map(|(path, now, why, removed)| json!({"path": path, "now": now, "why": why, "removed": removed}))
            .collect();
        let mut v = json!({
            "targets": names, "from": r.step.from.word(), "to": r.step.to.word(), "dryRun": opts.dry_run,
            "resumed": r.resumed, "writes": writes, "restarts": list, "copies": copies, "next": next,
        });
        if let (Some(kept), Some(obj)) = (kept, v.as_object_mut()) {
            obj.insert("kept".into(), json!(kept));
        }
        return print(&v);
    }
    let verb = if opts.dry_run { "would write" } else { "wrote" };
    let resumed = if r.resumed { ", finishing the interrupted run" } else { "" };
    line(&format!(
        "{}: {} → {} ({verb} {} files{resumed})",
        names.join(", "),
        r.step.from.word(),
        r.step.to.word(),
        files.len()
    ))?;
    for (rel, now, _, removed) in files.iter().filter(|(rel, ..)| in_node(rel, opts.node.as_deref(), main)) {
        let what = if *removed { "removed (overwritten, then unlinked)".to_string() } else { now.clone() };
        line(&format!("  {rel}  {what}"))?;
    }
    if let Some(kept) = kept.filter(|k| !k.is_empty()) {
        line("kept:")?;
        for k in kept {
            line(&format!("  {k}"))?;
        }
    }
    copies_text(&copies)?;
    restarts_text(&list)?;
    if let Some(next) = next {
        line(&format!("then: {next}"))?;
    }
    Ok(())
}

/// A rollback's result, from its record: the files, the copies to each node and the restarts of
/// the step it undoes (the same readers load the files again), then the next command.
pub(super) fn print_rollback(tree: &Tree, r: &StepReport<'_>, opts: &Options) -> Result<()> {
    let nodes = nodes(tree);
    let main = nodes.first().map(|n| n.name.as_str()).unwrap_or_default();
    let list = restarts(r.step.to, r.targets, &nodes, opts.node.as_deref());
    let copies = copies(&r.written(), &nodes, main, opts.node.as_deref());
    let next = if r.step.from == Phase::Idle {
        None
    } else {
        crate::rotation::step_from(r.step.from).map(|s| command_line(tree, s, r.targets))
    };
    let (from, to) = (r.step.to.word(), r.step.from.word());
    let files = r.files();
    if opts.json {
        let writes: Vec<Value> = files
            .iter()
            .filter(|(rel, ..)| in_node(rel, opts.node.as_deref(), main))
            .map(|(path, now, why, removed)| json!({"path": path, "now": now, "why": why, "removed": removed}))
            .collect();
        return print(&json!({
            "rollback": true, "targets": r.targets.iter().map(|t| t.name()).collect::<Vec<_>>(), "from": from,
            "to": to, "dryRun": opts.dry_run, "writes": writes, "restarts": list, "copies": copies, "next": next,
        }));
    }
    let verb = if opts.dry_run { "would roll back" } else { "rolled back" };
    let resumed = if r.resumed { ", finishing the interrupted rollback" } else { "" };
    line(&format!("{verb}: {from} → {to} ({} files{resumed})", files.len()))?;
    for (rel, _, _, removed) in files.iter().filter(|(rel, ..)| in_node(rel, opts.node.as_deref(), main)) {
        let what = if *removed { "removed (overwritten, then unlinked)" } else { "restored" };
        line(&format!("  {rel}  {what}"))?;
    }
    copies_text(&copies)?;
    restarts_text(&list)?;
    if let Some(next) = next {
        line(&format!("then, when ready again: {next}"))?;
    }
    Ok(())
}

/// `status`: the state file, the next step and, in JSON, the current phase's restarts.
pub fn status(tree: &Tree, state: Option<&State>, opts: &Options) -> Result<()> {
    let Some(state) = state else {
        let left = crate::rotation::material::leftovers(tree);
        if opts.json {
            return print(&json!({"rotation": null, "phase": "idle"}));
        }
        line("no rotation under way (idle)")?;
        if !left.is_empty() {
            let dir = crate::explain::sh_path(&tree.root);
            line(&format!(
                "pki/rotation/ holds {} file(s) a prepare stopped before it began left; `k8s-rotate rollback --pki-dir {dir}` removes them",
                left.len()
            ))?;
        }
        return Ok(());
    };
    let phase = state.phase()?;
    let targets = state.target_list();
    let next = next_step(Some(state)).map(|s| command_line(tree, s, &targets));
    let list = restarts(phase, &targets, &nodes(tree), opts.node.as_deref());
    let resume = interrupted_line(tree, state, &targets);
    if opts.json {
        return print(&json!({
            "rotation": state, "phase": phase.word(), "next": resume.as_ref().map(|(c, _)| c.clone()).or(next),
            "confirm": next_step(Some(state)).and_then(|s| s.confirm), "restarts": list,
        }));
    }
    line(&format!("rotation started {}: {}", state.started, phase.word()))?;
    for (name, t) in &state.targets {
        line(&format!("  {name:<15} {:<14} since {}  old {}  new {}", t.phase, t.since, t.old, t.new))?;
    }
    restarts_text(&list)?;
    match (resume, next) {
        (Some((cmd, undo)), _) => {
            line(&format!("interrupted: `{cmd}` did not finish; run it again"))?;
            line(&format!("next: {cmd}"))?;
            line(&format!("or undo it: {undo}"))?;
        }
        (None, Some(next)) => line(&format!("next: {next}"))?,
        (None, None) => {}
    }
    Ok(())
}

/// For an interrupted step or rollback: the command that finishes it and the one that undoes it.
fn interrupted_line(tree: &Tree, state: &State, targets: &[Target]) -> Option<(String, String)> {
    let dir = crate::explain::sh_path(&tree.root);
    let rollback = format!("k8s-rotate rollback --pki-dir {dir}");
    match state.applying.as_deref()? {
        crate::rotation::state::ROLLBACK => Some((rollback.clone(), rollback)),
        _ => state.interrupted_step().map(|s| (command_line(tree, s, targets), rollback)),
    }
}
