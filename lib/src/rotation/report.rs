//! A rotation under way, as one entry of `k8s-verify --pki-dir`'s report: its phase and next
//! step, whether each trust file holds what the phase says (old, new, in which order), whether a
//! step was interrupted or forced, and every edge broken between the files before the last step
//! (its backup) and now: what a skipped or forced phase leaves behind.

use std::collections::HashMap;
use std::path::Path;

use super::gate::{View, transition};
use super::material::Material;
use super::state::State;
use super::tree::Tree;
use super::{Generation, Phase, Target};
use crate::cert::Cert;
use crate::finding::{Check, Finding, Status, worst};
use crate::report::{FileKind, FileReport, Report};

/// Adds a rotation under way at `dir` to its audit `report`: one more entry (phase, next step,
/// whether the files hold what the phase says, the transition since the last step), the
/// top-level `rotation` summary, and each file's generation. Nothing when none is under way.
pub fn add_to(dir: &Path, at: i64, report: &mut Report) {
    let Ok(tree) = Tree::open(dir) else { return };
    let (findings, state) = match State::load(tree.dir()) {
        Ok(None) => return,
        Ok(Some(state)) => (check(&tree, &state, at), Some(state)),
        Err(e) => (vec![Finding::fail(Check::Read, e.to_string(), None)], None),
    };
    let entry = FileReport {
        path: format!("pki/{}", super::state::FILE),
        name: "rotation".into(),
        kind: FileKind::Rotation,
        subject: None,
        not_after: None,
        ca_name: None,
        signed_by: None,
        externally_managed: false,
        status: worst(&findings),
        findings,
        kubeadm_name: None,
        fix: None,
        generation: None,
        members: Vec::new(),
    };
    report.status = report.status.max(entry.status);
    report.files.push(entry);
    if let Some(state) = state {
        report.rotation = summary(&tree, &state);
        label(&tree, &state, report);
    }
}

/// The rotation for the top level of the audit's JSON (`"rotation"`): its phase, targets, the
/// next command (complete: it runs as printed; an interrupted step's own command first), and the
/// step being applied when one was interrupted.
fn summary(tree: &Tree, state: &State) -> Option<serde_json::Value> {
    let phase = state.phase().ok()?;
    let dir = crate::explain::sh_path(&tree.root);
    let targets = state.target_list();
    let next = match state.applying.as_deref() {
        Some(super::state::ROLLBACK) => Some(format!("k8s-rotate rollback --pki-dir {dir}")),
        Some(_) => state.interrupted_step().map(|s| super::command_line(s, &dir, &targets)),
        None => super::step_from(phase).map(|s| super::command_line(s, &dir, &targets)),
    };
    Some(serde_json::json!({
        "phase": phase.word(),
        "targets": state.targets.keys().collect::<Vec<_>>(),
        "next": next,
        "interrupted": state.applying,
    }))
}

/// Marks each file of `report` with the generation that signed it, read from the signature and
/// named by `rotation.json`'s ids: `signedBy` becomes `pki/ca.crt#2 (new, sha256:41aa…)`, CA
/// files list each member's generation, and the service-account pair says which key `sa.key` is.
fn label(tree: &Tree, state: &State, report: &mut Report) {
    let word = |t: Target, id: &str| {
        let ts = state.targets.get(t.name())?;
        [(&ts.old, Generation::Old), (&ts.new, Generation::New)]
            .into_iter()
            .find(|(known, _)| known.as_str() == id)
            .map(|(_, g)| g.word().to_string())
    };
    // Every member of every CA file, by the name the audit's `signedBy` uses.
    let mut members: HashMap<String, (Option<String>, String)> = HashMap::new();
    for t in state.target_list().into_iter().filter(|t| t.ca().is_some()) {
        let file = t.trust_file();
        let Some(bytes) = tree.read(&file) else { continue };
        let certs = Cert::all_in_pem(&String::from_utf8_lossy(&bytes), &file);
        for (i, c) in certs.iter().enumerate() {
            let name = if certs.len() > 1 { format!("{file}#{}", i + 1) } else { file.clone() };
            members.insert(name, (word(t, &c.join_hash()), c.join_hash()));
        }
    }
    for f in &mut report.files {
        if let Some((generation, id)) = f.signed_by.as_ref().and_then(|s| members.get(s)) {
            let short: String = id.chars().take(15).collect();
            f.signed_by =
                f.signed_by.as_ref().map(|s| format!("{s} ({}, {short}…)", generation.as_deref().unwrap_or("unknown")));
            f.generation.clone_from(generation);
        }
        for m in &mut f.members {
            m.generation = members.get(&m.reference).and_then(|(g, _)| g.clone());
        }
        if f.kind == FileKind::KeyPair
            && let Some(key) = tree.key(&Target::Sa.key_file())
        {
            f.generation = word(Target::Sa, &format!("kid:{}", super::material::kid(key.public_key())));
        }
    }
}

/// How long before its end an old CA must no longer be needed.
const OLD_CA_MARGIN: i64 = 30 * 86_400;

