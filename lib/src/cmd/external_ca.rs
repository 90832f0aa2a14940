//! `k8s-kubeconfig --complete`: finishes a kubeconfig that `kubeadm certs generate-csr` wrote for
//! an external CA (docs/kubeadm.md section 9). Such a file holds the client key only; the CA
//! signs `NAME.conf.csr` elsewhere, and the certificate comes back as `NAME.conf.crt`. This puts
//! the certificate and the CA into the file, after the checks kube-apiserver would make.

use std::path::{Path, PathBuf};

use base64::Engine;
use zeroize::Zeroizing;

use super::kubeconfig::{Client, Options, check};
use crate::atomic::{FileWrite, write_files_atomic};
use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::kubeconfig::Kubeconfig;
use crate::pem::{Block, Kind};

/// Completes `path` in place with `--cert` and `--ca-cert`. Returns the file written.
pub fn complete(opts: &Options, path: &Path, now: i64) -> Result<Vec<PathBuf>> {
    let (Some(cert_path), Some(ca_path)) = (&opts.cert, &opts.ca_cert) else {
        return Err(Error::usage("--complete needs --cert FILE (the signed certificate) and --ca-cert FILE"));
    };
    let name = path.display().to_string();
    let mut kc = Kubeconfig::from_slice(&crate::input::read_file(path)?, &name)?;
    let creds = kc.credentials(opts.context.as_deref(), &name, path.parent())?;
    if creds.cert.is_some() {
        return Err(Error::usage(format!(
            "{name} already holds a client certificate; renew it with k8s-kubeconfig --renew"
        )));
    }
    let key_pem = creds.key.clone().ok_or_else(|| {
        Error::input(&name, "no client-key-data: not a kubeconfig written by kubeadm certs generate-csr")
    })?;
    let key_block = crate::pem::first_block_of(&key_pem, Kind::Key, &name)?
        .ok_or_else(|| Error::input(&name, "client-key-data holds no private key"))?;
    let key = PrivateKey::from_pem_block(&key_block.label, &key_block.der, &name)?;
    let cert_name = cert_path.display().to_string();
    let cert_block = only(crate::input::read_blocks(cert_path)?, Kind::Cert, &cert_name)?;
    let cert = Cert::from_der(&cert_block.der, &cert_name)?;
    let ca_name = ca_path.display().to_string();
    let ca_blocks: Vec<Block> =
        crate::input::read_blocks(ca_path)?.into_iter().filter(|b| b.kind() == Kind::Cert).collect();
    let ca = ca_blocks.iter().map(|b| Cert::from_der(&b.der, &ca_name)).collect::<Result<Vec<_>>>()?;
    if ca.is_empty() {
        return Err(Error::input(&ca_name, "no CERTIFICATE found"));
    }
    let client = Client { cert, cert_pem: cert_block.text.to_string(), key, key_pem: key_block.text.clone() };
    check(&client, &ca, &ca_name, now)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let ca_pem: String = ca_blocks.iter().map(|b| b.text.to_string()).collect();
    if let Some(u) = kc.users.iter_mut().find(|u| u.name == creds.user) {
        u.user.client_certificate_data = Some(b64.encode(&client.cert_pem));
    }
    if let Some(c) = kc.clusters.iter_mut().find(|c| c.name == creds.cluster) {
        c.cluster.certificate_authority_data = Some(b64.encode(&ca_pem));
    }
    let yaml = kc.to_yaml()?;
    write_files_atomic(&[FileWrite::new(path.to_path_buf(), 0o600, Zeroizing::new(yaml.as_bytes().to_vec()))], true)?;
    Ok(vec![path.to_path_buf()])
}

/// The one block of `kind` in `blocks`.
fn only(blocks: Vec<Block>, kind: Kind, source: &str) -> Result<Block> {
    let mut it = blocks.into_iter().filter(|b| b.kind() == kind);
    match (it.next(), it.next()) {
        (Some(b), None) => Ok(b),
        (None, _) => Err(Error::input(source, "no CERTIFICATE found")),
        (Some(_), Some(_)) => Err(Error::input(source, "more than one CERTIFICATE; give the client's alone")),
    }
}
