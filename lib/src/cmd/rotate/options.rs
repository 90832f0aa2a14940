//! What `k8s-rotate` was asked to do: the step (by its word in the phase table), the tree, the
//! targets, and what comes after the current phase.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::rotation::material::NewOptions;
use crate::rotation::state::State;
use crate::rotation::{Phase, Step, Target, step_from};

/// The subcommand, with the flags that only it takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// What the next steps write and restart.
    Plan(PlanArgs),
    /// A forward step of the phase table, found by its words ([`Command::step`]), with its flags.
    Step(&'static Step, StepArgs),
    /// Where the rotation is.
    Status,
    /// One step back.
    Rollback,
}

/// `plan`'s own flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanArgs {
    /// What a rotation not yet begun would take.
    pub choice: Choice,
    /// `--to STEP`: the last phase to plan for.
    pub to: Option<Phase>,
    /// `--cluster-dump` files.
    pub cluster_dumps: Vec<PathBuf>,
}

/// The flags of each forward step; which one a step takes is named by the first word of its
/// command in the phase table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepArgs {
    /// `prepare`: what the new rotation takes and how its material is made.
    Prepare(Start),
    /// `issue --step …`: how the certificates are re-issued.
    Issue(Leaves),
    /// `distrust`: the cluster's objects (`--cluster-dump` files).
    Distrust(Vec<PathBuf>),
    /// `finish`.
    Finish,
}

impl StepArgs {
    /// The word of the subcommand that takes these flags.
    fn word(&self) -> &'static str {
        match self {
            StepArgs::Prepare(_) => "prepare",
            StepArgs::Issue(_) => "issue",
            StepArgs::Distrust(_) => "distrust",
            StepArgs::Finish => "finish",
        }
    }
}

/// What to rotate: `--all`, or each `--target`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    /// The `--target`s; empty with `all`.
    pub targets: Vec<Target>,
    /// `--all`.
    pub all: bool,
}

impl Choice {
    /// The targets chosen, in the table's order.
    pub fn targets(&self) -> Result<Vec<Target>> {
        match (self.all, self.targets.is_empty()) {
            (true, true) => Ok(Target::ALL.to_vec()),
            (false, false) => Ok(Target::ALL.into_iter().filter(|t| self.targets.contains(t)).collect()),
            (true, false) => Err(Error::usage("give --all or --target, not both")),
            (false, true) => Err(Error::usage("name what to rotate: --all, or --target ca|etcd-ca|front-proxy-ca|sa")),
        }
    }
}

/// `prepare`'s flags: what the new rotation takes and how its material is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Start {
    /// What to rotate.
    pub choice: Choice,
    /// `prepare -`: the new CA (certificate and key) from stdin or a file.
    pub input: Option<PathBuf>,
    /// How new CAs and keys are made.
    pub new: NewOptions,
    /// `--sa-min-soak`, seconds.
    pub sa_min_soak: i64,
}

/// `issue`'s flags: how certificates are re-issued. Every other step that re-issues (the
/// later steps' kubeconfigs, rollback) does it as kubeadm does: new keys, 365 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaves {
    /// `--keep-keys`.
    pub keep_keys: bool,
    /// `--days`/`--duration`, seconds.
    pub lifetime: i64,
}

impl Default for Leaves {
    fn default() -> Leaves {
        Leaves { keep_keys: false, lifetime: crate::kubeadm::release::LEAF_DAYS * crate::validity::DAY }
    }
}

impl Command {
    /// The forward step whose command is `words` (`prepare`, `issue --step clients`, …), as the
    /// phase table names it, with its flags.
    pub fn step(words: &str, args: StepArgs) -> Result<Command> {
        let step = crate::rotation::STEPS
            .iter()
            .find(|s| s.command == words)
            .ok_or_else(|| Error::internal(format!("no step '{words}' in the phase table")))?;
        if step.command.split(' ').next() != Some(args.word()) {
            return Err(Error::internal(format!("`{words}` does not take the flags of `{}`", args.word())));
        }
        Ok(Command::Step(step, args))
    }
}

/// What every subcommand takes, and the subcommand with its own flags.
#[derive(Clone, Debug)]
pub struct Options {
    /// The subcommand.
    pub command: Command,
    /// The tree (`/etc/kubernetes`).
    pub pki_dir: PathBuf,
    /// `--confirm` words.
    pub confirm: Vec<String>,
    /// `--force REASON`.
    pub force: Option<String>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--explain`.
    pub explain: bool,
    /// `--format json` (plan, status).
    pub json: bool,
    /// `--node NAME`.
    pub node: Option<String>,
    /// Now.
    pub now: i64,
}

impl Options {
    /// `prepare`'s flags; none for the other subcommands.
    pub(super) fn start(&self) -> Option<&Start> {
        match &self.command {
            Command::Step(_, StepArgs::Prepare(start)) => Some(start),
            _ => None,
        }
    }

    /// How certificates are re-issued: `issue`'s flags, kubeadm's defaults elsewhere.
    pub(super) fn leaves(&self) -> Leaves {
        match &self.command {
            Command::Step(_, StepArgs::Issue(leaves)) => *leaves,
            _ => Leaves::default(),
        }
    }

    /// The `--cluster-dump` files (plan, distrust).
    pub(super) fn cluster_dumps(&self) -> &[PathBuf] {
        match &self.command {
            Command::Plan(PlanArgs { cluster_dumps, .. }) | Command::Step(_, StepArgs::Distrust(cluster_dumps)) => {
                cluster_dumps
            }
            _ => &[],
        }
    }
}

/// The step after the current phase, for `status` and `plan`.
pub(super) fn next_step(state: Option<&State>) -> Option<&'static Step> {
    let phase = state.map(State::phase).transpose().ok().flatten().unwrap_or(Phase::Idle);
    step_from(phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_forward_step_is_found_by_its_words_and_takes_only_its_flags() {
        let all = [
            StepArgs::Prepare(Start {
                choice: Choice { targets: Vec::new(), all: true },
                input: None,
                new: NewOptions { cn: None, same_cn: false, lifetime: 1, algo: None, now: 0 },
                sa_min_soak: 0,
            }),
            StepArgs::Issue(Leaves::default()),
            StepArgs::Distrust(Vec::new()),
            StepArgs::Finish,
        ];
        for step in crate::rotation::STEPS {
            for args in &all {
                let got = Command::step(step.command, args.clone());
                if step.command.starts_with(args.word()) {
                    assert_eq!(got.ok(), Some(Command::Step(step, args.clone())));
                } else {
                    assert_eq!(got.map_err(|e| e.exit_code()), Err(crate::error::EXIT_INTERNAL), "{}", step.command);
                }
            }
        }
        assert_eq!(
            Command::step("issue", StepArgs::Finish).map_err(|e| e.exit_code()),
            Err(crate::error::EXIT_INTERNAL)
        );
    }

    #[test]
    fn a_choice_is_all_or_named_targets_not_both_nor_neither() {
        let choice = |targets: Vec<Target>, all| Choice { targets, all }.targets().map_err(|e| e.to_string());
        assert_eq!(choice(Vec::new(), true), Ok(Target::ALL.to_vec()));
        assert_eq!(choice(vec![Target::Sa, Target::Ca], false), Ok(vec![Target::Ca, Target::Sa]));
        assert!(choice(vec![Target::Sa], true).is_err_and(|e| e.contains("not both")));
        assert!(choice(Vec::new(), false).is_err_and(|e| e.contains("name what to rotate")));
    }
}
