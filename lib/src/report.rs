//! The audit's results: one [`FileReport`] per file in a [`Report`], and how they are shown —
//! the audit as a tree, the kubeadm-style expiry table, and the same in JSON (including
//! kubeadm's `CertificateExpirationInfo`).

use serde::Serialize;

use crate::cert::Cert;
use crate::finding::{Finding, Status};
use crate::kubeadm::release::Residual;
use crate::term::Paint;
use crate::term::sanitize_line;
use crate::validity::{format_residual, format_time};

/// What kind of file an audited file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// One of the three CAs.
    Ca,
    /// A leaf certificate with its key.
    Certificate,
    /// A kubeconfig with a client certificate.
    Kubeconfig,
    /// The service-account key pair.
    KeyPair,
    /// The state of a rotation under way (`pki/rotation.json`).
    Rotation,
}

/// Subject in JSON: CN and O as an array, never a joined string.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectJson {
    /// Common name.
    pub cn: Option<String>,
    /// Organizations (Kubernetes groups).
    pub o: Vec<String>,
}

/// The audit's verdict on one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// Path relative to the audited directory.
    pub path: String,
    /// kubeadm's name for it (`apiserver`, `admin.conf`, `ca`).
    pub name: String,
    /// What kind of file it is.
    pub kind: FileKind,
    /// Subject of the certificate, if one was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectJson>,
    /// notAfter, seconds since the epoch (RFC 3339 in JSON).
    #[serde(rename = "notAfter", skip_serializing_if = "Option::is_none", serialize_with = "rfc3339_opt")]
    pub not_after: Option<i64>,
    /// The CA that should have signed it (`ca`, `etcd-ca`, `front-proxy-ca`).
    #[serde(rename = "caName", skip_serializing_if = "Option::is_none")]
    pub ca_name: Option<String>,
    /// Whether the signing CA's key is absent (kubeadm's "externally managed").
    #[serde(rename = "externallyManaged")]
    pub externally_managed: bool,
    /// The CA file whose key actually signed it (`pki/etcd/ca.crt`), when one of the three did.
    #[serde(rename = "signedBy", skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The worst finding.
    pub status: Status,
    /// Every check.
    pub findings: Vec<Finding>,
    /// The row `kubeadm certs check-expiration` gives it (`etcd-server`, `admin.conf`, `ca`), if
    /// it lists it: the control plane's own files, not kubelet.conf nor other nodes' copies.
    #[serde(skip)]
    pub kubeadm_name: Option<String>,
    /// A pipeline that re-issues it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Mid-rotation: which generation of its CA signed it (`old` or `new`); for a CA file, the
    /// generation of its signer (the first certificate); for the service-account pair, of `sa.key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
    /// A CA file holding several certificates (a bundle mid-rotation): each of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<BundleMember>,
}

/// One certificate of a CA file that holds several.
#[derive(Clone, Debug, Serialize)]
pub struct BundleMember {
    /// The file and its place in it: `pki/ca.crt#2`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `sha256:` and the SHA-256 of its public key (kubeadm's CA-hash form).
    pub id: String,
    /// notAfter, seconds since the epoch (RFC 3339 in JSON).
    #[serde(rename = "notAfter", serialize_with = "rfc3339")]
    pub not_after: i64,
    /// `old` or `new` when a rotation recorded it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<String>,
}

/// The whole audit.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The audited directory.
    pub dir: String,
    /// When it was evaluated (RFC 3339).
    pub at: String,
    /// Seconds since the epoch of `at`.
    #[serde(skip)]
    pub at_secs: i64,
    /// Node name used for SAN and CN checks.
    #[serde(rename = "nodeName", skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// Advertise address used for SAN checks.
    #[serde(rename = "advertiseAddress", skip_serializing_if = "Option::is_none")]
    pub advertise_address: Option<String>,
    /// The kubeadm release the tree was checked against (`1.33`).
    #[serde(rename = "kubernetesVersion")]
    pub kubernetes_version: String,
    /// How it was chosen: `--kubernetes-version`, detected (and from what), or the default.
    #[serde(rename = "kubernetesVersionSource")]
    pub version_source: String,
    /// `local`, or `external (why)`: with an external etcd no etcd certificate is expected.
    pub etcd: String,
    /// How that release words time left (`364d`, `2y327d`).
    #[serde(skip)]
    pub residual: Residual,
    /// `control-plane` or `worker`: which of kubeadm's file sets was expected.
    pub role: &'static str,
    /// Worst status of all files.
    pub status: Status,
    /// One report per file.
    pub files: Vec<FileReport>,
    /// A rotation under way (`pki/rotation.json`): phase, targets, next step, interrupted step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<serde_json::Value>,
}

