//! What `k8s-sign` was asked to do: the plain data the binary fills from its flags.

use std::path::PathBuf;

use crate::kubeadm::profile;
use crate::sink::OutputOptions;
use crate::usage::Usage;
use crate::validity;

/// Who signs.
#[derive(Clone, Debug)]
pub enum SignWith {
    /// A CA: `--ca-cert FILE --ca-key FILE`, or `--ca PREFIX`.
    Ca {
        /// Its certificate.
        cert: PathBuf,
        /// Its private key.
        key: PathBuf,
    },
    /// `--self-sign`: each CSR's own key, the one before it in the stream, or `--key FILE`.
    SelfSign {
        /// The key from a file instead of the stream.
        key: Option<PathBuf>,
    },
}

/// What `k8s-sign` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Who signs (none named: a usage error saying how to name one).
    pub with: Option<SignWith>,
    /// `--days`.
    pub days: Option<i64>,
    /// `--duration`.
    pub duration: Option<validity::Duration>,
    /// `--not-before`.
    pub not_before: Option<validity::Moment>,
    /// `--not-after`.
    pub not_after: Option<validity::Moment>,
    /// `--kubernetes-version`: the release whose NotBefore rule to follow.
    pub release: Option<&'static crate::kubeadm::release::Release>,
    /// Usages decided by the signer.
    pub usages: Vec<Usage>,
    /// A profile whose usages (and CA-ness) the signer applies; `auto` picks kubeadm's profile
    /// for each CSR's identity.
    pub profile: Option<profile::Choice>,
    /// Allow CSRs asking for CA:TRUE.
    pub allow_ca: bool,
    /// Clamp to the CA's expiry instead of warning.
    pub clamp: bool,
    /// Keep each CSR in the output, before its certificate.
    pub keep_csr: bool,
    /// Input stream file (default stdin).
    pub input: Option<PathBuf>,
    /// CSR files to sign in one batch (instead of `input`).
    pub files: Vec<PathBuf>,
    /// With `files`: write each certificate beside its CSR (`x.csr` → `x.crt`).
    pub beside: bool,
    /// Where output goes.
    pub output: OutputOptions,
    /// Print what was done and the openssl equivalent.
    pub explain: bool,
    /// A profile of cfssl's signing config (`--config FILE [--profile NAME]`): its usages,
    /// expiry and CA constraint.
    pub cfssl: Option<crate::cfssl_signing::SigningProfile>,
    /// With `self_sign`: what a cfssl CSR JSON's `ca` object decides for the new CA
    /// (`--cfssl FILE`, as `cfssl gencert -initca`).
    pub initca: Option<crate::cfssl::InitCa>,
    /// Sign as kube-controller-manager's signer of this name would (its rules, usages and
    /// validity); accepts a CertificateSigningRequest object as well as PEM.
    pub signer: Option<crate::signer::Signer>,
}
