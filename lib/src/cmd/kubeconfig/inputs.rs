//! What every mode reads and checks before writing: the client certificate and key, the CA
//! bundle, the server and the names, each checked as kubectl and kube-apiserver would.

use std::path::Path;

use zeroize::Zeroizing;

use super::options::Options;
use crate::cert::Cert;
use crate::chain::GoError;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::key::PrivateKey;
use crate::kubeconfig::{Names, check_server};
use crate::pem::{Block, Kind};
use crate::usage::Usage;
use crate::validity::format_time;

/// A client certificate with its key, as read.
pub(crate) struct Client {
    pub(crate) cert: Cert,
    pub(crate) cert_pem: String,
    pub(crate) key: PrivateKey,
    pub(crate) key_pem: Zeroizing<String>,
}

/// A CA file (`--ca-cert`): its certificates, and their PEM text in the file's order (a bundle of
/// old and new CAs mid-rotation is embedded whole).
pub(crate) struct CaBundle {
    pub(crate) certs: Vec<Cert>,
    pub(crate) pem: String,
}

/// Reads the CA file; it must hold at least one certificate.
pub(super) fn ca_bundle(path: &Path) -> Result<CaBundle> {
    let name = path.display().to_string();
    let blocks: Vec<Block> = crate::input::read_blocks(path)?.into_iter().filter(|b| b.kind() == Kind::Cert).collect();
    if blocks.is_empty() {
        return Err(Error::input(&name, "no CERTIFICATE found"));
    }
    let certs = blocks.iter().map(|b| Cert::from_der(&b.der, &name)).collect::<Result<Vec<_>>>()?;
    Ok(CaBundle { certs, pem: blocks.iter().map(|b| b.text.as_str()).collect() })
}

/// The one block of `kind` among `blocks`.
pub(super) fn first_of(blocks: &[Block], kind: Kind, source: &str, what: &str) -> Result<Block> {
    let mut it = blocks.iter().filter(|b| b.kind() == kind);
    let first = it.next().cloned().ok_or_else(|| Error::input(source, format!("no {what} found")))?;
    if it.next().is_some() {
        return Err(Error::input(source, format!("more than one {what}; give one client at a time")));
    }
    Ok(first)
}

pub(super) fn read_blocks_bytes(bytes: &[u8], source: &str) -> Result<Vec<Block>> {
    let input = Input::from_bytes(source, bytes.to_vec());
    input.blocks()?.collect()
}

pub(super) fn client(opts: &Options, stdin: Option<(String, Vec<u8>)>) -> Result<Client> {
    let mut blocks = Vec::new();
    if let Some((name, bytes)) = &stdin {
        blocks.extend(read_blocks_bytes(bytes, name)?);
    }
    for path in [&opts.cert, &opts.key].into_iter().flatten() {
        blocks.extend(crate::input::read_blocks(path)?);
    }
    let source = stdin.as_ref().map(|(n, _)| n.clone()).unwrap_or_else(|| "input".into());
    let cert_block = first_of(&blocks, Kind::Cert, &source, "client CERTIFICATE")?;
    let key_block = first_of(&blocks, Kind::Key, &source, "private key")?;
    let cert = Cert::from_der(&cert_block.der, &source)?;
    let key = PrivateKey::from_pem_block(&key_block.label, &key_block.der, &source)?;
    Ok(Client { cert, cert_pem: cert_block.text.to_string(), key, key_pem: key_block.text.clone() })
}

