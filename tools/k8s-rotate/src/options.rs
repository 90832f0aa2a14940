//! From `k8s-rotate`'s flags to `k8s_pki::cmd::rotate::Options`: the subcommand as the step its
//! words name in the phase table, durations and algorithms as the library's types.

use k8s_pki::cmd::rotate::{Command, Options};
use k8s_pki::key::Algorithm;
use k8s_pki::rotation::material::NewOptions;
use k8s_pki::rotation::{Phase, Target};

use crate::cli::*;

impl Cli {
    /// The options for `k8s_pki::cmd::rotate::run`.
    pub fn options(&self) -> k8s_pki::Result<Options> {
        let now = k8s_pki::validity::now();
        let (command, common) = match &self.command {
            Sub::Plan(a) => (Command::Plan, &a.common),
            Sub::Prepare(a) => (Command::step("prepare")?, &a.common),
            Sub::Issue(a) => (
                Command::step(if a.issue.step == StepArg::Clients {
                    "issue --step clients"
                } else {
                    "issue --step servers"
                })?,
                &a.common,
            ),
            Sub::Distrust(a) => (Command::step("distrust")?, &a.common),
            Sub::Finish(c) => (Command::step("finish")?, c),
            Sub::Status(c) => (Command::Status, c),
            Sub::Rollback(c) => (Command::Rollback, c),
        };
        let choice = match &self.command {
            Sub::Plan(PlanArgs { choice, .. }) | Sub::Prepare(PrepareArgs { choice, .. }) => Some(choice),
            _ => None,
        };
        let new = match &self.command {
            Sub::Prepare(a) => Some(&a.new),
            _ => None,
        };
        let issue = match &self.command {
            Sub::Issue(a) => Some(&a.issue),
            _ => None,
        };
        let sa_min_soak = new.map(|n| soak(&n.sa_min_soak)).transpose()?.unwrap_or(86_400);
        let ca_lifetime =
            k8s_pki::validity::lifetime(new.and_then(|n| n.days), new.and_then(|n| n.duration.as_ref()), 3650, now)?;
        let leaf_lifetime =
            k8s_pki::validity::lifetime(issue.and_then(|i| i.days), issue.and_then(|i| i.duration.as_ref()), 365, now)?;
        Ok(Options {
            command,
            pki_dir: common.pki_dir.clone(),
            targets: choice.map(|c| c.target.iter().map(|t| target(*t)).collect()).unwrap_or_default(),
            all: choice.is_some_and(|c| c.all),
            input: new.and_then(|n| n.input.clone()),
            new: NewOptions {
                cn: new.and_then(|n| n.cn.clone()),
                same_cn: new.is_some_and(|n| n.same_cn),
                lifetime: ca_lifetime,
                algo: new.and_then(|n| n.algo).map(algorithm),
                now,
            },
            sa_min_soak,
            keep_keys: issue.is_some_and(|i| i.keep_keys),
            leaf_lifetime,
            confirm: common.confirm.clone(),
            force: common.force.clone(),
            dry_run: common.dry_run || command == Command::Plan,
            explain: common.explain.explain,
            json: common.format == FormatArg::Json,
            node: common.node.clone(),
            cluster_dumps: match &self.command {
                Sub::Plan(PlanArgs { cluster, .. }) | Sub::Distrust(DistrustArgs { cluster, .. }) => {
                    cluster.cluster_dumps.clone()
                }
                _ => Vec::new(),
            },
            to: match &self.command {
                Sub::Plan(p) => p.to.map(until),
                _ => None,
            },
            now,
        })
    }
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
            assert_eq!(opts.command, k8s_pki::cmd::rotate::Command::Step(step), "{args:?}");
        }
    }
}