/// I10 and I11 of docs/rotation.md: each leaf's authorityKeyIdentifier names exactly one CA of
/// its bundle (else Go's path building picks by subject alone), and an old CA does not expire
/// before distrust can be reached. (A leaf outliving its CA is the leaf audit's `lifetime` check.)
fn invariants(tree: &Tree, materials: &[Material], phase: Phase, at: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    let now = View::current(tree, "now");
    for m in materials {
        let t = m.target;
        let Some(ca) = t.ca() else { continue };
        let trust = t.trust_file();
        let bundle = now.certs(&trust);
        for leaf in tree.leaves().iter().filter(|l| l.profile.signer == Some(ca)) {
            let Some(cert) = now.leaf(leaf) else { continue };
            if let Some(aki) = &cert.ext.aki {
                let n = bundle.iter().filter(|c| c.ext.ski.as_ref() == Some(aki)).count();
                if n > 1 {
                    out.push(Finding::warn(
                        Check::Rotation,
                        format!(
                            "{}'s authorityKeyIdentifier names {n} CAs of {trust}: the chain is ambiguous",
                            leaf.rel
                        ),
                    ));
                }
            }
        }
        if phase < Phase::Distrust
            && let Some(old) = &m.old.cert
            && old.not_after - at < OLD_CA_MARGIN
        {
            out.push(Finding::warn(
                Check::Rotation,
                format!(
                    "the old {} CA expires {}: reach distrust before then, or what it still signs stops verifying",
                    t.name(),
                    crate::validity::format_time(old.not_after)
                ),
            ));
        }
    }
    out
}

fn check(tree: &Tree, state: &State, at: i64) -> Vec<Finding> {
    let mut out = Vec::new();
    let phase = match state.phase() {
        Ok(p) => p,
        Err(e) => return vec![Finding::fail(Check::Rotation, e.to_string(), None)],
    };
    let names: Vec<&str> = state.targets.keys().map(String::as_str).collect();
    let dir = crate::explain::sh_path(&tree.root);
    let targets = state.target_list();
    let next = super::step_from(phase)
        .map(|s| format!("; next: {}", super::command_line(s, &dir, &targets)))
        .unwrap_or_default();
    out.push(Finding::ok(Check::Rotation, format!("{}: {}{next}", names.join(", "), phase.word())));
    if let Some(step) = &state.applying {
        let finish = match state.interrupted_step() {
            Some(s) => super::command_line(s, &dir, &targets),
            None => format!("k8s-rotate rollback --pki-dir {dir}"),
        };
        out.push(Finding::fail(
            Check::Rotation,
            format!(
                "`k8s-rotate {step}` was interrupted: run `{finish}` to finish it, or `k8s-rotate rollback --pki-dir {dir}` to undo it"
            ),
            None,
        ));
    }
    let mut forced: Vec<&String> = state.targets.values().flat_map(|t| &t.forced).collect();
    forced.sort();
    forced.dedup();
    for f in forced {
        out.push(Finding::warn(Check::Rotation, format!("a gate was overridden ({})", crate::term::sanitize(f))));
    }
    let mut materials = Vec::new();
    for t in state.target_list() {
        let Ok(m) = Material::load(tree.dir(), t) else {
            out.push(Finding::fail(Check::Rotation, format!("pki/rotation/ lacks the material of {}", t.name()), None));
            continue;
        };
        let want = m.bundle_pem(&phase.bundle().members(&m.old, &m.new));
        if state.applying.is_none() && tree.read(&t.trust_file()).as_deref() != Some(want.as_bytes()) {
            let words: Vec<&str> =
                phase.bundle().members(&Generation::Old, &Generation::New).iter().map(|g| g.word()).collect();
            out.push(Finding::fail(
                Check::Rotation,
                format!("{} does not hold what {} wants: {}", t.trust_file(), phase.word(), words.join(" + ")),
                None,
            ));
        }
        materials.push(m);
    }
    out.extend(invariants(tree, &materials, phase, at));
    out.extend(since_last_step(tree, state, phase, at));
    if out.iter().all(|f| f.status == Status::Ok) && phase == Phase::Done {
        out.push(Finding::ok(Check::Rotation, "the old private keys are gone"));
    }
    out
}

/// The transition: the originals of the last step (or of the one under way, interrupted or being
/// rolled back) against the files now. Only the files the step's record names are read back.
fn since_last_step(tree: &Tree, state: &State, phase: Phase, at: i64) -> Vec<Finding> {
    let key = match (&state.rollback, state.interrupted_step()) {
        (Some(u), _) => u.phase.clone(),
        (None, Some(step)) => step.to.word().to_string(),
        (None, None) if phase != Phase::Idle && phase != Phase::Done => phase.word().to_string(),
        _ => return Vec::new(),
    };
    let Some(backup) = state.backups.get(&key) else { return Vec::new() };
    let files: Vec<String> = match state.steps.get(&key) {
        Some(rec) => rec.replaced.clone(),
        None => tree.universe().into_iter().collect(),
    };
    if files.is_empty() {
        return Vec::new();
    }
    match super::backup::originals(tree, backup, &files) {
        Ok(files) => {
            let files: HashMap<String, Vec<u8>> = files.into_iter().map(|(k, v)| (k, v.to_vec())).collect();
            let before = View::with_files(tree, files, "before the last step");
            let now = View::current(tree, "now");
            transition(tree, &[&before, &now], at)
                .into_iter()
                .map(|edge| Finding::fail(Check::Rotation, edge, None))
                .collect()
        }
        Err(e) => vec![Finding::fail(Check::Rotation, format!("the backup {backup} cannot be read: {e}"), None)],
    }
}
