//! `--cluster-dump` in `plan` and `distrust`: the trust map of the cluster's objects, read with
//! the tree, says which objects each step needs updated (and by whom) and which would break at
//! distrust. Without it, distrust says once that cluster objects were not checked.

use serde::Serialize;

use super::options::Options;
use crate::cmd::note::{Note, Warn};
use crate::error::Result;
use crate::rotation::tree::Tree;
use crate::rotation::{Phase, Step, Target};
use crate::trust_map::rotation::{Update, distrust_gate, updates};
use crate::trust_map::tree::Rotated;
use crate::trust_map::{self, TrustMap};

/// The gate lines of `distrust`: every object carrying an old CA without the new one. The map's
/// other findings (objects Pods name that the dump lacks, fields that cannot be read) are
/// warnings and do not refuse.
pub(super) fn distrust_gate_lines(
    tree: &Tree,
    step: &Step,
    objects: Option<&trust_map::dump::Objects>,
    note: Warn<'_>,
) -> Result<Vec<String>> {
    if step.to != Phase::Distrust {
        return Ok(Vec::new());
    }
    let Some(map) = objects.map(|o| trust_map::build(o, Some(&tree.root))).transpose()? else {
        note(Note::Warning(
            "cluster objects were not checked: give --cluster-dump (kubectl get … -A -o json) to check webhooks, kube-root-ca.crt and the rest",
        ));
        return Ok(Vec::new());
    };
    // What cannot be read cannot be shown to hold the new CA: it refuses too (Go may read what
    // the map could not). Unknown objects are warnings, as the design says.
    let mut lines = Vec::new();
    for f in map.findings.all() {
        match f.status {
            crate::finding::Status::Fail => lines.push(format!(
                "{}: {}: what it carries is not known, so distrust cannot be shown safe for it",
                f.object, f.message
            )),
            crate::finding::Status::Warn | crate::finding::Status::Missing => {
                note(Note::Warning(&format!("{}: {}", f.object, f.message)));
            }
            crate::finding::Status::Ok => {}
        }
    }
    lines.extend(map.rotation.as_ref().map(|r| distrust_gate(&map.carriers, r)).unwrap_or_default());
    Ok(lines)
}

/// The objects of `--cluster-dump` that `distrust` checks, read before the step touches the
/// tree: a dump that cannot be read fails the run first.
pub(super) fn distrust_objects(step: &Step, opts: &Options) -> Result<Option<trust_map::dump::Objects>> {
    if step.to != Phase::Distrust || opts.cluster_dumps().is_empty() {
        return Ok(None);
    }
    trust_map::dump::read_all(opts.cluster_dumps()).map(Some)
}

fn read(tree: &Tree, opts: &Options) -> Result<Option<TrustMap>> {
    if opts.cluster_dumps().is_empty() {
        return Ok(None);
    }
    let objects = trust_map::dump::read_all(opts.cluster_dumps())?;
    trust_map::build(&objects, Some(&tree.root)).map(Some)
}

/// What `plan --cluster-dump` knows: the map and the rotated CAs (before prepare, the tree's
/// current CA as the old one and the new one still to be made).
pub(super) struct Planned {
    map: TrustMap,
    targets: Vec<Rotated>,
}

/// One step's objects, and when they are to be updated.
#[derive(Serialize)]
pub(super) struct StepObjects {
    /// `after-prepare` (once the new CA exists), `before-distrust`, or `after-distrust`.
    pub when: &'static str,
    /// The objects, each with the command that updates it when the operator does.
    pub objects: Vec<Object>,
}

/// An object to update.
#[derive(Serialize)]
pub(super) struct Object {
    #[serde(flatten)]
    update: Update,
    /// The `kubectl` command (printed, never run), when the operator updates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    kubectl: Option<String>,
}

/// The placeholder for a new CA's key before `prepare` has made it.
pub const NOT_YET: &str = "new";

pub(super) fn planned(tree: &Tree, targets: &[Target], opts: &Options) -> Result<Option<Planned>> {
    let Some(map) = read(tree, opts)? else { return Ok(None) };
    let rotated = match &map.rotation {
        Some(r) => r.targets.clone(),
        None => targets
            .iter()
            .filter(|t| t.ca().is_some())
            .filter_map(|t| {
                let old = map.current.get(t.name())?.clone();
                Some(Rotated { name: t.name(), old, new: NOT_YET.into() })
            })
            .collect(),
    };
    Ok(Some(Planned { map, targets: rotated }))
}

impl Planned {
    /// The objects of the step into `to`: after prepare and before distrust, the carriers of an
    /// old CA without the new one; after distrust (listed with finish), every carrier of an old one.
    pub(super) fn for_step(&self, tree: &Tree, to: Phase) -> Option<StepObjects> {
        let when = match to {
            Phase::Prepare => "after-prepare",
            Phase::Distrust => "before-distrust",
            Phase::Done => "after-distrust",
            _ => return None,
        };
        let objects = updates(&self.map.carriers, &self.targets, to)
            .into_iter()
            .map(|u| {
                let bundle = self.bundle_of(tree, &u);
                let kubectl = (u.by == trust_map::kinds::UpdatedBy::Operator)
                    .then(|| bundle.and_then(|b| trust_map::commands::update(&u, &b)))
                    .flatten();
                Object { update: u, kubectl }
            })
            .collect();
        Some(StepObjects { when, objects })
    }

    /// The tree's trust file of the target whose CA `u` wants: it holds what the object should
    /// (old and new until distrust, the new one after).
    fn bundle_of(&self, tree: &Tree, u: &Update) -> Option<std::path::PathBuf> {
        let target = Target::parse(u.target).ok()?;
        std::path::absolute(tree.root.join(target.trust_file())).ok()
    }
}

/// The text lines of one step's objects.
pub(super) fn text(objects: &StepObjects) -> Vec<String> {
    if objects.objects.is_empty() {
        return Vec::new();
    }
    let when = match objects.when {
        "after-prepare" => "once this step has made the new CA (before distrust)",
        "before-distrust" => "before this step (then dump the cluster again for its gate)",
        _ => "after distrust",
    };
    let mut out = vec![format!("  cluster objects to update {when}:")];
    for o in &objects.objects {
        let u = &o.update;
        let by = match u.by {
            _ if u.delete => {
                "delete it: kube-apiserver only adds CAs to it and writes it anew at its next start".to_string()
            }
            trust_map::kinds::UpdatedBy::Operator => "by you".to_string(),
            other => format!("by {} after its restart", other.word()),
        };
        let label = crate::term::escape(&u.label());
        out.push(format!("    {label}: holds {} → {} ({by})", ids(&u.now), ids(&u.want)));
        if let Some(cmd) = &o.kubectl {
            out.push(format!("      $ {cmd}"));
        }
    }
    out
}

/// A step's command line as plan prints it: distrust keeps the `--cluster-dump` plan was given.
pub(super) fn command_with_dumps(command: String, step: &Step, opts: &Options) -> String {
    if step.to != Phase::Distrust {
        return command;
    }
    opts.cluster_dumps().iter().fold(command, |c, d| format!("{c} --cluster-dump {}", crate::explain::sh_path(d)))
}

fn ids(list: &[String]) -> String {
    list.iter().map(|id| id.get(..19).unwrap_or(id)).collect::<Vec<_>>().join("+")
}
