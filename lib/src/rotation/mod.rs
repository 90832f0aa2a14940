//! Staged rotation of the three CAs and the service-account key of a kubeadm tree
//! (`k8s-rotate`, docs/rotation.md): the phases, the steps between them and what every file
//! holds at each phase, as data. [`state`] is `pki/rotation.json`, [`material`] the old and new
//! CAs and keys, [`tree`] computes a step's writes, [`backup`] applies them, [`gate`] decides whether a step
//! is safe, [`plan`] says what to restart, in which order, and why, [`copies`] what to copy to
//! each node.

pub mod backup;
pub mod change;
pub mod changes;
pub mod copies;
pub mod gate;
pub mod layout;
pub mod material;
pub mod plan;
pub mod report;
pub mod secrets;
pub mod state;
pub mod tree;

use crate::error::{Error, Result};
use crate::kubeadm::profile::CaName;

/// What can be rotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// The cluster CA (`pki/ca`).
    Ca,
    /// The etcd CA (`pki/etcd/ca`).
    EtcdCa,
    /// The front-proxy CA (`pki/front-proxy-ca`).
    FrontProxyCa,
    /// The service-account key pair (`pki/sa.key`, `pki/sa.pub`).
    Sa,
}

impl Target {
    /// Every target, in the order steps handle them.
    pub const ALL: [Target; 4] = [Target::Ca, Target::EtcdCa, Target::FrontProxyCa, Target::Sa];

    /// The name `--target` takes and `rotation.json` uses (kubeadm's names for the CAs).
    pub fn name(self) -> &'static str {
        match self.ca() {
            Some(ca) => ca.profile(),
            None => "sa",
        }
    }

    /// The CA this target is, if it is one.
    pub fn ca(self) -> Option<CaName> {
        match self {
            Target::Ca => Some(CaName::Cluster),
            Target::EtcdCa => Some(CaName::Etcd),
            Target::FrontProxyCa => Some(CaName::FrontProxy),
            Target::Sa => None,
        }
    }

    /// The target named `name`.
    pub fn parse(name: &str) -> Result<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name).ok_or_else(|| {
            Error::usage(format!(
                "unknown target '{}': one of ca, etcd-ca, front-proxy-ca, sa",
                crate::term::sanitize(name)
            ))
        })
    }

    /// The trust file every reader of this target loads, under the tree.
    pub fn trust_file(self) -> String {
        match self.ca() {
            Some(ca) => format!("pki/{}.crt", ca.file()),
            None => "pki/sa.pub".into(),
        }
    }

    /// The signing key file, under the tree.
    pub fn key_file(self) -> String {
        match self.ca() {
            Some(ca) => format!("pki/{}.key", ca.file()),
            None => "pki/sa.key".into(),
        }
    }
}

/// Where a rotation is. Every target of a rotation moves through these together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// No rotation.
    Idle,
    /// The new CA or key exists and every trust file holds old and new.
    Prepare,
    /// The new CA or key signs; client certificates are new.
    IssueClients,
    /// Server certificates are new too.
    IssueServers,
    /// The old CA or key has left every trust file.
    Distrust,
    /// The old private keys are deleted.
    Done,
}

/// What a trust file (a CA bundle, `sa.pub`, a kubeconfig's CA data) holds: the signer first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    /// The old CA or key only.
    Old,
    /// Old, then new (the old one still signs).
    OldNew,
    /// New, then old (the new one signs).
    NewOld,
    /// The new one only.
    New,
}

impl Bundle {
    /// The members, in order, from the old and the new.
    pub fn members<'a, T>(self, old: &'a T, new: &'a T) -> Vec<&'a T> {
        match self {
            Bundle::Old => vec![old],
            Bundle::OldNew => vec![old, new],
            Bundle::NewOld => vec![new, old],
            Bundle::New => vec![new],
        }
    }
}

/// Which CA or key a certificate was signed by, decided by its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// The CA or key before the rotation.
    Old,
    /// The one the rotation brings.
    New,
}

impl Generation {
    /// `old` or `new`.
    pub fn word(self) -> &'static str {
        match self {
            Generation::Old => "old",
            Generation::New => "new",
        }
    }
}

impl Generation {
    /// The other generation.
    pub fn other(self) -> Generation {
        match self {
            Generation::Old => Generation::New,
            Generation::New => Generation::Old,
        }
    }
}

/// One row per phase: its name, what trust files hold, which key signs, which generation client
/// and server certificates have (docs/rotation.md, "What each file holds").
struct Row {
    phase: Phase,
    word: &'static str,
    bundle: Bundle,
    signer: Generation,
    clients: Generation,
    servers: Generation,
}

