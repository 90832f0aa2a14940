//! One write (or removal) a rotation step makes, and its [`Cause`]: what the file holds after
//! the step, why the step writes it and the equivalent command are rendered from the cause
//! here, never composed where the write is computed.

use zeroize::Zeroizing;

use super::{Generation, Phase};

/// One write (or removal) of a step, and why.
#[derive(Clone)]
pub struct Change {
    /// The file, relative to the tree.
    pub rel: String,
    /// New contents and mode; `None` removes the file.
    pub contents: Option<(Zeroizing<Vec<u8>>, u32)>,
    /// Why the step writes it.
    pub cause: Cause,
}

/// Why a step writes a file, with what its words and its equivalent command are made of
/// (files as paths relative to the tree).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// A phase's trust file: its members' generations, signer first, and their files.
    Trust { members: Vec<Generation>, key: bool, files: Vec<String> },
    /// The signing key of the phase, copied from the rotation's material (`from`).
    SigningKey { generation: Generation, from: String },
    /// kube-controller-manager's one signing certificate, copied from `from`.
    CaSigner { generation: Generation, from: String },
    /// A leaf's fresh key, for its certificate re-issued in `phase`.
    LeafKey { server: bool, generation: Generation, phase: Phase },
    /// A leaf certificate re-issued by `generation`'s CA (`ca`: the CA's file without `.crt`),
    /// keeping its key (`key`) or with a fresh one.
    Leaf { server: bool, generation: Generation, phase: Phase, key: String, ca: String, keep_key: bool },
    /// A kubeconfig given the phase's CA data (and what else, in words); renewed against `ca`
    /// (without `.crt`), its certificate issued by the CA of `issued_by` when that is the other.
    Kubeconfig { what: Vec<String>, ca: String, issued_by: Option<String> },
    /// Anything else, in words (what the file holds is said by the same words).
    Said(String),
    /// The file goes, for this reason.
    Removed(String),
}

impl Change {
    /// A write of `bytes` to `rel`, for `cause`.
    pub fn caused(rel: String, bytes: Vec<u8>, mode: u32, cause: Cause) -> Change {
        Change { rel, contents: Some((Zeroizing::new(bytes), mode)), cause }
    }

    /// A write of `bytes` to `rel`, described by `why`.
    pub fn write(rel: String, bytes: Vec<u8>, mode: u32, why: &str) -> Change {
        Change::caused(rel, bytes, mode, Cause::Said(why.into()))
    }

    /// The removal of `rel` (overwritten first), described by `why`.
    pub fn removal(rel: String, why: &str) -> Change {
        Change { rel, contents: None, cause: Cause::Removed(why.into()) }
    }

    /// What the file holds after the step, in words.
    pub fn now(&self) -> String {
        match &self.cause {
            Cause::Trust { members, key, .. } => {
                let words: Vec<&str> = members.iter().map(|g| g.word()).collect();
                format!("{} {}", words.join(" + "), if *key { "key" } else { "CA" })
            }
            Cause::SigningKey { generation, .. } => format!("the {} key", generation.word()),
            Cause::CaSigner { generation, .. } => format!("the {} CA alone", generation.word()),
            Cause::LeafKey { .. } => "a fresh key".into(),
            Cause::Leaf { generation, .. } => format!("signed by the {} CA", generation.word()),
            Cause::Kubeconfig { what, .. } => what.join(" and "),
            Cause::Said(words) => words.clone(),
            Cause::Removed(_) => "deleted".into(),
        }
    }

    /// Why the step writes (or removes) it.
    pub fn why(&self) -> String {
        match &self.cause {
            Cause::Trust { .. } => "every reader trusts what this phase trusts, the signer first".into(),
            Cause::SigningKey { .. } => "the signing key of this phase".into(),
            Cause::CaSigner { .. } => {
                "kube-controller-manager's --cluster-signing-cert-file takes exactly one certificate".into()
            }
            Cause::LeafKey { server, generation, phase } | Cause::Leaf { server, generation, phase, .. } => {
                let kind = if *server { "a server" } else { "a client" };
                format!("{kind} certificate: {} in {}", generation.word(), phase.word())
            }
            Cause::Kubeconfig { .. } => {
                "kubeconfigs trust what pki/ca.crt trusts; their client certificates move with the clients".into()
            }
            Cause::Said(words) | Cause::Removed(words) => words.clone(),
        }
    }

    /// The command that makes the same write, each file a bash word by `sh` (the tree's
    /// quoting); empty when there is none of its own.
    pub fn pipe(&self, sh: &dyn Fn(&str) -> String) -> String {
        match &self.cause {
            Cause::Trust { files, .. } => {
                let parts: Vec<String> = files.iter().map(|f| sh(f)).collect();
                format!("cat {} > {}", parts.join(" "), sh(&self.rel))
            }
            Cause::SigningKey { from, .. } | Cause::CaSigner { from, .. } => {
                format!("cp {} {}", sh(from), sh(&self.rel))
            }
            Cause::Leaf { key, ca, keep_key: true, .. } => format!(
                "k8s-csr --from-cert {crt} --key {} --reuse-key | k8s-sign --ca {} --cert-out {crt} --force",
                sh(key),
                sh(ca),
                crt = sh(&self.rel)
            ),
            Cause::Leaf { ca, keep_key: false, .. } => format!(
                "k8s-genkey | k8s-csr --from-cert {} | k8s-sign --ca {} --out {} --force",
                sh(&self.rel),
                sh(ca),
                sh(self.rel.trim_end_matches(".crt"))
            ),
            Cause::Kubeconfig { ca, issued_by, .. } => format!(
                "k8s-kubeconfig --renew {} --ca {}{}  # and certificate-authority-data: base64 of pki/ca.crt",
                sh(&self.rel),
                sh(ca),
                issued_by.as_deref().map(|f| format!(" --issued-by {}", sh(f))).unwrap_or_default()
            ),
            Cause::LeafKey { .. } | Cause::Said(_) | Cause::Removed(_) => String::new(),
        }
    }
}
