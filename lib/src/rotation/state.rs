//! `pki/rotation.json`: where a rotation is, which CAs and keys are old and new (by the
//! SHA-256 of their public key, kubeadm's discovery-hash form, and by kube-apiserver's `kid`
//! for the service-account key), where each step's backup is and which files the step wrote,
//! what was confirmed and forced. A step records `applying` and its files before its first write
//! and its new phase after its last, so that a run killed anywhere can be finished or undone.
//! The file is someone else's input too: every field is checked when it is read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Phase, Target};
use crate::error::{Error, Result};

/// The state file's name under `pki/`.
pub const FILE: &str = "rotation.json";

/// What `applying` says while a rollback is being applied.
pub const ROLLBACK: &str = "rollback";

/// The whole file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct State {
    /// `k8s-pki/v1alpha1`.
    pub api_version: String,
    /// `Rotation`.
    pub kind: String,
    /// When `prepare` ran.
    pub started: String,
    /// The step under way (`issue --step clients`, or `rollback`), until its writes are all done.
    pub applying: Option<String>,
    /// While `applying` is set: whether the step's backup is complete (no file of the tree was
    /// replaced before it was).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub backed_up: bool,
    /// While a rollback is applied: what it undoes and writes, recorded before its first write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Undo>,
    /// Per target.
    pub targets: BTreeMap<String, TargetState>,
    /// The backup directory (under the tree) taken entering each phase, by phase name: what
    /// `rollback` restores.
    #[serde(default)]
    pub backups: BTreeMap<String, String>,
    /// The files the step into each phase writes, by phase name, recorded before its first
    /// write: what the step reports and copies to each node however often it is run, and what
    /// `rollback` puts back, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub steps: BTreeMap<String, StepFiles>,
    /// Every backup directory this rotation made: `finish` (and a rollback to idle) removes the
    /// private keys they hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backup_dirs: Vec<String>,
}

/// The files one step writes, relative to the tree.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepFiles {
    /// Files that existed and were replaced (their originals are in the step's backup).
    #[serde(default)]
    pub replaced: Vec<String>,
    /// Files the step created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
    /// Files the step removed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

impl StepFiles {
    /// Every file the step touches, in order: replaced, created, removed.
    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.replaced.iter().chain(&self.created).chain(&self.removed)
    }
}

/// A rollback under way.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Undo {
    /// The phase whose step it undoes.
    pub phase: String,
    /// The backup directory it keeps of what it replaces (certificates and public keys).
    pub backup: String,
    /// The files it puts back (`replaced`) and removes.
    pub files: StepFiles,
}

/// One target's record.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetState {
    /// The phase's name.
    pub phase: String,
    /// When it entered the phase.
    pub since: String,
    /// The old CA (`sha256:…`) or key (`kid:…`).
    pub old: String,
    /// The new one.
    pub new: String,
    /// What the operator confirmed (`--confirm`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmed: Vec<String>,
    /// Gates overridden with `--force REASON`: `step: reason`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forced: Vec<String>,
    /// For `sa`: the least time, in seconds, between the new key starting to sign and distrust.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "soak")]
    pub min_soak: Option<i64>,
    /// `min_soak` in words (`24h`), beside the seconds as every JSON output writes durations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_soak_human: Option<String>,
    /// For `sa`: when the new key started signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_since: Option<String>,
}

/// `minSoak` as written: seconds, or the words of a state written before durations were
/// seconds (`"24h"`), so that a rotation under way continues across an upgrade.
fn soak<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Soak {
        Seconds(i64),
        Words(String),
    }
    match Option::<Soak>::deserialize(d)? {
        None => Ok(None),
        Some(Soak::Seconds(n)) => Ok(Some(n)),
        Some(Soak::Words(w)) => {
            w.parse::<jiff::SignedDuration>().map(|d| Some(d.as_secs())).map_err(serde::de::Error::custom)
        }
    }
}

/// The longest `minSoak` a state may hold: ten years (a longer wait is a typo or an attack).
pub const MAX_SOAK: i64 = 10 * 365 * 86_400;

/// How many entries any list of the state may hold.
const MAX_ENTRIES: usize = 10_000;

