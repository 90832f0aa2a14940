//! One check's result: what was checked, how it came out, the reason in plain words, and the
//! error a Go component would log for the same defect.

use serde::Serialize;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Holds.
    Ok,
    /// Holds, but needs attention soon (e.g. expires within --warn-within).
    Warn,
    /// A file that should be there is not.
    Missing,
    /// Does not hold.
    Fail,
}

/// What a finding checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// NotBefore/notAfter at the time of the check.
    Validity,
    /// Expires within --warn-within.
    Expiry,
    /// Signed by the expected CA.
    Chain,
    /// The CA's own validity.
    CaValidity,
    /// Does not outlive its CA.
    Lifetime,
    /// Extended key usage allows the purpose.
    Purpose,
    /// A SAN covers the name or IP.
    Host,
    /// The common name (Kubernetes user).
    Cn,
    /// The O values (Kubernetes groups).
    O,
    /// The private key belongs to the certificate.
    Key,
    /// BasicConstraints CA:TRUE on a CA.
    Ca,
    /// A root CA signs itself.
    SelfSigned,
    /// File mode of a secret.
    Permissions,
    /// The file could be read and parsed.
    Read,
    /// A kubeconfig's embedded CA.
    KubeconfigCa,
    /// A kubeconfig's client certificate.
    ClientCertificate,
    /// Whether an optional file is there.
    Present,
    /// A live endpoint accepted the client certificate.
    ClientAuth,
    /// A live endpoint serves the certificate on disk.
    OnDisk,
    /// A rotation under way: its phase, trust files and transition (`k8s-rotate`).
    Rotation,
    /// A suggestion to renew a CA in place before its end (shown whatever its status).
    Renew,
}

impl Check {
    /// The name shown in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Check::Validity => "validity",
            Check::Expiry => "expiry",
            Check::Chain => "chain",
            Check::CaValidity => "ca-validity",
            Check::Lifetime => "lifetime",
            Check::Purpose => "purpose",
            Check::Host => "host",
            Check::Cn => "cn",
            Check::O => "o",
            Check::Key => "key",
            Check::Ca => "ca",
            Check::SelfSigned => "self-signed",
            Check::Permissions => "permissions",
            Check::Read => "read",
            Check::Renew => "renew",
            Check::KubeconfigCa => "kubeconfig-ca",
            Check::ClientCertificate => "client-certificate",
            Check::Present => "present",
            Check::ClientAuth => "client-auth",
            Check::OnDisk => "on-disk",
            Check::Rotation => "rotation",
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One check's result.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// What was checked.
    pub check: Check,
    /// The verdict.
    pub status: Status,
    /// Plain words: expected and actual.
    pub message: String,
    /// What a Go component (crypto/x509) would log for this defect.
    #[serde(rename = "goError", skip_serializing_if = "Option::is_none")]
    pub go_error: Option<String>,
}

impl Finding {
    /// A passing check.
    pub fn ok(check: Check, message: impl Into<String>) -> Finding {
        Finding { check, status: Status::Ok, message: message.into(), go_error: None }
    }
    /// A failing check.
    pub fn fail(check: Check, message: impl Into<String>, go_error: Option<String>) -> Finding {
        Finding { check, status: Status::Fail, message: message.into(), go_error }
    }
    /// A warning.
    pub fn warn(check: Check, message: impl Into<String>) -> Finding {
        Finding { check, status: Status::Warn, message: message.into(), go_error: None }
    }
}

/// The one exit decision of every verdict k8s-verify prints: a failure exits 1 (`failed` says
/// what failed), warnings or missing files exit 6 when they count (audits and `--connect`
/// always, checks with `--strict`), anything else 0. The status printed is the same `status`.
pub fn exit_for(status: Status, warnings_count: bool, failed: impl FnOnce() -> String) -> crate::error::Result<()> {
    use crate::error::Error;
    match status {
        Status::Fail => Err(Error::CheckFailed(failed())),
        Status::Warn | Status::Missing if warnings_count => Err(Error::Warnings("warnings only: see above".into())),
        _ => Ok(()),
    }
}

/// The worst status among findings.
pub fn worst(findings: &[Finding]) -> Status {
    findings.iter().map(|f| f.status).max().unwrap_or(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_exit_decision_per_status() {
        let code = |s, warnings_count| exit_for(s, warnings_count, || "x".into()).err().map(|e| e.exit_code());
        assert_eq!(code(Status::Ok, true), None);
        assert_eq!(code(Status::Fail, false), Some(1));
        assert_eq!(code(Status::Fail, true), Some(1));
        for s in [Status::Warn, Status::Missing] {
            assert_eq!(code(s, true), Some(6));
            assert_eq!(code(s, false), None);
        }
    }
}
