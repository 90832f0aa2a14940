//! The audit of the service-account key pair: `sa.key` (kept secret) and `sa.pub`, its
//! public half, which kube-apiserver uses to verify the tokens kube-controller-manager signs.

use std::path::Path;

use super::{fix, load_key, permissions};
use crate::finding::{Check, Finding, Status, worst};
use crate::input::read_blocks;
use crate::key::PublicKey;
use crate::pem::Kind;
use crate::report::{FileKind, FileReport};

/// The report on `sa.key` and `sa.pub` under `pki`.
pub(super) fn audit(pki: &Path, rel: &dyn Fn(&Path) -> String) -> FileReport {
    let key_path = pki.join("sa.key");
    let pub_path = pki.join("sa.pub");
    let mut findings = Vec::new();
    let key = load_key(&key_path);
    let public = if pub_path.exists() {
        read_blocks(&pub_path).ok().and_then(|bs| {
            bs.iter()
                .find(|b| b.kind() == Kind::PublicKey)
                .and_then(|b| PublicKey::from_spki_der(&b.der, "sa.pub").ok())
        })
    } else {
        None
    };
    match (&key, &public) {
        (Ok(Some(k)), Some(p)) if k.public_key() == p => {
            findings.push(Finding::ok(Check::Key, "sa.pub is sa.key's public key"))
        }
        (Ok(Some(_)), Some(_)) => findings.push(Finding::fail(
            Check::Key,
            "sa.pub is not sa.key's public key: tokens signed by the controller manager will not verify",
            None,
        )),
        (Ok(None), _) if !pub_path.exists() => {}
        (Ok(None), _) => findings.push(Finding::fail(Check::Key, "sa.key is missing", None)),
        (Ok(Some(_)), None) => {
            findings.push(Finding::fail(Check::Key, "sa.pub is missing or holds no PUBLIC KEY", None))
        }
        (Err(e), _) => findings.push(Finding::fail(Check::Key, e.clone(), None)),
    }
    if key_path.exists() {
        permissions(&key_path, &mut findings);
    }
    let status = if findings.is_empty() { Status::Missing } else { worst(&findings) };
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
        fix: if status == Status::Ok { None } else { Some(fix::new_service_account_key(pki)) },
    }
}