/// A backup directory's name as k8s-rotate makes it: `backup-` and a timestamp, plain.
pub fn is_backup_name(dir: &str) -> bool {
    dir.starts_with("backup-") && dir.len() <= 64 && dir.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl State {
    /// The state of the tree `tree`; `None` when no rotation was started. Every field is checked:
    /// a state file someone edited is refused with one line (exit 3), never followed.
    pub fn load(tree: &crate::beneath::Beneath) -> Result<Option<State>> {
        let rel = format!("pki/{FILE}");
        let Some(bytes) = tree.read(&rel)? else { return Ok(None) };
        let name = tree.path(&rel).display().to_string();
        let state: State = serde_json::from_slice(&bytes)
            .map_err(|e| Error::input(&name, format!("not a rotation state: {}", crate::input::json_where(&e))))?;
        state.check().map_err(|why| Error::input(&name, why))?;
        Ok(Some(state))
    }

    /// Whether every field holds what k8s-rotate writes there.
    fn check(&self) -> std::result::Result<(), String> {
        let bad = |what: &str, value: &str| format!("{what} '{}' is not valid", crate::term::sanitize(value));
        if self.api_version != "k8s-pki/v1alpha1" || self.kind != "Rotation" {
            return Err("not a k8s-pki/v1alpha1 Rotation".into());
        }
        time(&self.started).ok_or_else(|| bad("started", &self.started))?;
        if let Some(a) = &self.applying
            && a != ROLLBACK
            && !super::STEPS.iter().any(|s| s.command == a)
        {
            return Err(bad("applying", a));
        }
        if (self.applying.as_deref() == Some(ROLLBACK)) != self.rollback.is_some() {
            return Err("rollback goes with applying: rollback, and only with it".into());
        }
        if let Some(u) = &self.rollback {
            Phase::parse(&u.phase).map_err(|_| bad("rollback phase", &u.phase))?;
            if !is_backup_name(&u.backup) {
                return Err(format!(
                    "backup '{}' is not a backup-TIMESTAMP directory",
                    crate::term::sanitize(&u.backup)
                ));
            }
        }
        if self.targets.is_empty() || self.targets.len() > Target::ALL.len() {
            return Err("no targets".into());
        }
        for (name, t) in &self.targets {
            let target = Target::parse(name).map_err(|_| bad("target", name))?;
            t.check(target)?;
        }
        for (phase, dir) in &self.backups {
            Phase::parse(phase).map_err(|_| bad("phase", phase))?;
            if !is_backup_name(dir) {
                return Err(format!("backup '{}' is not a backup-TIMESTAMP directory", crate::term::sanitize(dir)));
            }
        }
        for dir in &self.backup_dirs {
            if !is_backup_name(dir) {
                return Err(format!("backup '{}' is not a backup-TIMESTAMP directory", crate::term::sanitize(dir)));
            }
        }
        let undo = self.rollback.as_ref().map(|u| &u.files);
        let entries: usize =
            self.steps.values().chain(undo).map(|s| s.all().count()).sum::<usize>() + self.backup_dirs.len();
        if entries > MAX_ENTRIES {
            return Err(format!("more than {MAX_ENTRIES} files listed"));
        }
        for phase in self.steps.keys() {
            Phase::parse(phase).map_err(|_| bad("phase", phase))?;
        }
        for files in self.steps.values().chain(undo) {
            for rel in files.all() {
                if !super::tree::plain_rel(rel) {
                    return Err(format!("'{}' is not a file of the tree", crate::term::sanitize(rel)));
                }
            }
        }
        Ok(())
    }

    /// Writes it atomically into the tree (0644: it holds no secret).
    pub fn save(&self, root: &std::path::Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| Error::internal(e.to_string()))?;
        json.push(b'\n');
        let rel = format!("pki/{FILE}");
        let write = crate::atomic::FileWrite::in_tree(root, &rel, 0o644, zeroize::Zeroizing::new(json));
        crate::atomic::write_files_atomic(std::slice::from_ref(&write), true)
    }

    /// The targets, in step order.
    pub fn target_list(&self) -> Vec<Target> {
        Target::ALL.into_iter().filter(|t| self.targets.contains_key(t.name())).collect()
    }

    /// The phase every target is in.
    pub fn phase(&self) -> Result<Phase> {
        let phases: Vec<Phase> = self.targets.values().map(|t| Phase::parse(&t.phase)).collect::<Result<_>>()?;
        match phases.split_first() {
            Some((first, rest)) if rest.iter().all(|p| p == first) => Ok(*first),
            Some(_) => Err(Error::input(FILE, "the targets are in different phases")),
            None => Err(Error::input(FILE, "no targets")),
        }
    }

    /// Moves every target into `phase` at `now`.
    pub fn enter(&mut self, phase: Phase, now: &str) {
        for t in self.targets.values_mut() {
            t.phase = phase.word().into();
            t.since = now.into();
        }
    }

    /// The forward step being applied, when one was interrupted.
    pub fn interrupted_step(&self) -> Option<&'static super::Step> {
        let a = self.applying.as_deref()?;
        super::STEPS.iter().find(|s| s.command == a)
    }
}

