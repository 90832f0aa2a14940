//! What `k8s-rotate` prints: the plan of the remaining steps, the status, each step's writes
//! and restarts, in text or JSON (`{target, from, to, writes, restarts, gate}`).

use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::{Options, next_step};
use crate::error::{Error, Result};
use crate::rotation::copies::{NodeCopies, copies};
use crate::rotation::material::Material;
use crate::rotation::plan::{Node, Restart, restarts};
use crate::rotation::state::{State, TargetState};
use crate::rotation::tree::{Change, Tree};
use crate::rotation::{Phase, STEPS, Step, Target};

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
pub(super) fn explain_changes(changes: &[Change], opts: &Options, note: crate::cmd::Warn<'_>) {
    if !opts.explain {
        return;
    }
    for c in changes {
        note(crate::cmd::Note::Explain(&format!(
            "# {}: {} ({})",
            c.rel,
            c.why,
            if c.contents.is_some() { "written" } else { "removed" }
        )));
        if !c.pipe.is_empty() {
            note(crate::cmd::Note::Explain(&format!("$ {}", c.pipe)));
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

fn writes_json(changes: &[Change], node: Option<&str>, main: &str) -> Vec<Value> {
    changes
        .iter()
        .filter(|c| in_node(&c.rel, node, main))
        .map(|c| json!({"path": c.rel, "now": c.now, "why": c.why, "removed": c.contents.is_none()}))
        .collect()
}

/// JSON on stdout, as every command prints it (a closed pipe is a quiet stop).
fn print(value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::internal(e.to_string()))?;
    crate::sink::print(&format!("{text}\n"))
}

/// One line of text on stdout, made safe for a terminal.
fn line(text: &str) -> Result<()> {
    crate::sink::print_text(&format!("{text}\n"))
}

fn restarts_text(list: &[Restart]) -> Result<()> {
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

fn targets_of(ms: &[Material]) -> Vec<Target> {
    ms.iter().map(|m| m.target).collect()
}

/// A step's result (or, with `--dry-run`, its plan): the writes, then the restarts.
pub(super) fn print_step(tree: &Tree, step: &Step, ms: &[Material], changes: &[Change], opts: &Options) -> Result<()> {
    let nodes = nodes(tree);
    let targets = targets_of(ms);
    let list = restarts(step.to, &targets, &nodes, opts.node.as_deref());
    let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
    let main = nodes.first().map(|n| n.name.as_str()).unwrap_or_default();
    if opts.json {
        return print(&json!({
            "targets": names, "from": step.from.word(), "to": step.to.word(), "dryRun": opts.dry_run,
            "writes": writes_json(changes, opts.node.as_deref(), main), "restarts": list,
            "copies": copies(changes, &nodes, main, opts.node.as_deref()),
        }));
    }
    let verb = if opts.dry_run { "would write" } else { "wrote" };
    line(&format!("{}: {} → {} ({verb} {} files)", names.join(", "), step.from.word(), step.to.word(), changes.len()))?;
    for c in changes.iter().filter(|c| in_node(&c.rel, opts.node.as_deref(), main)) {
        let what = if c.contents.is_none() { "removed".to_string() } else { c.now.clone() };
        line(&format!("  {}  {}", c.rel, what))?;
    }
    copies_text(&copies(changes, &nodes, main, opts.node.as_deref()))?;
    restarts_text(&list)?;
    if let Some(next) = crate::rotation::step_from(step.to) {
        let confirm = next.confirm.map(|w| format!(" --confirm {w}")).unwrap_or_default();
        line(&format!("then: k8s-rotate {} --pki-dir {}{confirm}", next.command, crate::explain::sh_path(&tree.root)))?;
    }
    Ok(())
}

/// A rollback's result.
pub(super) fn print_rollback(from: Phase, to: Phase, changes: &[Change]) -> Result<()> {
    line(&format!("rolled back: {} → {} ({} files)", from.word(), to.word(), changes.len()))?;
    for c in changes {
        line(&format!("  {}  {}", c.rel, if c.contents.is_none() { "removed" } else { "restored" }))?;
    }
    line("restart what the undone step's plan listed, in the same order")
}

/// `plan`: every remaining step with its restarts (the next one's writes computed exactly).
pub fn plan(tree: &Tree, state: Option<&State>, opts: &Options) -> Result<()> {
    let targets = match state {
        Some(s) => s.target_list(),
        None => super::chosen(opts)?,
    };
    let nodes = nodes(tree);
    let first = next_step(state);
    let steps: Vec<&Step> = STEPS
        .iter()
        .filter(|s| first.is_some_and(|f| s.from >= f.from))
        .filter(|s| opts.to.is_none_or(|to| s.to <= to))
        .collect();
    let mut out = Vec::new();
    for step in &steps {
        let list = restarts(step.to, &targets, &nodes, opts.node.as_deref());
        out.push(json!({
            "command": format!("k8s-rotate {}", step.command), "from": step.from.word(), "to": step.to.word(),
            "confirm": step.confirm, "restarts": list,
        }));
    }
    let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
    if opts.json {
        return print(
            &json!({"targets": names, "phase": first.map(|s| s.from.word()).unwrap_or("done"), "steps": out}),
        );
    }
    line(&format!("rotation of {}: {} step(s) left", names.join(", "), steps.len()))?;
    for step in steps {
        let confirm = step.confirm.map(|w| format!(" --confirm {w}")).unwrap_or_default();
        line(&format!(
            "\nk8s-rotate {} --pki-dir {}{confirm}   ({} → {})",
            step.command,
            crate::explain::sh_path(&tree.root),
            step.from.word(),
            step.to.word()
        ))?;
        restarts_text(&restarts(step.to, &targets, &nodes, opts.node.as_deref()))?;
    }
    Ok(())
}

/// `status`: the state file, the next step and, in JSON, the current phase's restarts.
pub fn status(tree: &Tree, state: Option<&State>, opts: &Options) -> Result<()> {
    let Some(state) = state else {
        return if opts.json {
            print(&json!({"rotation": null, "phase": "idle"}))
        } else {
            line("no rotation under way (idle)")
        };
    };
    let phase = state.phase()?;
    let next = next_step(Some(state));
    let list = restarts(phase, &state.target_list(), &nodes(tree), opts.node.as_deref());
    if opts.json {
        return print(&json!({
            "rotation": state, "phase": phase.word(),
            "next": next.map(|s| format!("k8s-rotate {}", s.command)), "confirm": next.and_then(|s| s.confirm),
            "restarts": list,
        }));
    }
    line(&format!("rotation started {}: {}", state.started, phase.word()))?;
    if let Some(a) = &state.applying {
        line(&format!("interrupted: `k8s-rotate {a}` did not finish; run it again"))?;
    }
    for (name, t) in &state.targets {
        line(&format!("  {name:<15} {:<14} since {}  old {}  new {}", t.phase, t.since, t.old, t.new))?;
    }
    restarts_text(&list)?;
    if let Some(next) = next {
        let confirm = next.confirm.map(|w| format!(" --confirm {w}")).unwrap_or_default();
        line(&format!("next: k8s-rotate {} --pki-dir {}{confirm}", next.command, crate::explain::sh_path(&tree.root)))?;
    }
    Ok(())
}