/// A time in JSON: RFC 3339 in UTC (`2036-11-21T02:50:31Z`), as every JSON output writes times.
fn rfc3339<S: serde::Serializer>(secs: &i64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*secs))
}

fn rfc3339_opt<S: serde::Serializer>(secs: &Option<i64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match secs {
        Some(secs) => rfc3339(secs, s),
        None => s.serialize_none(),
    }
}

impl SubjectJson {
    /// The subject of `cert`.
    pub fn of(cert: &Cert) -> SubjectJson {
        SubjectJson::from_subject(&cert.subject)
    }

    /// A name as `{cn, o}`: the one shape a subject (or issuer) has in every JSON output.
    pub fn from_subject(name: &crate::name::Subject) -> SubjectJson {
        SubjectJson { cn: name.cn().map(str::to_string), o: name.orgs() }
    }
}

fn mark(status: Status, paint: &Paint) -> String {
    match status {
        Status::Ok => paint.good("✓"),
        Status::Warn => paint.warn("!"),
        Status::Missing => paint.warn("?"),
        Status::Fail => paint.bad("✗"),
    }
}

/// The verdict after a certificate's name: `ok`, `ok, with warnings` or `FAILED`.
pub fn verdict(status: Status, paint: &Paint) -> String {
    match status {
        Status::Ok => paint.good("ok"),
        Status::Warn | Status::Missing => paint.warn("ok, with warnings"),
        Status::Fail => paint.bad("FAILED"),
    }
}

/// The lines under a file for its failures and warnings (or all findings when `verbose`).
pub fn findings_text(findings: &[Finding], indent: &str, verbose: bool, paint: &Paint) -> String {
    let mut out = String::new();
    let shown = |f: &&Finding| verbose || f.status != Status::Ok || f.check == crate::finding::Check::Renew;
    for f in findings.iter().filter(shown) {
        out.push_str(&format!("{indent}{} {}: {}\n", mark(f.status, paint), f.check, sanitize_line(&f.message)));
        if let Some(go) = &f.go_error {
            out.push_str(&format!(
                "{indent}  {}\n",
                paint.dim(&format!("a Go client or server would log: {}", sanitize_line(go)))
            ));
        }
    }
    out
}

fn line(file: &FileReport, at: i64, residual: Residual, paint: &Paint) -> String {
    let name = sanitize_line(file.path.rsplit('/').next().unwrap_or(&file.path));
    // A file the tree need not hold says why it is absent (the release, an external etcd).
    let absent = file
        .findings
        .iter()
        .find(|f| f.check == crate::finding::Check::Present && f.status == Status::Ok)
        .map(|f| f.message.trim_start_matches("absent").trim_start_matches(':').trim());
    let expiry = match (file.not_after, absent) {
        (Some(t), _) => format!("expires {} ({})", &format_time(t)[..10], format_residual(t - at, residual)),
        (None, _) if file.status == Status::Missing => "missing".into(),
        (None, Some(_)) => "absent".into(),
        (None, None) => String::new(),
    };
    let who = match (&file.subject, absent) {
        (Some(s), _) => {
            let mut w = format!("CN={}", s.cn.as_deref().unwrap_or(""));
            if !s.o.is_empty() {
                w.push_str(&format!(" O={}", s.o.join(",")));
            }
            w
        }
        (None, Some(why)) => why.to_string(),
        (None, None) => String::new(),
    };
    format!(
        "{} {:<28} {:<16} {:<28} {}",
        mark(file.status, paint),
        name,
        file.ca_name.as_deref().unwrap_or(if file.kind == FileKind::Ca { "(root)" } else { "" }),
        expiry,
        sanitize_line(&who)
    )
}

