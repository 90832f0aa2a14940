//! What `k8s-rotate` was asked to do: the step (by its word in the phase table), the tree, the
//! targets, and what comes after the current phase.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::rotation::material::NewOptions;
use crate::rotation::state::State;
use crate::rotation::{Phase, Step, Target, step_from};

/// The subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// What the next steps write and restart.
    Plan,
    /// A forward step of the phase table, found by its words ([`Command::step`]).
    Step(&'static Step),
    /// Where the rotation is.
    Status,
    /// One step back.
    Rollback,
}

impl Command {
    /// The forward step whose command is `words` (`prepare`, `issue --step clients`, …), as the
    /// phase table names it.
    pub fn step(words: &str) -> Result<Command> {
        crate::rotation::STEPS
            .iter()
            .find(|s| s.command == words)
            .map(Command::Step)
            .ok_or_else(|| Error::internal(format!("no step '{words}' in the phase table")))
    }
}

/// Everything the subcommands take.
#[derive(Clone, Debug)]
pub struct Options {
    /// The subcommand.
    pub command: Command,
    /// The tree (`/etc/kubernetes`).
    pub pki_dir: PathBuf,
    /// What to rotate (prepare and plan); empty with `all`.
    pub targets: Vec<Target>,
    /// `--all`.
    pub all: bool,
    /// `prepare -`: the new CA (certificate and key) from stdin or a file.
    pub input: Option<PathBuf>,
    /// How new CAs and keys are made.
    pub new: NewOptions,
    /// `--sa-min-soak`, seconds.
    pub sa_min_soak: i64,
    /// `--keep-keys`.
    pub keep_keys: bool,
    /// `--days` of re-issued certificates.
    pub leaf_lifetime: i64,
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
    /// `--cluster-dump` files (plan, distrust).
    pub cluster_dumps: Vec<PathBuf>,
    /// `--node NAME`.
    pub node: Option<String>,
    /// `plan --to STEP`: the last phase to plan for.
    pub to: Option<Phase>,
    /// Now.
    pub now: i64,
}

/// The targets a new rotation takes.
pub(super) fn chosen(opts: &Options) -> Result<Vec<Target>> {
    match (opts.all, opts.targets.is_empty()) {
        (true, true) => Ok(Target::ALL.to_vec()),
        (false, false) => Ok(Target::ALL.into_iter().filter(|t| opts.targets.contains(t)).collect()),
        (true, false) => Err(Error::usage("give --all or --target, not both")),
        (false, true) => Err(Error::usage("name what to rotate: --all, or --target ca|etcd-ca|front-proxy-ca|sa")),
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
    fn each_forward_step_is_found_by_its_words() {
        for step in crate::rotation::STEPS {
            assert_eq!(Command::step(step.command).ok(), Some(Command::Step(step)));
        }
        assert_eq!(Command::step("issue").map_err(|e| e.exit_code()), Err(crate::error::EXIT_INTERNAL));
    }
}
