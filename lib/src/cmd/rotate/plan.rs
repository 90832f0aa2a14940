//! `k8s-rotate plan`: every remaining step with its command, its restarts and, with
//! `--cluster-dump`, the cluster objects to update around it.

use serde::Serialize;

use super::facts::{command_line, nodes};
use super::options::{Options, PlanArgs, next_step};
use super::show::{line, print, restarts_text};
use crate::error::Result;
use crate::rotation::plan::{Restart, restarts};
use crate::rotation::state::State;
use crate::rotation::tree::Tree;
use crate::rotation::{STEPS, Step};

/// `plan`'s report: `{targets, phase, steps}`.
#[derive(Serialize)]
struct PlanOutput {
    targets: Vec<&'static str>,
    /// Where the rotation is (`done` when no step is left).
    phase: &'static str,
    steps: Vec<PlannedStep>,
}

/// One step left: `{command, from, to, confirm, restarts, cluster?}`.
#[derive(Serialize)]
struct PlannedStep {
    command: String,
    from: &'static str,
    to: &'static str,
    confirm: Option<&'static str>,
    restarts: Vec<Restart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<super::cluster::StepObjects>,
}

/// `plan`: every remaining step with its restarts, each command complete.
pub fn plan(tree: &Tree, state: Option<&State>, args: &PlanArgs, opts: &Options) -> Result<()> {
    let targets = match state {
        Some(s) => s.target_list(),
        None => args.choice.targets()?,
    };
    let nodes = nodes(tree);
    let first = next_step(state);
    let cluster = super::cluster::planned(tree, &targets, opts)?;
    let steps: Vec<PlannedStep> = STEPS
        .iter()
        .filter(|s| first.is_some_and(|f| s.from >= f.from))
        .filter(|s| args.to.is_none_or(|to| s.to <= to))
        .map(|step: &Step| PlannedStep {
            command: super::cluster::command_with_dumps(command_line(tree, step, &targets), step, opts),
            from: step.from.word(),
            to: step.to.word(),
            confirm: step.confirm,
            restarts: restarts(step.to, &targets, &nodes, opts.node.as_deref()),
            cluster: cluster.as_ref().and_then(|c| c.for_step(tree, step.to)),
        })
        .collect();
    let out = PlanOutput {
        targets: targets.iter().map(|t| t.name()).collect(),
        phase: first.map(|s| s.from.word()).unwrap_or("done"),
        steps,
    };
    if opts.json {
        return print(&out);
    }
    line(&format!("rotation of {}: {} step(s) left", out.targets.join(", "), out.steps.len()))?;
    for step in &out.steps {
        line(&format!("\n{}   ({} → {})", step.command, step.from, step.to))?;
        restarts_text(&step.restarts)?;
        for l in step.cluster.as_ref().map(super::cluster::text).unwrap_or_default() {
            line(&l)?;
        }
    }
    Ok(())
}