/// The audit as a tree: directories, one line per file, the reasons under each failure.
pub fn audit_text(report: &Report, verbose: bool, paint: &Paint) -> String {
    let mut out = format!(
        "{}  {}\n",
        paint.bold(&sanitize_line(&report.dir)),
        paint.dim(&format!(
            "(at {}; {} node {}, {}; kubeadm {}, {}{})",
            report.at,
            report.role,
            report.node_name.as_deref().unwrap_or("?"),
            report.advertise_address.as_deref().unwrap_or("?"),
            report.kubernetes_version,
            report.version_source,
            if report.etcd == "local" { String::new() } else { format!("; etcd {}", report.etcd) }
        ))
    );
    let mut files: Vec<&FileReport> = report.files.iter().collect();
    files.sort_by_key(|f| {
        let dir = f.path.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        (dir.is_empty(), dir, f.kind != FileKind::Ca, f.path.clone())
    });
    let mut current_dir: Option<String> = None;
    for f in files {
        let dir = f.path.rsplit_once('/').map(|(d, _)| d.to_string()).unwrap_or_default();
        if current_dir.as_deref() != Some(&dir) {
            out.push_str(&format!(
                "{}\n",
                if dir.is_empty() { ".".to_string() } else { sanitize_line(&format!("{dir}/")) }
            ));
            current_dir = Some(dir.clone());
        }
        out.push_str(&format!("  {}\n", line(f, report.at_secs, report.residual, paint)));
        out.push_str(&findings_text(&f.findings, "      ", verbose, paint));
        if let Some(fix) = &f.fix {
            out.push_str(&format!("      {}\n", paint.dim(&format!("fix: {}", sanitize_line(fix)))));
        }
    }
    let count = |s: Status| report.files.iter().filter(|f| f.status == s).count();
    out.push_str(&format!(
        "{} files: {} ok, {} warnings, {} missing, {} failed\n",
        report.files.len(),
        count(Status::Ok),
        count(Status::Warn),
        count(Status::Missing),
        count(Status::Fail)
    ));
    out
}

/// The audit as JSON.
pub fn audit_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::Check;

    const AT: i64 = 1_800_000_000;

    fn file(name: &str, path: &str, kind: FileKind, not_after: Option<i64>, status: Status) -> FileReport {
        FileReport {
            path: path.into(),
            name: name.into(),
            kind,
            subject: Some(SubjectJson { cn: Some(format!("cn-{name}")), o: vec![] }),
            not_after,
            ca_name: (kind != FileKind::Ca).then(|| "ca".to_string()),
            externally_managed: false,
            signed_by: None,
            status,
            findings: Vec::new(),
            kubeadm_name: Some(name.to_string()),
            fix: None,
            generation: None,
            members: Vec::new(),
        }
    }

    /// A small report: a CA, an expired apiserver.crt, a missing admin.conf.
    pub(crate) fn report() -> Report {
        let mut bad = file("apiserver", "pki/apiserver.crt", FileKind::Certificate, Some(AT - 10), Status::Fail);
        bad.findings.push(Finding::fail(
            Check::Validity,
            "expired\u{1b}[2J",
            Some("x509: certificate has expired".into()),
        ));
        bad.fix = Some("k8s-genkey | k8s-csr --profile apiserver".into());
        Report {
            role: "control-plane",
            dir: "/etc/kubernetes".into(),
            at: format_time(AT),
            at_secs: AT,
            node_name: Some("n1".into()),
            advertise_address: None,
            kubernetes_version: "1.33".into(),
            residual: Residual::Human,
            version_source: "the default".into(),
            etcd: "local".into(),
            status: Status::Fail,
            files: vec![
                file("ca", "pki/ca.crt", FileKind::Ca, Some(AT + 100 * 86_400), Status::Ok),
                bad,
                file("admin.conf", "admin.conf", FileKind::Kubeconfig, None, Status::Missing),
            ],
            rotation: None,
        }
    }

    #[test]
    fn the_audit_text_is_a_tree_with_reasons_and_fixes() {
        let text = audit_text(&report(), false, &Paint::new(false));
        assert!(text.starts_with("/etc/kubernetes  (at "), "{text}");
        assert!(text.contains("pki/\n"), "{text}");
        assert!(text.contains("✗ apiserver.crt"), "{text}");
        assert!(text.contains("a Go client or server would log: x509: certificate has expired"), "{text}");
        assert!(text.contains("fix: k8s-genkey | k8s-csr --profile apiserver"), "{text}");
        assert!(!text.contains('\u{1b}'), "finding text is sanitised: {text:?}");
        assert!(text.ends_with("3 files: 1 ok, 0 warnings, 1 missing, 1 failed\n"), "{text}");
    }

    #[test]
    fn the_audit_json_names_kinds_and_checks() {
        let v: serde_json::Value = serde_json::from_str(&audit_json(&report())).expect("json");
        assert_eq!(v["files"][0]["kind"], "ca");
        assert_eq!(v["files"][1]["findings"][0]["check"], "validity");
        assert_eq!(v["files"][2]["status"], "missing");
    }
}