impl TargetState {
    fn check(&self, target: Target) -> std::result::Result<(), String> {
        let bad = |what: &str, value: &str| format!("{what} '{}' is not valid", crate::term::sanitize(value));
        Phase::parse(&self.phase).map_err(|_| bad("phase", &self.phase))?;
        time(&self.since).ok_or_else(|| bad("since", &self.since))?;
        for id in [&self.old, &self.new] {
            let ok = match target {
                Target::Sa => id.strip_prefix("kid:").is_some_and(|k| {
                    k.len() == 43 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                }),
                _ => id.strip_prefix("sha256:").is_some_and(|h| {
                    h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                }),
            };
            if !ok {
                return Err(bad(&format!("{} id", target.name()), id));
            }
        }
        if let Some(s) = self.min_soak
            && !(0..=MAX_SOAK).contains(&s)
        {
            return Err(format!("minSoak {s} is not between 0 and {MAX_SOAK} seconds"));
        }
        if let Some(s) = &self.signing_since {
            time(s).ok_or_else(|| bad("signingSince", s))?;
        }
        let words = self.confirmed.iter().chain(&self.forced).chain(&self.min_soak_human);
        if self.confirmed.len() + self.forced.len() > 1000 || words.clone().any(|w| w.len() > 4096) {
            return Err("confirmed or forced holds too much".into());
        }
        Ok(())
    }
}

/// An RFC 3339 time as seconds.
pub fn time(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> serde_json::Value {
        serde_json::json!({
            "apiVersion": "k8s-pki/v1alpha1", "kind": "Rotation", "started": "2026-11-20T10:00:00Z",
            "applying": null,
            "targets": {"sa": {"phase": "prepare", "since": "2026-11-20T10:00:00Z",
                "old": format!("kid:{}", "a".repeat(43)), "new": format!("kid:{}", "b".repeat(43)), "minSoak": 86400}}
        })
    }

    fn check(v: serde_json::Value) -> std::result::Result<(), String> {
        serde_json::from_value::<State>(v).map_err(|e| e.to_string())?.check()
    }

    #[test]
    fn edited_states_are_refused_with_the_field() {
        assert_eq!(check(state()), Ok(()));
        for (path, value, want) in [
            ("/targets/sa/minSoak", serde_json::json!(i64::MIN), "minSoak -9223372036854775808 is not between"),
            ("/targets/sa/minSoak", serde_json::json!(MAX_SOAK + 1), "is not between 0 and"),
            ("/targets/sa/old", serde_json::json!("kid:../../x"), "sa id 'kid:../../x' is not valid"),
            ("/started", serde_json::json!("yesterday"), "started 'yesterday' is not valid"),
            ("/applying", serde_json::json!("rm -rf /"), "applying 'rm -rf /' is not valid"),
            ("/applying", serde_json::json!("rollback"), "rollback goes with applying"),
            ("/backups", serde_json::json!({"prepare": "../../etc"}), "backup '../../etc' is not a backup-TIMESTAMP"),
            ("/steps", serde_json::json!({"prepare": {"replaced": ["../x"]}}), "'../x' is not a file of the tree"),
            ("/steps", serde_json::json!({"prepare": {"replaced": ["/etc/passwd"]}}), "'/etc/passwd' is not a file"),
            ("/backupDirs", serde_json::json!(["backup-1/../x"]), "is not a backup-TIMESTAMP"),
        ] {
            let mut v = state();
            match v.pointer_mut(path) {
                Some(slot) => *slot = value,
                None => v[&path[1..]] = value,
            }
            let got = check(v).expect_err(path);
            assert!(got.contains(want), "{path}: {got}");
        }
    }
}
