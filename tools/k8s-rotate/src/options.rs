//! From `k8s-rotate`'s flags to `k8s_pki::cmd::rotate::Options`: the subcommand as the step its
//! words name in the phase table, durations and algorithms as the library's types.

use k8s_pki::cmd::rotate::{Command, Leaves, Options, Start, StepArgs};
use k8s_pki::key::Algorithm;
use k8s_pki::kubeadm::release::{CA_DAYS, LEAF_DAYS};
use k8s_pki::rotation::material::NewOptions;
use k8s_pki::rotation::{Phase, Target};

use crate::cli::*;

impl Cli {
    /// The options for `k8s_pki::cmd::rotate::run`.
    pub fn options(&self) -> k8s_pki::Result<Options> {
        let now = k8s_pki::validity::now();
        let (command, common) = match &self.command {
            Sub::Plan(a) => (Command::Plan(plan(a)), &a.common),
            Sub::Prepare(a) => (Command::step("prepare", StepArgs::Prepare(start(a, now)?))?, &a.common),
            Sub::Issue(a) => {
                (Command::step(issue_words(a.issue.step), StepArgs::Issue(leaves(&a.issue, now)?))?, &a.common)
            }
            Sub::Distrust(a) => {
                (Command::step("distrust", StepArgs::Distrust(a.cluster.cluster_dumps.clone()))?, &a.common)
            }
            Sub::Finish(c) => (Command::step("finish", StepArgs::Finish)?, c),
            Sub::Status(c) => (Command::Status, c),
            Sub::Rollback(c) => (Command::Rollback, c),
        };
        Ok(Options {
            dry_run: common.dry_run || matches!(command, Command::Plan(_)),
            command,
            pki_dir: common.pki_dir.clone(),
            confirm: common.confirm.clone(),
            force: common.force.clone(),
            explain: common.explain.explain,
            json: common.format == FormatArg::Json,
            node: common.node.clone(),
            now,
        })
    }
}

/// The phase table's words for `issue --step STEP`.
fn issue_words(step: StepArg) -> &'static str {
    match step {
        StepArg::Clients => "issue --step clients",
        StepArg::Servers => "issue --step servers",
    }
}

fn choice(c: &crate::cli::Choice) -> k8s_pki::cmd::rotate::Choice {
    k8s_pki::cmd::rotate::Choice { targets: c.target.iter().map(|t| target(*t)).collect(), all: c.all }
}

fn plan(a: &PlanArgs) -> k8s_pki::cmd::rotate::PlanArgs {
    k8s_pki::cmd::rotate::PlanArgs {
        choice: choice(&a.choice),
        to: a.to.map(until),
        cluster_dumps: a.cluster.cluster_dumps.clone(),
    }
}

/// `prepare`'s flags: the targets and how the new material is made.
fn start(a: &PrepareArgs, now: i64) -> k8s_pki::Result<Start> {
    let n = &a.new;
    Ok(Start {
        choice: choice(&a.choice),
        input: n.input.clone(),
        new: NewOptions {
            cn: n.cn.clone(),
            same_cn: n.same_cn,
            lifetime: k8s_pki::validity::lifetime(n.days, n.duration.as_ref(), CA_DAYS, now)?,
            algo: n.algo.map(algorithm),
            now,
        },
        sa_min_soak: soak(&n.sa_min_soak)?,
    })
}

/// `issue`'s flags: how the certificates are re-issued.
fn leaves(i: &IssueArgs, now: i64) -> k8s_pki::Result<Leaves> {
    Ok(Leaves {
        keep_keys: i.keep_keys,
        lifetime: k8s_pki::validity::lifetime(i.days, i.duration.as_ref(), LEAF_DAYS, now)?,
    })
}

/// `--sa-min-soak SPAN` in seconds (`24h`, `90m`, `0s`).
fn soak(text: &str) -> k8s_pki::Result<i64> {
    text.trim().parse::<jiff::SignedDuration>().ok().filter(|d| !d.is_negative()).map(|d| d.as_secs()).ok_or_else(
        || {
            k8s_pki::Error::usage(format!(
                "invalid --sa-min-soak '{}': use e.g. 24h, 90m, 0s",
                k8s_pki::term::sanitize(text)
            ))
        },
    )
}

/// `plan --to STEP`: the phase that step ends in.
fn until(step: UntilArg) -> Phase {
    match step {
        UntilArg::Prepare => Phase::Prepare,
        UntilArg::Clients => Phase::IssueClients,
        UntilArg::Servers => Phase::IssueServers,
        UntilArg::Distrust => Phase::Distrust,
        UntilArg::Finish => Phase::Done,
    }
}

fn target(t: TargetArg) -> Target {
    match t {
        TargetArg::Ca => Target::Ca,
        TargetArg::EtcdCa => Target::EtcdCa,
        TargetArg::FrontProxyCa => Target::FrontProxyCa,
        TargetArg::Sa => Target::Sa,
    }
}

fn algorithm(a: AlgoArg) -> Algorithm {
    match a {
        AlgoArg::Rsa2048 => Algorithm::Rsa2048,
        AlgoArg::Rsa3072 => Algorithm::Rsa3072,
        AlgoArg::Rsa4096 => Algorithm::Rsa4096,
        AlgoArg::EcdsaP256 => Algorithm::EcdsaP256,
        AlgoArg::EcdsaP384 => Algorithm::EcdsaP384,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    /// Each forward subcommand, as typed, is the step of the phase table with those words.
    #[test]
    fn each_forward_subcommand_is_its_step() {
        for step in k8s_pki::rotation::STEPS {
            let mut args = vec!["k8s-rotate"];
            args.extend(step.command.split_whitespace());
            args.extend(["--pki-dir", "t"]);
            if step.command == "prepare" {
                args.push("--all");
            }
            let cli = crate::cli::Cli::try_parse_from(&args).expect("parses");
            let opts = cli.options().expect("options");
            assert!(matches!(opts.command, k8s_pki::cmd::rotate::Command::Step(s, _) if s == step), "{args:?}");
        }
    }
}