const ROWS: &[Row] = &[
    row(Phase::Idle, "idle", Bundle::Old, Generation::Old, Generation::Old, Generation::Old),
    row(Phase::Prepare, "prepare", Bundle::OldNew, Generation::Old, Generation::Old, Generation::Old),
    row(Phase::IssueClients, "issue/clients", Bundle::NewOld, Generation::New, Generation::New, Generation::Old),
    row(Phase::IssueServers, "issue/servers", Bundle::NewOld, Generation::New, Generation::New, Generation::New),
    row(Phase::Distrust, "distrust", Bundle::New, Generation::New, Generation::New, Generation::New),
    row(Phase::Done, "done", Bundle::New, Generation::New, Generation::New, Generation::New),
];

const DONE: Row = row(Phase::Done, "done", Bundle::New, Generation::New, Generation::New, Generation::New);

const fn row(
    phase: Phase,
    word: &'static str,
    bundle: Bundle,
    signer: Generation,
    c: Generation,
    s: Generation,
) -> Row {
    Row { phase, word, bundle, signer, clients: c, servers: s }
}

impl Phase {
    fn row(self) -> &'static Row {
        // Every phase has a row (a unit test checks); Done's is the fallback.
        ROWS.iter().find(|r| r.phase == self).unwrap_or(&DONE)
    }

    /// Its name in `rotation.json` and messages.
    pub fn word(self) -> &'static str {
        self.row().word
    }

    /// The phase named `word`.
    pub fn parse(word: &str) -> Result<Phase> {
        ROWS.iter()
            .find(|r| r.word == word)
            .map(|r| r.phase)
            .ok_or_else(|| Error::input("rotation.json", format!("unknown phase '{}'", crate::term::sanitize(word))))
    }

    /// What trust files hold.
    pub fn bundle(self) -> Bundle {
        self.row().bundle
    }

    /// Which CA or key signs.
    pub fn signer(self) -> Generation {
        self.row().signer
    }

    /// Which generation a certificate should have: server certificates (any with serverAuth,
    /// etcd's peer certificates too) move a step after client certificates.
    pub fn leaf(self, server: bool) -> Generation {
        if server { self.row().servers } else { self.row().clients }
    }
}

/// A step: the command that takes every target from one phase to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The command line's words (`issue --step clients`).
    pub command: &'static str,
    /// The phase it starts from.
    pub from: Phase,
    /// The phase it ends in.
    pub to: Phase,
    /// The `--confirm` word the step's gate wants: the operator's word that the restarts of
    /// the previous phase were done.
    pub confirm: Option<&'static str>,
}

/// The forward steps, in order.
pub const STEPS: &[Step] = &[
    Step { command: "prepare", from: Phase::Idle, to: Phase::Prepare, confirm: None },
    Step {
        command: "issue --step clients",
        from: Phase::Prepare,
        to: Phase::IssueClients,
        confirm: Some("prepare-restarts"),
    },
    Step {
        command: "issue --step servers",
        from: Phase::IssueClients,
        to: Phase::IssueServers,
        confirm: Some("clients-refreshed"),
    },
    Step { command: "distrust", from: Phase::IssueServers, to: Phase::Distrust, confirm: None },
    Step { command: "finish", from: Phase::Distrust, to: Phase::Done, confirm: None },
];

/// The command line of `step` on the tree `dir` (already quoted for bash), complete: prepare
/// names its targets (`--all` for every one), a gated step its `--confirm` word.
pub fn command_line(step: &Step, dir: &str, targets: &[Target]) -> String {
    let mut out = format!("k8s-rotate {} --pki-dir {dir}", step.command);
    if step.from == Phase::Idle {
        if targets.len() == Target::ALL.len() {
            out.push_str(" --all");
        } else {
            for t in targets {
                out.push_str(&format!(" --target {}", t.name()));
            }
        }
    }
    if let Some(word) = step.confirm {
        out.push_str(&format!(" --confirm {word}"));
    }
    out
}

/// The step that leads into `to`.
pub fn step_into(to: Phase) -> Option<&'static Step> {
    STEPS.iter().find(|s| s.to == to)
}

/// The step that leaves `from`.
pub fn step_from(from: Phase) -> Option<&'static Step> {
    STEPS.iter().find(|s| s.from == from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_chain_every_phase_once() {
        let mut phase = Phase::Idle;
        for step in STEPS {
            assert_eq!(step.from, phase);
            phase = step.to;
        }
        assert_eq!(phase, Phase::Done);
        for r in ROWS {
            assert_eq!(Phase::parse(r.word).expect("parses"), r.phase);
        }
    }

    #[test]
    fn clients_move_before_servers_and_the_signer_with_the_clients() {
        for r in ROWS {
            assert!(r.clients == Generation::New || r.servers == Generation::Old, "{}", r.word);
            assert_eq!(r.signer, r.clients, "{}", r.word);
            // Whatever signs is first in every bundle, and trusted.
            let first = *r.bundle.members(&Generation::Old, &Generation::New)[0];
            assert_eq!(first, r.signer, "{}", r.word);
        }
    }
}
