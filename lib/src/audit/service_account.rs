//! The audit of the service-account key pair: `sa.key` (kept secret) and `sa.pub`, its
//! public half, which kube-apiserver uses to verify the tokens kube-controller-manager signs.

use std::path::Path;

use super::fix::{self, SaState};
use super::read::{load_key, permissions};
use crate::finding::{Check, Finding, Status, worst};
use crate::key::PublicKey;
use crate::pem::Kind;
use crate::report::{FileKind, FileReport};

/// The report on `sa.key` and `sa.pub` under `pki`.
pub(super) fn audit(tree: &crate::beneath::Beneath, pki: &Path, rel: &dyn Fn(&Path) -> String) -> FileReport {
    let key_path = pki.join("sa.key");
    let pub_path = pki.join("sa.pub");
    let mut findings = Vec::new();
    let key = load_key(tree, &key_path);
    // kube-apiserver's --service-account-key-file may hold several keys (during a rotation, or
    // after a lost sa.key): sa.key's public key must be one of them.
    let pub_state = super::read::present(tree, &pub_path);
    if let Err(why) = &pub_state {
        findings.push(Finding::fail(Check::Read, why.clone(), None));
    }
    let publics: Vec<PublicKey> = if pub_state == Ok(true) {
        super::read::blocks(tree, &pub_path)
            .map(|bs| {
                bs.unwrap_or_default()
                    .iter()
                    .filter(|b| b.kind() == Kind::PublicKey)
                    .filter_map(|b| PublicKey::from_spki_der(&b.der, "sa.pub").ok())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut state = None;
    match (&key, publics.is_empty()) {
        (Ok(Some(k)), false) if publics.contains(k.public_key()) => {
            let also =
                if publics.len() > 1 { format!(" (one of {} keys it holds)", publics.len()) } else { String::new() };
            findings.push(Finding::ok(Check::Key, format!("sa.pub holds sa.key's public key{also}")))
        }
        (Ok(Some(_)), false) => {
            state = Some(SaState::PublicKey);
            findings.push(Finding::fail(
                Check::Key,
                "sa.pub does not hold sa.key's public key: tokens signed by the controller manager will not verify",
                None,
            ))
        }
        (Ok(None), _) if !super::read::exists(tree, &pub_path) => {}
        (Ok(None), _) => {
            state = Some(SaState::KeyLost);
            findings.push(Finding::fail(Check::Key, "sa.key is missing", None))
        }
        (Ok(Some(_)), true) => {
            state = Some(SaState::PublicKey);
            findings.push(Finding::fail(Check::Key, "sa.pub is missing or holds no PUBLIC KEY", None))
        }
        (Err(e), _) => findings.push(Finding::fail(Check::Key, e.clone(), None)),
    }
    if super::read::exists(tree, &key_path) {
        permissions(tree, &key_path, &mut findings);
    }
    let status = if findings.is_empty() { Status::Missing } else { worst(&findings) };
    let mode_only = findings.iter().filter(|f| f.status == Status::Fail).all(|f| f.check == Check::Permissions);
    let fix = match (status, state) {
        (Status::Ok | Status::Warn, _) => None,
        (Status::Missing, _) => Some(fix::service_account(pki, SaState::Neither)),
        (_, Some(state)) => Some(fix::service_account(pki, state)),
        (_, None) if mode_only => Some(fix::service_account(pki, SaState::Mode)),
        // An unreadable sa.key: nothing safe to run; the finding says why.
        (_, None) => None,
    };
    FileReport {
        path: rel(&key_path),
        name: "sa".into(),
        kind: FileKind::KeyPair,
        subject: None,
        not_after: None,
        ca_name: None,
        signed_by: None,
        externally_managed: false,
        status,
        findings,
        kubeadm_name: None,
        fix,
        generation: None,
        members: Vec::new(),
    }
}
