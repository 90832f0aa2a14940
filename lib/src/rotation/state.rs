//! `pki/rotation.json`: where a rotation is, which CAs and keys are old and new (by the
//! SHA-256 of their public key, kubeadm's discovery-hash form, and by kube-apiserver's `kid`
//! for the service-account key), where each step's backup is, what was confirmed and forced.
//! It is written last in every step, and `applying` says a step was started and not finished.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Phase, Target};
use crate::error::{Error, Result};

/// The state file's name under `pki/`.
pub const FILE: &str = "rotation.json";

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
    /// The step under way (`issue --step clients`), until its writes are all done.
    pub applying: Option<String>,
    /// Per target.
    pub targets: BTreeMap<String, TargetState>,
    /// The backup directory (under the tree) taken entering each phase, by phase name: what
    /// `rollback` restores.
    #[serde(default)]
    pub backups: BTreeMap<String, String>,
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

impl State {
    /// The state of the tree whose `pki/` is `pki`; `None` when no rotation was started.
    pub fn load(pki: &Path) -> Result<Option<State>> {
        let path = pki.join(FILE);
        if !path.exists() {
            return Ok(None);
        }
        let bytes = crate::input::read_file(&path)?;
        let name = path.display().to_string();
        let state: State = serde_json::from_slice(&bytes)
            .map_err(|e| Error::input(&name, format!("not a rotation state: {}", crate::input::json_where(&e))))?;
        if state.api_version != "k8s-pki/v1alpha1" || state.kind != "Rotation" {
            return Err(Error::input(&name, "not a k8s-pki/v1alpha1 Rotation"));
        }
        for (name, t) in &state.targets {
            Target::parse(name)?;
            Phase::parse(&t.phase)?;
        }
        // Backups are directories of the tree named by k8s-rotate: never a path that leads out.
        for (phase, dir) in &state.backups {
            Phase::parse(phase)?;
            let plain = dir.starts_with("backup-")
                && dir.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && dir.len() <= 64;
            if !plain {
                return Err(Error::input(
                    &name,
                    format!("backup '{}' is not a backup-TIMESTAMP directory", crate::term::sanitize(dir)),
                ));
            }
        }
        Ok(Some(state))
    }

    /// Writes it atomically (0644: it holds no secret).
    pub fn save(&self, pki: &Path) -> Result<()> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| Error::internal(e.to_string()))?;
        json.push(b'\n');
        let write = crate::atomic::FileWrite::new(pki.join(FILE), 0o644, zeroize::Zeroizing::new(json));
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
}
