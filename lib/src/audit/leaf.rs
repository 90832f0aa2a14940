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
use crate::profile::Location;
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

/// The report on one expected leaf file.
pub(super) fn audit(
    target: &Target,
    cas: &[LoadedCa],
    tree: &crate::beneath::Beneath,
    pki: &Path,
    opts: &AuditOptions,
    rel: &dyn Fn(&Path) -> String,
) -> FileReport {
    let profile = target.profile;
    let signer = profile.signer;
    let ca = cas.iter().find(|c| Some(c.name) == signer);
    let ca_cert = ca.and_then(LoadedCa::cert);
    let roots: &[Cert] = ca.map(|c| c.bundle.as_slice()).unwrap_or(&[]);
    let path = target.path();
    let mut server = None;
    let mut references_cert_file = false;
    // A kubeconfig whose CA data is another certificate of pki/ca.crt's CA: its cluster's name.
    let mut renewed_ca = None;
    let (cert, key, mut findings) = if target.is_kubeconfig() {
        let k = kubeconfig::audit(
            &path,
            tree,
            opts.root.as_deref(),
            cas.iter().find(|c| c.name == crate::profile::CaName::Cluster).map(|c| c.bundle.as_slice()).unwrap_or(&[]),
            opts.at,
        );
        server = k.server;
        references_cert_file = k.references_cert_file;
        renewed_ca = k.renewed_ca.then_some(k.cluster).flatten();
        (k.cert, k.key, k.findings)
    } else {
        read_pair(target, tree, rel)
    };
    let expected = expected_request(profile, &target.params);
    if let Some(cert) = &cert {
        let expect = Expect {
            roots,
            ca_name: signer.map(|s| format!("pki/{}.crt", s.file())).unwrap_or_default(),
            purposes: profile.usages.to_vec(),
            hosts: expected.as_ref().map(|r| r.sans.iter().map(Host::from).collect()).unwrap_or_default(),
            cn: expected.as_ref().and_then(|r| r.subject.cn().map(str::to_string)),
            orgs: profile.org_sets(),
            key,
            at: opts.at,
            warn_within: opts.warn_within,
            ..Expect::default()
        };
        findings.extend(check(cert, &expect));
        findings.extend(release_groups(profile, cert, target.params.release, opts.release.is_some()));
        if let (Some(signer), None) = (signer, ca_cert) {
            let ca_rel = format!("pki/{}.crt", signer.file());
            let why = match tree.file(&ca_rel) {
                Err(why) => format!("cannot be read ({why})"),
                Ok(_) => "is missing".into(),
            };
            let missing = format!("cannot check: {ca_rel} {why}");
            findings.push(if opts.external_etcd && signer == crate::profile::CaName::Etcd {
                Finding::warn(Check::Chain, format!("{missing} (with an external etcd its CA may live elsewhere)"))
            } else {
                Finding::fail(Check::Chain, missing, None)
            });
        }
    }
    let mut status = if cert.is_none() && findings.is_empty() { Status::Missing } else { worst(&findings) };
    let release = target.params.release;
    if status == Status::Missing && !release.writes(profile.name) {
        status = Status::Ok;
        findings.push(Finding::ok(Check::Present, format!("absent: kubeadm {} does not write it", release.name())));
    } else if status == Status::Missing && profile.optional && opts.release.is_none() {
        status = Status::Ok;
        findings.push(Finding::ok(
            Check::Present,
            "absent (kubeadm < 1.29 does not write it; later ones suggest keeping it off the node)",
        ));
    }
    let name = if target.is_kubeconfig() {
        rel(&path)
    } else {
        rel(&path).trim_start_matches("pki/").trim_end_matches(".crt").to_string()
    };
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
        // The rows of check-expiration: what this release's kubeadm renews (1.28 has no
        // super-admin.conf, so it lists none, present or not).
        kubeadm_name: match (
            target.in_main_tree && profile.renewed_by_kubeadm && release.writes(profile.name),
            profile.location,
        ) {
            (true, Location::Kubeconfig(file)) => Some(file.to_string()),
            (true, _) => Some(profile.name.to_string()),
            (false, _) => None,
        },
        // A fix must not read or write through a link out of the tree: none is printed where
        // the file, its key or its CA lies behind one (the finding names the link).
        fix: super::read::confined(
            tree,
            &[&path, &with_suffix(&target.name, ".key"), &pki.join(signer.map(|s| s.file()).unwrap_or("ca"))],
        )
        .then(|| {
            fix::embed_ca(&path, pki, renewed_ca.as_deref(), &findings).or_else(|| {
                fix::leaf(
                    target,
                    pki,
                    &fix::Found {
                        cert: cert.as_ref(),
                        expected: expected.as_ref(),
                        findings: &findings,
                        status,
                        server: server.as_deref(),
                        references_cert_file,
                    },
                )
            })
        })
        .flatten(),
        findings,
        generation: None,
        members: Vec::new(),
    }
}

/// The groups as a release wrote them: information when the tree's release was detected (or is
/// the default), a warning when `--kubernetes-version` named a release that writes others.
/// Groups no followed release wrote are the subject check's failure, not this.
fn release_groups(
    profile: &crate::profile::Profile,
    cert: &Cert,
    release: &crate::release::Release,
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
