//! `k8s-kubeconfig --renew`: a kubeconfig's client certificate re-issued in place.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::inputs::{Client, ca_bundle, check};
use super::options::Options;
use crate::atomic::{Existing, FileWrite, write_files};
use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::kubeconfig::Kubeconfig;
use crate::pem::{Block, Kind};

/// Re-issues a kubeconfig's client certificate with the same identity (subject, SANs, usages),
/// a fresh key of the same type unless `reuse_key`, signed by the CA; keeps a backup of the old
/// file beside it and replaces it atomically.
pub(super) fn renew(opts: &Options, path: &Path, now: i64, note: crate::cmd::note::Warn<'_>) -> Result<Vec<PathBuf>> {
    let (Some(ca_cert_path), Some(ca_key_path)) = (&opts.ca_cert, &opts.ca_key) else {
        return Err(Error::usage("--renew needs the CA: --ca PREFIX, or --ca-cert FILE --ca-key FILE"));
    };
    let name = path.display().to_string();
    let _lock = crate::config_lock::ConfigLock::take(path)?;
    let bytes = crate::input::read_file(path)?;
    let mut kc = Kubeconfig::from_slice(&bytes, &name)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let creds = kc.credentials(opts.context.as_deref(), &name, Some(base))?;
    let user = kc
        .users
        .iter()
        .find(|u| u.name == creds.user)
        .ok_or_else(|| Error::input(&name, "the context's user is not defined"))?;
    if user.user.client_certificate_data.is_none() || user.user.client_key_data.is_none() {
        return Err(Error::usage(format!(
            "{name}: the client certificate is a file reference, not embedded data; renew that file with k8s-csr --from-cert"
        )));
    }
    let first = |pem: &Option<Zeroizing<String>>, kind: Kind, what: &str| -> Result<Block> {
        let missing = || Error::input(&name, format!("no {what} in the kubeconfig"));
        let pem = pem.as_ref().ok_or_else(missing)?;
        crate::pem::first_block_of(pem, kind, &name)?.ok_or_else(missing)
    };
    let old_cert_block = first(&creds.cert, Kind::Cert, "client certificate")?;
    let old_key_block = first(&creds.key, Kind::Key, "client key")?;
    let old_cert = Cert::from_der(&old_cert_block.der, &name)?;
    let old_key = PrivateKey::from_pem_block(&old_key_block.label, &old_key_block.der, &name)?;
    let ca = crate::issue::Ca::from_files(ca_cert_path, ca_key_path, now)?;
    issuer_checked(opts, ca_cert_path, &old_cert, &name, note)?;
    let ca_name = ca_cert_path.display().to_string();
    let renew_opts = crate::renew::RenewOptions {
        keep_key: opts.reuse_key,
        lifetime: crate::validity::lifetime(
            opts.days,
            opts.duration.as_ref(),
            crate::kubeadm::release::LEAF_DAYS,
            now,
        )?,
        clamp: opts.clamp,
        now,
        not_before: opts.release.unwrap_or_else(crate::kubeadm::release::newest).leaf_not_before,
    };
    let renewed =
        crate::renew::renew(&old_cert, old_key, crate::renew::format_of(&old_key_block.label), &ca, renew_opts)?;
    for w in &renewed.warnings {
        note(crate::cmd::note::Note::Warning(&format!("{name}: {w}")));
    }
    let new_client =
        Client { cert: renewed.cert, cert_pem: renewed.cert_pem, key: renewed.key, key_pem: renewed.key_pem };
    check(&new_client, std::slice::from_ref(&ca.cert), &ca_name, now)?;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(u) = kc.users.iter_mut().find(|u| u.name == creds.user) {
        u.user.client_certificate_data = Some(b64.encode(&new_client.cert_pem));
        u.user.client_key_data = Some(b64.encode(new_client.key_pem.as_bytes()));
    }
    // The embedded CA becomes the CA file's certificates (all of a bundle mid-rotation), as
    // kubeadm's renewal refreshes it; a CA named by file reference is left to that file.
    let ca_pem = ca_bundle(ca_cert_path)?.pem;
    if let Some(c) = kc.clusters.iter_mut().find(|c| c.name == creds.cluster)
        && c.cluster.certificate_authority_data.is_some()
        && creds.ca.as_deref().map(|s| s.as_str()) != Some(ca_pem.as_str())
    {
        c.cluster.certificate_authority_data = Some(b64.encode(&ca_pem));
        c.cluster.extra.remove(crate::kubeconfig::INSECURE);
        note(crate::cmd::note::Note::Warning(&format!(
            "{name}: its embedded CA was not {ca_name}; it is now (kubectl trusts the API server through it)"
        )));
    }
    // The old file stays as FILE.bak-STAMP (FILE.bak-STAMP.2 for a second renewal within the
    // second), as `--force` keeps what it replaces, and the binary says so.
    let yaml = kc.to_yaml()?;
    let file = FileWrite::new(path.to_path_buf(), 0o600, Zeroizing::new(yaml.as_bytes().to_vec()));
    write_files(std::slice::from_ref(&file), Existing::KeepBackup)?;
    Ok(vec![path.to_path_buf()])
}

/// Renewal re-issues what the CA issued: the old certificate must come from `--issued-by` (a CA
/// rotation renews under the new CA what the old one issued), else from the signing CA's file (a
/// bundle mid-rotation is fine); `--foreign-issuer REASON` re-issues it anyway, said.
fn issuer_checked(
    opts: &Options,
    ca_cert_path: &Path,
    old_cert: &Cert,
    name: &str,
    note: crate::cmd::note::Warn<'_>,
) -> Result<()> {
    let issuer_path = opts.issued_by.as_deref().unwrap_or(ca_cert_path);
    let issuers = Cert::read_all(issuer_path)?;
    let what = format!("{name}'s client certificate");
    let issuer_name = issuer_path.display().to_string();
    match (crate::renew::check_issuer(old_cert, &issuers, &what, &issuer_name), &opts.foreign_issuer) {
        (Ok(()), _) => Ok(()),
        (Err(refusal), None) => Err(Error::refused_as(
            crate::error::Refusal::ForeignIssuer,
            format!("{refusal}; --foreign-issuer REASON re-issues it anyway"),
        )),
        (Err(_), Some(reason)) => {
            note(crate::cmd::note::Note::Warning(&format!(
                "{name}: re-issuing '{}', issued by '{}', under {} (--foreign-issuer: {})",
                old_cert.subject,
                old_cert.issuer,
                ca_cert_path.display(),
                crate::term::sanitize(reason)
            )));
            Ok(())
        }
    }
}
