//! The map during a CA rotation: each carrier of a rotated CA judged by the phase (the table of
//! docs/trust-map.md, "Rules"), the objects `distrust` would break, and what each remaining step
//! needs updated, by whom.

use serde::Serialize;

use super::carriers::Carrier;
use super::finding::{Finding, Findings};
use super::kinds::{UpdatedBy, writer};
use super::tree::{Rotated, Rotation};
use crate::rotation::Phase;

/// What a carrier holds of one rotated CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holds {
    /// The old CA only.
    Old,
    /// Both.
    Both,
    /// The new CA only.
    New,
}

/// What `carrier` holds of `t`, if anything.
pub fn holds(carrier: &Carrier, t: &Rotated) -> Option<Holds> {
    match (carrier.cas.contains(&t.old), carrier.cas.contains(&t.new)) {
        (true, false) => Some(Holds::Old),
        (true, true) => Some(Holds::Both),
        (false, true) => Some(Holds::New),
        (false, false) => None,
    }
}

/// One finding per carrier of a rotated CA, by the phase.
pub fn verdicts(carriers: &[Carrier], rotation: &Rotation, findings: &mut Findings) {
    for c in carriers {
        for t in &rotation.targets {
            let Some(h) = holds(c, t) else { continue };
            let n = t.name;
            let f = match (rotation.phase, h) {
                (Phase::Idle, _) => continue,
                (Phase::Prepare | Phase::IssueClients | Phase::IssueServers, Holds::Old) => Finding::warn(
                    c.label(),
                    format!("carries the old {n} only: add the new one before distrust (k8s-rotate distrust refuses)"),
                ),
                (Phase::Prepare | Phase::IssueClients | Phase::IssueServers, Holds::Both) => {
                    Finding::ok(c.label(), format!("carries the old and the new {n}"))
                }
                (Phase::Prepare | Phase::IssueClients | Phase::IssueServers, Holds::New) => Finding::warn(
                    c.label(),
                    format!(
                        "carries the new {n} only: peers with certificates of the old one fail until they are re-issued"
                    ),
                ),
                (Phase::Distrust | Phase::Done, Holds::Old) => Finding::fail(
                    c.label(),
                    format!("carries the old {n} only: its readers no longer trust the cluster's certificates"),
                ),
                (Phase::Distrust, Holds::Both) => {
                    Finding::warn(c.label(), format!("still carries the old {n}: drop it"))
                }
                (Phase::Done, Holds::Both) => {
                    Finding::fail(c.label(), format!("still carries the old {n}: after finish none may"))
                }
                (Phase::Distrust | Phase::Done, Holds::New) => {
                    Finding::ok(c.label(), format!("carries the new {n} only"))
                }
            };
            findings.push(f);
        }
    }
}

/// The objects `distrust` would break: each carrier of an old CA without the new one, one line.
pub fn distrust_gate(carriers: &[Carrier], rotation: &Rotation) -> Vec<String> {
    let mut out = Vec::new();
    for c in carriers {
        for t in &rotation.targets {
            if holds(c, t) == Some(Holds::Old) {
                out.push(format!("{} carries the old {} ({}) but not the new one", c.label(), t.name, t.old));
            }
        }
    }
    out
}

/// An object a step needs updated.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Update {
    /// The rotated CA it carries (`ca`, `etcd-ca`, `front-proxy-ca`).
    pub target: &'static str,
    /// Kind.
    pub kind: String,
    /// Namespace (none: cluster-scoped).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// The field.
    pub field: String,
    /// The CAs it holds now (of the rotated targets).
    pub now: Vec<String>,
    /// The CAs it should hold.
    pub want: Vec<String>,
    /// Who updates it.
    pub by: UpdatedBy,
    /// Whether the update is deleting it (kube-apiserver writes it anew at its next start).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub delete: bool,
    /// Whether the field holds only the rotated CA's certificates, so that one bundle can
    /// replace it whole.
    #[serde(skip)]
    pub replaceable: bool,
}

impl Update {
    /// `Kind namespace/name field` (escaped).
    pub fn label(&self) -> String {
        format!("{} {}", super::object::label(&self.kind, self.namespace.as_deref(), &self.name), self.field)
    }
}

/// The objects to update before a step into `to` (after it, for `finish`): before distrust,
/// every carrier of an old CA must hold the new one too; after distrust, none may hold the old.
pub fn updates(carriers: &[Carrier], targets: &[Rotated], to: Phase) -> Vec<Update> {
    let mut out = Vec::new();
    for c in carriers {
        for t in targets {
            let Some(h) = holds(c, t) else { continue };
            let want = match (to, h) {
                (Phase::Done, Holds::Old | Holds::Both) => vec![t.new.clone()],
                (Phase::Prepare | Phase::IssueClients | Phase::IssueServers | Phase::Distrust, Holds::Old) => {
                    vec![t.old.clone(), t.new.clone()]
                }
                _ => continue,
            };
            let now = c.cas.iter().filter(|id| **id == t.old || **id == t.new).cloned().collect();
            let ns = c.object.namespace.as_deref();
            let by = c.by.or(writer(&c.object.kind, ns, &c.object.name).map(|w| w.by)).unwrap_or(UpdatedBy::Operator);
            // kube-apiserver only ever adds CAs to its authentication ConfigMap: after distrust the
            // operator deletes it and kube-apiserver writes it anew (the plan's restart rule).
            let delete = to == Phase::Done && by == UpdatedBy::KubeApiserver;
            let by = if delete { UpdatedBy::Operator } else { by };
            let replaceable = c.pure && c.cas.iter().all(|id| *id == t.old || *id == t.new);
            out.push(Update {
                target: t.name,
                replaceable,
                delete,
                kind: c.object.kind.clone(),
                namespace: c.object.namespace.clone(),
                name: c.object.name.clone(),
                field: c.field.clone(),
                now,
                want,
                by,
            });
        }
    }
    out
}
