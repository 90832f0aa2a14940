//! The audit of a leaf certificate — a `.crt`/`.key` pair under `pki/` or the client
//! certificate of a kubeconfig — against its profile: signed by its CA, the profile's
//! subject (current or older kubeadm groups), usages and SANs, a matching key kept secret.

use std::path::Path;

use super::layout::{Target, expected_request, with_suffix};
use super::read::{AuditOptions, LoadedCa, load_cert, load_key, permissions};
use super::{fix, kubeconfig};
use crate::cert::Cert;
use crate::finding::{Check, Finding, Status, worst};
use crate::hostname::Host;
use crate::key::PublicKey;
use crate::kubeadm::profile::Location;
use crate::report::{FileKind, FileReport, SubjectJson};
use crate::verify::{Expect, check};

/// The certificate, key and first findings of a `.crt`/`.key` pair.
fn read_pair(
    target: &Target,
    tree: &crate::beneath::Beneath,
    rel: &dyn Fn(&Path) -> String,
) -> (Option<Cert>, Option<PublicKey>, Vec<Finding>) {
    let key_path = with_suffix(&target.name, ".key");
    let mut findings = Vec::new();
    let cert = match load_cert(tree, &target.path()) {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::fail(Check::Read, e, None));
            None
        }
    };
    let key = match load_key(tree, &key_path) {
        Ok(Some(k)) => {
            permissions(tree, &key_path, &mut findings);
            Some(k.public_key().clone())
        }
        Ok(None) => {
            if cert.is_some() {
                findings.push(Finding::fail(Check::Key, format!("{} is missing", rel(&key_path)), None));
            }
            None
        }
        Err(e) => {
            findings.push(Finding::fail(Check::Key, e, None));
            None
        }
    };
    (cert, key, findings)
}

/// What was read of a leaf: its certificate, the public key of its private key, the findings
/// of reading them, and for a kubeconfig what the fix needs.
struct Read {
    cert: Option<Cert>,
    key: Option<PublicKey>,
    findings: Vec<Finding>,
    server: Option<String>,
    references_cert_file: bool,
    /// A kubeconfig whose CA data is another certificate of pki/ca.crt's CA: its cluster's name.
    renewed_ca: Option<String>,
}

fn read(
    target: &Target,
    cas: &[LoadedCa],
    tree: &crate::beneath::Beneath,
    opts: &AuditOptions,
    rel: &dyn Fn(&Path) -> String,
) -> Read {
    if !target.is_kubeconfig() {
        let (cert, key, findings) = read_pair(target, tree, rel);
        return Read { cert, key, findings, server: None, references_cert_file: false, renewed_ca: None };
    }
    let cluster_ca =
        cas.iter().find(|c| c.name == crate::kubeadm::profile::CaName::Cluster).map(|c| c.bundle.as_slice());
    let k = kubeconfig::audit(&target.path(), tree, opts.root.as_deref(), cluster_ca.unwrap_or(&[]), opts.at);
    Read {
        cert: k.cert,
        key: k.key,
        findings: k.findings,
        server: k.server,
        references_cert_file: k.references_cert_file,
        renewed_ca: k.renewed_ca.then_some(k.cluster).flatten(),
    }
}

/// The checks of a leaf read: Go's verdicts against its profile, the release's groups, and its
/// CA's absence.
fn checks(
    target: &Target,
    ca: Option<&LoadedCa>,
    cert: &Cert,
    key: Option<PublicKey>,
    expected: Option<&crate::request::Request>,
    tree: &crate::beneath::Beneath,
    opts: &AuditOptions,
) -> Vec<Finding> {
    let profile = target.profile;
    let signer = profile.signer;
    let expect = Expect {
        roots: ca.map(|c| c.bundle.as_slice()).unwrap_or(&[]),
        ca_name: signer.map(|s| format!("pki/{}.crt", s.file())).unwrap_or_default(),
        purposes: profile.usages.to_vec(),
        hosts: expected.map(|r| r.sans.iter().map(Host::from).collect()).unwrap_or_default(),
        cn: expected.and_then(|r| r.subject.cn().map(str::to_string)),
        orgs: profile.org_sets(),
        key,
        at: opts.at,
        warn_within: opts.warn_within,
        ..Expect::default()
    };
    let mut findings = check(cert, &expect);
    findings.extend(release_groups(profile, cert, target.params.release, opts.release.is_some()));
    if let (Some(signer), None) = (signer, ca.and_then(LoadedCa::cert)) {
        let ca_rel = format!("pki/{}.crt", signer.file());
        let why = match tree.file(&ca_rel) {
            Err(why) => format!("cannot be read ({why})"),
            Ok(_) => "is missing".into(),
        };
        let missing = format!("cannot check: {ca_rel} {why}");
        findings.push(if opts.external_etcd && signer == crate::kubeadm::profile::CaName::Etcd {
            Finding::warn(Check::Chain, format!("{missing} (with an external etcd its CA may live elsewhere)"))
        } else {
            Finding::fail(Check::Chain, missing, None)
        });
    }
    findings
}

