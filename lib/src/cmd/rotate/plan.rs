//! `k8s-rotate plan`: every remaining step with its command, its restarts and, with
//! `--cluster-dump`, the cluster objects to update around it.

use serde_json::json;

use super::options::{Options, chosen, next_step};
use super::show::{command_line, line, nodes, print, restarts_text};
use crate::error::Result;
use crate::rotation::plan::restarts;
use crate::rotation::state::State;
use crate::rotation::tree::Tree;
use crate::rotation::{STEPS, Step};

/// `plan`: every remaining step with its restarts, each command complete.
pub fn plan(tree: &Tree, state: Option<&State>, opts: &Options) -> Result<()> {
    let targets = match state {
        Some(s) => s.target_list(),
        None => chosen(opts)?,
    };
    let nodes = nodes(tree);
    let first = next_step(state);
    let steps: Vec<&Step> = STEPS
        .iter()
        .filter(|s| first.is_some_and(|f| s.from >= f.from))
        .filter(|s| opts.to.is_none_or(|to| s.to <= to))
        .collect();
    let cluster = super::cluster::planned(tree, &targets, opts)?;
    let objects = |step: &Step| cluster.as_ref().and_then(|c| c.for_step(tree, step.to));
    let names: Vec<&str> = targets.iter().map(|t| t.name()).collect();
    if opts.json {
        let mut out = Vec::new();
        for step in &steps {
            let list = restarts(step.to, &targets, &nodes, opts.node.as_deref());
            let mut entry = json!({
                "command": super::cluster::command_with_dumps(command_line(tree, step, &targets), step, opts),
                "from": step.from.word(), "to": step.to.word(), "confirm": step.confirm, "restarts": list,
            });
            if let (Some(o), Some(map)) = (objects(step), entry.as_object_mut()) {
                map.insert("cluster".into(), serde_json::to_value(o).unwrap_or_default());
            }
            out.push(entry);
        }
        return print(
            &json!({"targets": names, "phase": first.map(|s| s.from.word()).unwrap_or("done"), "steps": out}),
        );
    }
    line(&format!("rotation of {}: {} step(s) left", names.join(", "), steps.len()))?;
    for step in steps {
        let command = super::cluster::command_with_dumps(command_line(tree, step, &targets), step, opts);
        line(&format!("\n{command}   ({} → {})", step.from.word(), step.to.word()))?;
        restarts_text(&restarts(step.to, &targets, &nodes, opts.node.as_deref()))?;
        for l in objects(step).map(|o| super::cluster::text(&o)).unwrap_or_default() {
            line(&l)?;
        }
    }
    Ok(())
}
