//! The kubeconfigs of kubeadm's external-CA flow (`kubeadm certs generate-csr`, docs/kubeadm.md
//! section 9). `--partial` writes what kubeadm writes on the node: `NAME.conf` holding the client
//! key only (no CA, no certificate) and `NAME.conf.csr` beside it. The CA signs the CSR elsewhere
//! and the certificate comes back as `NAME.conf.crt`; `--complete` puts it and the CA into the
//! file, after the checks kube-apiserver would make.

use std::path::{Path, PathBuf};

use base64::Engine;
use zeroize::Zeroizing;

use super::inputs::{
    CaBundle, Client, ca_bundle, check, first_of, names_for, read_blocks_bytes, require_server, server_for,
};
use super::options::Options;
use crate::atomic::{FileWrite, write_files_atomic};
use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::key::PrivateKey;
use crate::kubeconfig::{Kubeconfig, Material};
use crate::pem::Kind;

/// Writes `--out` as kubeadm's `createKubeConfigAndCSR` does (phases/kubeconfig/kubeconfig.go):
/// the kubeconfig of `CreateWithCerts` with an empty CA and an empty client certificate, so it
/// holds the server, the names `USER@CLUSTER` and the key; and the CSR as `OUT.csr`, both 0600.
/// The key and the CSR come from the stream (`k8s-csr`'s output) and must belong together.
pub fn partial(opts: &Options) -> Result<Vec<PathBuf>> {
    let Some(out) = crate::input::named(opts.out.as_deref()) else {
        return Err(Error::usage(
            "--partial writes two files: name the kubeconfig with --out FILE (FILE.csr beside it)",
        ));
    };
    require_server(opts)?;
    let input = Input::open(opts.input.as_deref(), "a private key and its CSR (pipe k8s-csr)")?;
    let (source, bytes) = input.read_all()?;
    let blocks = read_blocks_bytes(&bytes, &source)?;
    let key_block = first_of(&blocks, Kind::Key, &source, "private key")?;
    let csr_block = first_of(&blocks, Kind::Csr, &source, "CERTIFICATE REQUEST")?;
    let key = PrivateKey::from_pem_block(&key_block.label, &key_block.der, &source)?;
    let csr = crate::csr::Csr::from_der(&csr_block.der, &source)?;
    if csr.public_key != *key.public_key() {
        return Err(Error::refused_as(crate::error::Refusal::KeyMismatch, "the private key does not match the CSR"));
    }
    let subject = &csr.request.subject;
    let server = server_for(opts, subject)?;
    let names = names_for(opts, subject, "CSR")?;
    let material = Material::Embedded { ca: String::new(), cert: String::new(), key: key_block.text.clone() };
    let mut kc = Kubeconfig::new(&names, &server, opts.tls_server_name.as_deref(), &material);
    // kubeadm passes empty CA and certificate bytes, which its YAML leaves out.
    for c in &mut kc.clusters {
        c.cluster.certificate_authority_data = None;
    }
    for u in &mut kc.users {
        u.user.client_certificate_data = None;
    }
    let yaml = kc.to_yaml()?;
    let csr_path = crate::sink::with_suffix(out, ".csr");
    let files = [
        FileWrite::new(out.to_path_buf(), 0o600, Zeroizing::new(yaml.as_bytes().to_vec())).named_by_user(true),
        FileWrite::new(csr_path.clone(), Kind::Csr.file_mode(), Zeroizing::new(csr_block.text.as_bytes().to_vec())),
    ];
    crate::atomic::write_files(&files, crate::atomic::user_force(opts.force))?;
    Ok(vec![out.to_path_buf(), csr_path])
}

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
        c.cluster.extra.remove(crate::kubeconfig::INSECURE);
    }
    let yaml = kc.to_yaml()?;
    write_files_atomic(&[FileWrite::new(path.to_path_buf(), 0o600, Zeroizing::new(yaml.as_bytes().to_vec()))], true)?;
    Ok(vec![path.to_path_buf()])
}