/// A missing file's status: `ok` where the release does not write it, or where it is optional
/// and the release was not named.
fn presence(target: &Target, opts: &AuditOptions, status: Status, findings: &mut Vec<Finding>) -> Status {
    let (profile, release) = (target.profile, target.params.release);
    if status == Status::Missing && !release.writes(profile.name) {
        findings.push(Finding::ok(Check::Present, format!("absent: kubeadm {} does not write it", release.name())));
        return Status::Ok;
    }
    if status == Status::Missing && profile.optional && opts.release.is_none() {
        findings.push(Finding::ok(
            Check::Present,
            "absent (kubeadm < 1.29 does not write it; later ones suggest keeping it off the node)",
        ));
        return Status::Ok;
    }
    status
}

/// The row of check-expiration: what this release's kubeadm renews (1.28 has no
/// super-admin.conf, so it lists none, present or not).
fn kubeadm_name(target: &Target) -> Option<String> {
    let profile = target.profile;
    match (
        target.in_main_tree && profile.renewed_by_kubeadm && target.params.release.writes(profile.name),
        profile.location,
    ) {
        (true, Location::Kubeconfig(file)) => Some(file.to_string()),
        (true, _) => Some(profile.name.to_string()),
        (false, _) => None,
    }
}

/// The report on one expected leaf file.
pub(super) fn audit(
    target: &Target,
    cas: &[LoadedCa],
    tree: &crate::beneath::Beneath,
    pki: &Path,
    opts: &AuditOptions,
    rel: &dyn Fn(&Path) -> String,
) -> FileReport {
    let signer = target.profile.signer;
    let ca = cas.iter().find(|c| Some(c.name) == signer);
    let path = target.path();
    let Read { cert, key, mut findings, server, references_cert_file, renewed_ca } = read(target, cas, tree, opts, rel);
    let expected = expected_request(target.profile, &target.params);
    if let Some(cert) = &cert {
        findings.extend(checks(target, ca, cert, key, expected.as_ref(), tree, opts));
    }
    let status = if cert.is_none() && findings.is_empty() { Status::Missing } else { worst(&findings) };
    let status = presence(target, opts, status, &mut findings);
    let name = if target.is_kubeconfig() {
        rel(&path)
    } else {
        rel(&path).trim_start_matches("pki/").trim_end_matches(".crt").to_string()
    };
    // A fix must not read or write through a link out of the tree: none is printed where the
    // file, its key or its CA lies behind one (the finding names the link).
    let confined = super::read::confined(
        tree,
        &[&path, &with_suffix(&target.name, ".key"), &pki.join(signer.map(|s| s.file()).unwrap_or("ca"))],
    );
    let fix = confined.then(|| {
        fix::embed_ca(&path, pki, renewed_ca.as_deref(), &findings).or_else(|| {
            let found = fix::Found {
                cert: cert.as_ref(),
                expected: expected.as_ref(),
                findings: &findings,
                status,
                server: server.as_deref(),
                references_cert_file,
            };
            fix::leaf(target, pki, &found)
        })
    });
    FileReport {
        path: rel(&path),
        name,
        kind: if target.is_kubeconfig() { FileKind::Kubeconfig } else { FileKind::Certificate },
        subject: cert.as_ref().map(SubjectJson::of),
        not_after: cert.as_ref().map(|c| c.not_after),
        ca_name: signer.map(|s| s.profile().into()),
        signed_by: cert.as_ref().and_then(|c| cas.iter().find_map(|l| l.signer_of(c))),
        externally_managed: ca.is_some_and(|c| c.externally_managed),
        status,
        kubeadm_name: kubeadm_name(target),
        fix: fix.flatten(),
        findings,
        generation: None,
        members: Vec::new(),
    }
}

/// The groups as a release wrote them: information when the tree's release was detected (or is
/// the default), a warning when `--kubernetes-version` named a release that writes others.
/// Groups no followed release wrote are the subject check's failure, not this.
fn release_groups(
    profile: &crate::kubeadm::profile::Profile,
    cert: &Cert,
    release: &crate::kubeadm::release::Release,
    explicit: bool,
) -> Option<Finding> {
    let orgs = cert.subject.orgs();
    let writers = profile.writers_of(&orgs);
    if writers.is_empty() || writers.contains(&release.name()) {
        return None;
    }
    let got = format!("[{}]", orgs.join(", "));
    let by = format!("kubeadm {}", writers.join(", "));
    Some(if explicit {
        Finding::warn(
            Check::O,
            format!(
                "groups {got} are what {by} wrote; kubeadm {} writes {}",
                release.name(),
                match profile.orgs_in(release) {
                    [] => "none".to_string(),
                    orgs => format!("[{}]", orgs.join(", ")),
                }
            ),
        )
    } else {
        Finding::ok(Check::O, format!("groups {got}, as {by} writes them"))
    })
}
