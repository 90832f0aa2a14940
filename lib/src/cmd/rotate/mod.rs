//! `k8s-rotate`: staged rotation of a kubeadm tree's CAs and service-account key. Each step
//! checks its gates, records `applying` in `pki/rotation.json`, backs the originals up, writes
//! atomically and records the new phase last; a re-run of an interrupted step finishes it.

mod gates;
mod rollback;
mod show;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::rotation::material::{self, Material, NewOptions};
use crate::rotation::state::{State, TargetState};
use crate::rotation::tree::{Change, Tree, Want};
use crate::rotation::{Phase, Step, Target, step_from};
use crate::validity::format_time;

pub use show::{plan, status};

/// The subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// What the next steps write and restart.
    Plan,
    /// idle → prepare.
    Prepare,
    /// prepare → issue/clients.
    IssueClients,
    /// issue/clients → issue/servers.
    IssueServers,
    /// issue/servers → distrust.
    Distrust,
    /// distrust → done.
    Finish,
    /// Where the rotation is.
    Status,
    /// One step back.
    Rollback,
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
    /// `--node NAME`.
    pub node: Option<String>,
    /// `plan --to STEP`: the last phase to plan for.
    pub to: Option<Phase>,
    /// Now.
    pub now: i64,
}

/// Runs the subcommand.
pub fn run(opts: &Options, note: super::Warn<'_>) -> Result<()> {
    let tree = Tree::open(&opts.pki_dir)?;
    if let Some(node) = &opts.node
        && !show::nodes(&tree).iter().any(|n| &n.name == node)
    {
        return Err(Error::usage(format!("no node '{}' in this tree", crate::term::sanitize(node))));
    }
    let state = State::load(&tree.pki())?;
    match opts.command {
        Command::Plan => plan(&tree, state.as_ref(), opts),
        Command::Status => status(&tree, state.as_ref(), opts),
        Command::Rollback => rollback::run(&tree, state, opts, note),
        c => {
            let to = match c {
                Command::Prepare => Phase::Prepare,
                Command::IssueClients => Phase::IssueClients,
                Command::IssueServers => Phase::IssueServers,
                Command::Distrust => Phase::Distrust,
                _ => Phase::Done,
            };
            let step = crate::rotation::step_into(to).ok_or_else(|| Error::internal("no step into a phase"))?;
            forward(&tree, state, step, opts, note)
        }
    }
}

/// The targets a new rotation takes.
fn chosen(opts: &Options) -> Result<Vec<Target>> {
    match (opts.all, opts.targets.is_empty()) {
        (true, true) => Ok(Target::ALL.to_vec()),
        (false, false) => Ok(Target::ALL.into_iter().filter(|t| opts.targets.contains(t)).collect()),
        (true, false) => Err(Error::usage("give --all or --target, not both")),
        (false, true) => Err(Error::usage("name what to rotate: --all, or --target ca|etcd-ca|front-proxy-ca|sa")),
    }
}

/// The material of every target: read from `pki/rotation/`, or made by `prepare`.
fn materials(tree: &Tree, state: Option<&State>, opts: &Options) -> Result<(Vec<Material>, Vec<Change>)> {
    let pki = tree.pki();
    let targets = match state {
        Some(s) => s.target_list(),
        None => chosen(opts)?,
    };
    if opts.input.is_some() && (state.is_some() || targets.len() != 1) {
        return Err(Error::usage("a new CA on stdin goes with prepare and exactly one --target"));
    }
    let mut out = Vec::new();
    let mut writes = Vec::new();
    for t in targets {
        if material::file(&pki, t, crate::rotation::Generation::New, "crt").exists() {
            out.push(Material::load(&pki, t)?);
            continue;
        }
        if state.is_some() {
            return Err(Error::io_msg(&pki.join(material::DIR), format!("the material of {} is missing", t.name())));
        }
        let crt = tree.root.join(t.trust_file());
        let key = tree.root.join(t.key_file());
        if !key.exists() {
            return Err(Error::refused(format!(
                "{} is missing: an externally managed {} is rotated where its key is",
                t.key_file(),
                t.name()
            )));
        }
        let bundle = crate::input::read_blocks(&crt)?;
        let wanted = if t == Target::Sa { crate::pem::Kind::PublicKey } else { crate::pem::Kind::Cert };
        if bundle.iter().filter(|b| b.kind() == wanted).count() != 1 {
            return Err(Error::refused(format!(
                "{} holds more than one {}: finish or undo the earlier rotation first",
                t.trust_file(),
                if t == Target::Sa { "key" } else { "CA" }
            )));
        }
        let old = material::Side::from_files(t, &crt, &key)?;
        let new = match (&opts.input, t.ca()) {
            (Some(path), Some(_)) => {
                let (name, bytes) =
                    crate::input::Input::open(Some(path), "the new CA (k8s-sign --self-sign)")?.read_all()?;
                material::from_stream(t, &bytes, &name, opts.now)?
            }
            _ => material::generate(t, &old, &opts.new)?,
        };
        for (g, side) in [(crate::rotation::Generation::Old, &old), (crate::rotation::Generation::New, &new)] {
            let rel = |what| material::file(std::path::Path::new("pki"), t, g, what).display().to_string();
            let key_pem = side.key_pem()?.ok_or_else(|| Error::internal("a new key without its private half"))?;
            writes.push(show::change(rel("crt"), side.pem.clone().into_bytes(), 0o644, "kept for the whole rotation"));
            writes.push(show::change(rel("key"), key_pem.as_bytes().to_vec(), 0o600, "kept until finish"));
        }
        out.push(Material { target: t, old, new });
    }
    Ok((out, writes))
}

