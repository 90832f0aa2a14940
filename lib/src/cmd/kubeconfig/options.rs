//! What `k8s-kubeconfig` was asked to do: the plain data the binary fills from its flags.

use std::path::PathBuf;

use crate::sink::OutputOptions;

/// What `k8s-kubeconfig` does, chosen once from its flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// A certificate, key and CA → a kubeconfig (or a user merged into one): the default.
    #[default]
    Build,
    /// `--extract`: a kubeconfig → its credentials as PEM.
    Extract,
    /// `--renew FILE`: renew this kubeconfig's client certificate in place (keeping a backup).
    Renew(PathBuf),
    /// `--complete FILE`: fill `kubeadm certs generate-csr`'s key-only kubeconfig with `cert`
    /// and `ca_cert`.
    Complete(PathBuf),
    /// `--partial`: write `kubeadm certs generate-csr`'s pair from a key and CSR stream (`out`
    /// holding the key only, and `out`.csr).
    Partial,
}

/// What `k8s-kubeconfig` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// CA certificate file (pki/ca.crt).
    pub ca_cert: Option<PathBuf>,
    /// API server URL.
    pub server: Option<String>,
    /// Without `server`: the node's endpoints, from which the server kubeadm writes for the
    /// certificate's identity is taken.
    pub endpoints: Option<crate::kubeadm::control_plane::Endpoints>,
    /// The kubeadm release whose servers to follow (kubelet.conf's changed in 1.33).
    pub release: Option<&'static crate::kubeadm::release::Release>,
    /// Name to verify the server certificate against.
    pub tls_server_name: Option<String>,
    /// Cluster name.
    pub cluster_name: String,
    /// User name (default: the certificate's CN).
    pub user: Option<String>,
    /// Context name (default USER@CLUSTER); with `--extract`, the context to read.
    pub context: Option<String>,
    /// Embed the PEM data (default) or write file paths.
    pub embed: bool,
    /// Client certificate file instead of the stream.
    pub cert: Option<PathBuf>,
    /// Client key file instead of the stream.
    pub key: Option<PathBuf>,
    /// Input file (default stdin).
    pub input: Option<PathBuf>,
    /// Existing kubeconfig to add the user to.
    pub merge: Option<PathBuf>,
    /// With `merge`: write the result back to that file.
    pub in_place: bool,
    /// With `merge`: make the new context current (`kubectl config use-context`); without it
    /// `current-context` stays, as `kubectl config set-credentials` leaves it.
    pub use_context: bool,
    /// What to do (clap's conflicts make the flags that choose it exclusive).
    pub mode: Mode,
    /// Output file (default stdout).
    pub out: Option<PathBuf>,
    /// Overwrite; allow key material on a terminal.
    pub force: bool,
    /// Output options for `--extract`.
    pub extract_output: OutputOptions,
    /// With `renew`: the CA key (`ca_cert` is the CA certificate).
    pub ca_key: Option<PathBuf>,
    /// With `renew`: validity in days (default 365).
    pub days: Option<i64>,
    /// With `renew`: validity as a duration, instead of `days`.
    pub duration: Option<crate::validity::Duration>,
    /// With `renew`: keep the old key.
    pub reuse_key: bool,
    /// With `renew`: re-issue a client certificate another CA issued, for this reason.
    pub foreign_issuer: Option<String>,
    /// With `renew`: the CA that issued the old certificate (default: the signing CA).
    pub issued_by: Option<PathBuf>,
    /// With `renew`: cut a certificate that would outlive its CA to the CA's expiry.
    pub clamp: bool,
    /// Print what was done and the kubectl equivalent.
    pub explain: bool,
}
