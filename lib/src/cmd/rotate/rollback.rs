//! `k8s-rotate rollback`: one step back, from any phase before done, behind the same gate as a
//! step (every certificate before and after verifies against every trust file before and after).

use super::gates::refuse_or_force;
use super::{Options, backup_name, show};
use crate::error::{Error, Result};
use crate::rotation::Phase;
use crate::rotation::gate::{View, transition};
use crate::rotation::material;
use crate::rotation::state::State;
use crate::rotation::tree::{Change, Tree, Want};
use crate::validity::format_time;

/// Rolls back one step: the files the step changed are put back from its backup (the rollback
/// keeps its own backup of what it replaces); from prepare, the rotation's material and state go.
pub(super) fn run(tree: &Tree, state: Option<State>, opts: &Options, note: crate::cmd::Warn<'_>) -> Result<()> {
    let Some(mut state) = state else { return Err(Error::refused("gate: no rotation is under way")) };
    if let Some(a) = &state.applying {
        return Err(Error::refused(format!("gate: `{a}` was interrupted; run it again to finish it, then roll back")));
    }
    let phase = state.phase()?;
    let Some(step) = crate::rotation::step_into(phase).filter(|_| phase != Phase::Done) else {
        return Err(Error::refused(format!("gate: nothing to roll back from {}: the old keys are gone", phase.word())));
    };
    let backup = state
        .backups
        .get(phase.word())
        .cloned()
        .ok_or_else(|| Error::refused(format!("gate: no backup of {} recorded", phase.word())))?;
    let files = crate::rotation::backup::backup_files(tree, &backup)?;
    let mut all: Vec<Change> = files
        .iter()
        .filter(|(rel, bytes)| tree.read(rel).as_deref() != Some(bytes.as_slice()))
        .map(|(rel, bytes)| {
            let mode = crate::rotation::backup::mode_of(rel);
            show::change(rel.clone(), bytes.clone(), mode, &format!("as it was before {}", step.command))
        })
        .collect();
    if step.from == Phase::Idle {
        for t in state.target_list() {
            for g in [crate::rotation::Generation::Old, crate::rotation::Generation::New] {
                for what in ["crt", "key"] {
                    let rel = material::file(std::path::Path::new("pki"), t, g, what).display().to_string();
                    all.push(Change {
                        rel,
                        contents: None,
                        now: "deleted".into(),
                        why: "nothing is signed by the new CA or key yet".into(),
                        pipe: String::new(),
                    });
                }
            }
        }
    }
    if phase == Phase::IssueClients {
        all = renew_expiring(tree, &state, all, opts)?;
    }
    let mut missing = Vec::new();
    if step.from < Phase::IssueClients
        && let Some(sa) = state.targets.get("sa")
        && sa.signing_since.is_some()
        && let Some(left) = show::soak_left(sa, opts.now)
    {
        missing.push(format!(
            "tokens signed by the new service-account key stay valid: wait {left} (minSoak) before dropping it"
        ));
    }
    let before = View::current(tree, "before the rollback");
    let mut after = View::after(tree, &all);
    after.label = "after the rollback";
    missing.extend(transition(tree, &[&before, &after], opts.now));
    let forced = refuse_or_force(&missing, opts, note)?;
    show::explain_changes(&all, opts, note);
    if opts.dry_run {
        return show::print_rollback(phase, step.from, &all);
    }
    let undo = backup_name(tree, opts.now);
    crate::rotation::backup::apply(tree, &all, &undo)?;
    if step.from == Phase::Idle {
        let path = tree.pki().join(crate::rotation::state::FILE);
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, &e))?;
    } else {
        state.enter(step.from, &format_time(opts.now));
        state.backups.remove(phase.word());
        if let Some(reason) = forced {
            for t in state.targets.values_mut() {
                t.forced.push(format!("rollback: {reason}"));
            }
        }
        state.save(&tree.pki())?;
    }
    show::print_rollback(phase, step.from, &all)
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
    let want = Want {
        phase: Phase::Prepare,
        keep_keys: opts.keep_keys,
        lifetime: opts.leaf_lifetime,
        now: opts.now,
        renew_within: RENEW_WITHIN,
    };
    for t in state.target_list() {
        let m = material::Material::load(&tree.pki(), t)?;
        for c in crate::rotation::tree::compute(&restored, &m, &want)? {
            let crt = c.rel.strip_suffix(".key").map(|stem| format!("{stem}.crt")).unwrap_or_else(|| c.rel.clone());
            if put_back.contains(&c.rel) || put_back.contains(&crt) {
                all.retain(|x| x.rel != c.rel);
                all.push(c);
            }
        }
    }
    Ok(all)
}
