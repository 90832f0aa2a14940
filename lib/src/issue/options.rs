//! How the signer issues: lifetime, usages, NotBefore and NotAfter, whether a CA may be issued.

use crate::usage::Usage;

/// How the signer shapes each certificate.
#[derive(Clone, Debug, Default)]
pub struct IssueOptions {
    /// Lifetime in seconds from now (ignored when `not_after` is set).
    pub lifetime: i64,
    /// Explicit notBefore (default: now − 5 minutes).
    pub not_before: Option<i64>,
    /// Explicit notAfter.
    pub not_after: Option<i64>,
    /// Usages decided by the signer; `None` takes what the CSR asked for.
    pub usages: Option<Vec<Usage>>,
    /// Whether the signer's choice makes a CA (from `--profile ca` etc).
    pub make_ca: bool,
    /// A CA's path length constraint (cfssl's `max_path_len`); none by default, as kubeadm.
    pub path_len: Option<u8>,
    /// Allow issuing a CA certificate from a CSR that asks for CA:TRUE.
    pub allow_ca: bool,
    /// Issue a leaf (CA:FALSE) whatever the CSR asks, with a warning when it asked for CA:TRUE:
    /// kube-controller-manager's signer does (`PermissiveSigningPolicy.apply` sets IsCA false,
    /// pkg/controller/certificates/authority/policies.go).
    pub leaf_only: bool,
    /// Clamp notAfter to the CA's notAfter instead of warning.
    pub clamp: bool,
    /// "Now", seconds since the epoch.
    pub now: i64,
}

impl IssueOptions {
    /// Starts a leaf of a CA that started at `ca_start` as a kubeadm release's `rule` does: at
    /// the CA's NotBefore for 1.28 to 1.30 (pki_helpers.go `NewSignedCert`), else as it is. A
    /// NotBefore already asked for wins.
    pub fn start_as(&mut self, rule: crate::kubeadm::release::NotBefore, ca_start: i64) {
        if rule == crate::kubeadm::release::NotBefore::CaNotBefore {
            self.not_before = self.not_before.or(Some(ca_start));
        }
    }
}
