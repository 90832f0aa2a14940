//! `k8s-kubeconfig --complete`: finishes a kubeconfig that `kubeadm certs generate-csr` wrote for
//! an external CA (docs/kubeadm.md section 9). Such a file holds the client key only; the CA
//! signs `NAME.conf.csr` elsewhere, and the certificate comes back as `NAME.conf.crt`. This puts
//! the certificate and the CA into the file, after the checks kube-apiserver would make.

use std::path::{Path, PathBuf};

use base64::Engine;
use zeroize::Zeroizing;

use super::kubeconfig::{CaBundle, Client, Options, ca_bundle, check, first_of};
use crate::atomic::{FileWrite, write_files_atomic};
use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::kubeconfig::Kubeconfig;
use crate::pem::Kind;

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
    let cert_block = first_of(&crate::input::read_blocks(cert_path)?, Kind::Cert, &cert_name, "client CERTIFICATE")?;
    let cert = Cert::from_der(&cert_block.der, &cert_name)?;
    let ca_name = ca_path.display().to_string();
    let CaBundle { certs: ca, pem: ca_pem } = ca_bundle(ca_path)?;
    let client = Client { cert, cert_pem: cert_block.text.to_string(), key, key_pem: key_block.text.clone() };
    check(&client, &ca, &ca_name, now)?;
    let b64 = base64::engine::general_purpose::STANDARD;
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