/// The checks kube-apiserver would make, before anything is written.
/// Checks the client against the CA file, which may be a bundle (old and new CAs mid-rotation):
/// one of its certificates must have signed the client certificate.
pub(super) fn check(client: &Client, bundle: &[Cert], ca_name: &str, now: i64) -> Result<()> {
    if client.cert.public_key != *client.key.public_key() {
        return Err(Error::refused_as(
            crate::error::Refusal::KeyMismatch,
            "the private key does not match the client certificate",
        ));
    }
    // kube-apiserver's client-certificate authenticator: Go's Verify with the client CA bundle
    // as roots and ClientAuth (k8s.io/apiserver pkg/authentication/request/x509/x509.go).
    let opts = crate::chain::Options {
        roots: bundle,
        intermediates: &[],
        at: now,
        usages: vec![Usage::Client],
        go: crate::go_release::GoRelease::default(),
    };
    let Err(go) = crate::chain::verify(&client.cert, &opts) else {
        return Ok(());
    };
    let cert = &client.cert;
    let same_name = bundle.iter().find(|ca| ca.subject_raw == cert.issuer_raw);
    let why = match (&go, same_name) {
        (GoError::UnknownAuthority(..), Some(ca)) => format!(
            "the client certificate's issuer and {ca_name} have the same subject ('{}') but not the same key: \
             it was signed by another CA of that name (another cluster's, or a CA made again){}",
            ca.subject,
            match (&cert.ext.aki, &ca.ext.ski) {
                (Some(aki), Some(ski)) if aki != ski => ", and its authority key ID is not the CA's subject key ID",
                _ => "",
            }
        ),
        (GoError::UnknownAuthority(..), None) => format!(
            "the client certificate (issuer {}) was not signed by {ca_name} ({})",
            cert.issuer,
            bundle.iter().map(|c| c.subject.to_string()).collect::<Vec<_>>().join("; ")
        ),
        (GoError::Expired(_), _) if now > cert.not_after => {
            format!("the client certificate expired on {}", format_time(cert.not_after))
        }
        (GoError::Expired(_), _) if now < cert.not_before => {
            format!("the client certificate is not valid before {}", format_time(cert.not_before))
        }
        (GoError::Expired(_), _) => format!("the CA in {ca_name} is expired or not yet valid"),
        (GoError::IncompatibleUsage, _) => "the certificate has no clientAuth usage".to_string(),
        _ => format!("the client certificate does not verify against {ca_name}"),
    };
    Err(Error::refused_as(crate::error::Refusal::Untrusted, format!("{why}: kube-apiserver would say '{go}'")))
}

pub(super) fn absolute(path: &Path) -> Result<String> {
    std::path::absolute(path).map(|p| p.display().to_string()).map_err(|e| Error::io(path, &e))
}

/// `--server`, or the URL kubeadm writes for the certificate's identity: admin and super-admin
/// at the control-plane endpoint, controller-manager and scheduler at the local API server,
/// kubelet as the release says (docs/kubeadm.md section 5).
pub(super) fn server_for(opts: &Options, subject: &crate::name::Subject) -> Result<String> {
    let (Some(endpoints), None) = (&opts.endpoints, &opts.server) else {
        return Ok(opts.server.clone().unwrap_or_default());
    };
    let release = opts.release.unwrap_or_else(crate::kubeadm::release::newest);
    let (cn, orgs) = (subject.cn().unwrap_or(""), subject.orgs());
    let server = crate::kubeadm::profile::kubeconfig_for(cn, &orgs).and_then(|p| p.server_in(release)).ok_or_else(|| {
        Error::usage(format!(
            "kubeadm writes no kubeconfig for CN={} O=[{}] (only admin, super-admin, kubelet, controller-manager and scheduler): give --server URL",
            crate::term::sanitize(cn),
            crate::term::sanitize(&orgs.join(","))
        ))
    })?;
    Ok(endpoints.url(server))
}

/// `--server URL` (checked), or `--advertise-address` for the server kubeadm writes: one of them.
pub(super) fn require_server(opts: &Options) -> Result<()> {
    match (&opts.server, &opts.endpoints) {
        (Some(server), _) => check_server(server),
        (None, Some(_)) => Ok(()),
        (None, None) => Err(Error::usage(
            "--server URL is required (https://HOST:6443), or --advertise-address IP for the server kubeadm writes",
        )),
    }
}

/// The user (`--user`, else the CN of the `what`'s subject), the cluster and the context
/// (`--context`, else USER@CLUSTER), as kubectl and kubeadm name them.
pub(super) fn names_for(opts: &Options, subject: &crate::name::Subject, what: &str) -> Result<Names> {
    let user = match &opts.user {
        Some(u) => u.clone(),
        None => subject
            .cn()
            .map(str::to_string)
            .ok_or_else(|| Error::usage(format!("the {what} has no CN; name the user with --user")))?,
    };
    Ok(Names {
        context: opts.context.clone().unwrap_or_else(|| format!("{user}@{}", opts.cluster_name)),
        cluster: opts.cluster_name.clone(),
        user,
    })
}

/// Whether two paths name one file (the second may not exist yet).
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