/// The writes of the step into `phase` for every target.
pub(super) fn changes(tree: &Tree, ms: &[Material], phase: Phase, opts: &Options) -> Result<Vec<Change>> {
    let want = Want { phase, keep_keys: opts.keep_keys, lifetime: opts.leaf_lifetime, now: opts.now, renew_within: 0 };
    let mut out = Vec::new();
    for m in ms {
        out.extend(crate::rotation::tree::compute(tree, m, &want)?);
    }
    if phase == Phase::Done {
        for m in ms {
            for g in [crate::rotation::Generation::Old, crate::rotation::Generation::New] {
                let rel = material::file(std::path::Path::new("pki"), m.target, g, "key").display().to_string();
                if tree.root.join(&rel).exists() {
                    out.push(Change {
                        rel,
                        contents: None,
                        now: "deleted".into(),
                        why: "the old private keys go at finish (the new one is in pki/)".into(),
                        pipe: String::new(),
                    });
                }
            }
        }
    }
    Ok(out)
}

fn forward(
    tree: &Tree,
    state: Option<State>,
    step: &'static Step,
    opts: &Options,
    note: super::Warn<'_>,
) -> Result<()> {
    let resuming = state.as_ref().and_then(|s| s.applying.as_deref()) == Some(step.command);
    if let Some(a) = state.as_ref().and_then(|s| s.applying.clone())
        && !resuming
    {
        return Err(Error::refused(format!("gate: `{a}` was interrupted; run it again to finish it first")));
    }
    if state.is_none() && step.from != Phase::Idle && opts.force.is_none() {
        return Err(Error::refused(format!(
            "gate: no rotation is under way; `{}` follows {}",
            step.command,
            step.from.word()
        )));
    }
    // A forced step on an idle tree rotates everything (issue and the later steps name no target).
    let forced_all;
    let opts = if state.is_none() && step.from != Phase::Idle {
        forced_all = Options { all: true, targets: Vec::new(), ..opts.clone() };
        &forced_all
    } else {
        opts
    };
    let (ms, material_writes) = materials(tree, state.as_ref(), opts)?;
    let mut all = material_writes;
    all.extend(changes(tree, &ms, step.to, opts)?);
    let missing = gates::gates(tree, state.as_ref(), step, (&ms, &all), opts, resuming);
    let forced = gates::refuse_or_force(&missing, opts, note)?;
    show::explain_changes(&all, opts, note);
    if opts.dry_run {
        return show::print_step(tree, step, &ms, &all, opts);
    }
    let now = format_time(opts.now);
    let mut state = state.unwrap_or_else(|| new_state(&ms, &now, opts));
    let backup =
        state.backups.get(step.to.word()).cloned().filter(|_| resuming).unwrap_or_else(|| backup_name(tree, opts.now));
    state.applying = Some(step.command.into());
    state.backups.insert(step.to.word().into(), backup.clone());
    state.save(&tree.pki())?;
    crate::rotation::backup::apply(tree, &all, &backup)?;
    state.enter(step.to, &now);
    state.applying = None;
    for t in state.targets.values_mut() {
        if let Some(word) = step.confirm.filter(|w| opts.confirm.iter().any(|c| c == w)) {
            t.confirmed.push(word.into());
        }
        if let Some(reason) = &forced {
            t.forced.push(format!("{}: {reason}", step.command));
        }
    }
    if step.to == Phase::IssueClients
        && let Some(sa) = state.targets.get_mut("sa")
    {
        sa.signing_since = Some(now.clone());
    }
    state.save(&tree.pki())?;
    show::print_step(tree, step, &ms, &all, opts)
}

fn new_state(ms: &[Material], now: &str, opts: &Options) -> State {
    let mut targets = BTreeMap::new();
    for m in ms {
        targets.insert(
            m.target.name().to_string(),
            TargetState {
                phase: Phase::Idle.word().into(),
                since: now.into(),
                old: m.old.id(),
                new: m.new.id(),
                confirmed: Vec::new(),
                forced: Vec::new(),
                min_soak: (m.target == Target::Sa).then_some(opts.sa_min_soak),
                min_soak_human: (m.target == Target::Sa).then(|| show::duration_words(opts.sa_min_soak)),
                signing_since: None,
            },
        );
    }
    State {
        api_version: "k8s-pki/v1alpha1".into(),
        kind: "Rotation".into(),
        started: now.into(),
        applying: None,
        targets,
        backups: BTreeMap::new(),
    }
}

/// `backup-YYYYMMDDTHHMMSSZ` under the tree, as `make renew` names it, made unique.
pub(super) fn backup_name(tree: &Tree, now: i64) -> String {
    let stamp = format_time(now).replace([':', '-'], "");
    let mut name = format!("backup-{stamp}");
    let mut n = 1;
    while tree.root.join(&name).exists() {
        n += 1;
        name = format!("backup-{stamp}-{n}");
    }
    name
}

/// The step after the current phase, for `status` and `plan`.
pub(super) fn next_step(state: Option<&State>) -> Option<&'static Step> {
    let phase = state.map(State::phase).transpose().ok().flatten().unwrap_or(Phase::Idle);
    step_from(phase)
}
