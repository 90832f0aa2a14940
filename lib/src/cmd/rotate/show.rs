//! What `k8s-rotate` prints: each step's and rollback's report and the status, rendered as text
//! from the typed values of [`super::report`] (or printed as their JSON), and `--explain`'s
//! account of each write.

use super::options::Options;
use super::report::StepOutput;
use crate::error::{Error, Result};
use crate::rotation::change::Change;
use crate::rotation::copies::NodeCopies;
use crate::rotation::plan::Restart;
use crate::rotation::state::State;
use crate::rotation::tree::Tree;

/// With `--explain`: each write, why, and the equivalent command.
pub(super) fn explain_changes(tree: &Tree, changes: &[Change], opts: &Options, note: crate::cmd::note::Warn<'_>) {
    if !opts.explain {
        return;
    }
    for c in changes {
        note(crate::cmd::note::Note::Explain(&format!(
            "# {}: {} ({})",
            c.rel,
            c.why(),
            if c.contents.is_some() { "written" } else { "removed" }
        )));
        let pipe = c.pipe(&|rel| tree.sh(rel));
        if !pipe.is_empty() {
            note(crate::cmd::note::Note::Explain(&format!("$ {pipe}")));
        }
    }
}

/// JSON on stdout, as every command prints it (a closed pipe is a quiet stop).
pub(super) fn print(value: &impl serde::Serialize) -> Result<()> {
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

/// A step's or a rollback's report: JSON, or the text rendered from the same value (the
/// files of the node asked for, the copies to each node, the restarts, then the next command).
pub(super) fn print_step(out: &StepOutput, opts: &Options) -> Result<()> {
    if opts.json {
        return print(out);
    }
    let resumed = match (out.finishing, out.rollback) {
        (false, _) => "",
        (true, false) => ", finishing the interrupted run",
        (true, true) => ", finishing the interrupted rollback",
    };
    let head = match (out.rollback, out.dry_run) {
        (true, dry) => format!(
            "{}: {} → {} ({} files{resumed})",
            if dry { "would roll back" } else { "rolled back" },
            out.from,
            out.to,
            out.total
        ),
        (false, dry) => format!(
            "{}: {} → {} ({} {} files{resumed})",
            out.targets.join(", "),
            out.from,
            out.to,
            if dry { "would write" } else { "wrote" },
            out.total
        ),
    };
    line(&head)?;
    for w in &out.writes {
        let what = match (w.removed, out.rollback) {
            (true, _) => "removed (overwritten, then unlinked)",
            (false, true) => "restored",
            (false, false) => w.now.as_str(),
        };
        line(&format!("  {}  {what}", w.path))?;
    }
    if let Some(kept) = out.kept.as_ref().filter(|k| !k.is_empty()) {
        line("kept:")?;
        for k in kept {
            line(&format!("  {k}"))?;
        }
    }
    copies_text(&out.copies)?;
    restarts_text(&out.restarts)?;
    match (&out.next, out.rollback) {
        (Some(next), false) => line(&format!("then: {next}")),
        (Some(next), true) => line(&format!("then, when ready again: {next}")),
        (None, _) => Ok(()),
    }
}

/// `status`: the state file, the next step and, in JSON, the current phase's restarts.
pub fn status(tree: &Tree, state: Option<&State>, opts: &Options) -> Result<()> {
    let out = super::report::status(tree, state, opts)?;
    if opts.json {
        return print(&out);
    }
    let Some(state) = out.rotation else {
        line("no rotation under way (idle)")?;
        let left = crate::rotation::material::leftovers(tree);
        if !left.is_empty() {
            let dir = crate::explain::sh_path(&tree.root);
            line(&format!(
                "pki/rotation/ holds {} file(s) a prepare stopped before it began left; `k8s-rotate rollback --pki-dir {dir}` removes them",
                left.len()
            ))?;
        }
        return Ok(());
    };
    line(&format!("rotation started {}: {}", state.started, out.phase))?;
    for (name, t) in &state.targets {
        line(&format!("  {name:<15} {:<14} since {}  old {}  new {}", t.phase, t.since, t.old, t.new))?;
    }
    restarts_text(out.restarts.as_deref().unwrap_or_default())?;
    match (&out.interrupted, out.next.flatten()) {
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
