//! `k8s-kubeconfig` building or merging: a client certificate and key (stdin, or `--cert`/
//! `--key`) and the cluster's CA and server become a kubeconfig, or a user added to one
//! (`--merge`, as `kubectl config set-credentials` adds it). Merged into a kubeconfig that already
//! names the cluster, its CA and server are taken from it when the flags do not give them.

use std::path::{Path, PathBuf};

use super::inputs::{CaBundle, Client, absolute, ca_bundle, check, client, names_for, same_file, server_for};
use super::options::Options;
use crate::config_lock::ConfigLock;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::kubeconfig::{Kubeconfig, Material, check_server, looks_like_kubeconfig};

/// The kubeconfig merged into, read under its lock when it is written back.
struct Target {
    name: String,
    bytes: Vec<u8>,
    kc: Kubeconfig,
}

/// Builds or merges, and writes the result.
pub(super) fn build(opts: &Options, now: i64, note: crate::cmd::note::Warn<'_>) -> Result<Vec<PathBuf>> {
    // Written back (--in-place, or --out naming it): kubectl's FILE.lock is held from before the
    // read to after the write, so that concurrent writers do not lose each other's entries.
    let out = if opts.in_place { opts.merge.clone() } else { opts.out.clone() };
    let back = opts.merge.as_deref().zip(out.as_deref()).is_some_and(|(m, t)| same_file(m, t));
    let _lock = match &opts.merge {
        Some(path) if back => Some(ConfigLock::take(path)?),
        _ => None,
    };
    let target = opts.merge.as_deref().map(read_target).transpose()?;
    let (CaBundle { certs: ca, pem: ca_pem }, ca_name) = trust(opts, target.as_ref())?;
    server_given(opts, target.as_ref())?;
    let stdin = stdin_client(opts)?;
    let client = client(opts, stdin)?;
    check(&client, &ca, &ca_name, now)?;
    let server = server(opts, target.as_ref(), &client)?;
    let names = names_for(opts, &client.cert.subject, "certificate")?;
    let material = if opts.embed {
        Material::Embedded { ca: ca_pem, cert: client.cert_pem.clone(), key: client.key_pem.clone() }
    } else {
        let (Some(cert), Some(key)) = (&opts.cert, &opts.key) else {
            return Err(Error::usage("--embed=false writes file paths: give --cert FILE and --key FILE"));
        };
        let ca_path = opts
            .ca_cert
            .as_ref()
            .ok_or_else(|| Error::usage("--embed=false writes file paths: give --ca-cert FILE"))?;
        Material::Files { ca: absolute(ca_path)?, cert: absolute(cert)?, key: absolute(key)? }
    };
    let kc = match target {
        Some(t) => merged(opts, t, &names, &server, &material, note),
        None => Kubeconfig::new(&names, &server, opts.tls_server_name.as_deref(), &material),
    };
    let yaml = kc.to_yaml()?;
    if opts.explain {
        let name = |p: &Option<PathBuf>, default: &str| {
            p.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| default.into())
        };
        let shown = name(&out, "kubeconfig");
        let files = [ca_name.as_str(), &name(&opts.cert, "cert.crt"), &name(&opts.key, "key.pem")];
        let merged_into = opts.merge.as_ref().map(|p| p.display().to_string());
        let current = kc.current_context == names.context;
        for line in crate::explain::kubeconfig(&names, &server, files, &shown, merged_into.as_deref(), current) {
            note(crate::cmd::note::Note::Explain(&line));
        }
    }
    // --force keeps the file it replaces; writing a merge back is an edit, like kubectl's.
    let existing = match (opts.force, back) {
        (true, _) => crate::atomic::Existing::KeepBackup,
        (false, true) => crate::atomic::Existing::Replace,
        (false, false) => crate::atomic::Existing::Refuse,
    };
    crate::sink::write_document(out.as_deref(), &yaml, 0o600, opts.embed, existing)
}

fn read_target(path: &Path) -> Result<Target> {
    let bytes = crate::input::read_file(path)?;
    let name = path.display().to_string();
    let kc = Kubeconfig::from_slice(&bytes, &name)?;
    Ok(Target { name, bytes, kc })
}

/// The cluster entry a merge updates: `--cluster-name`'s when the target has it.
fn target_cluster<'t>(opts: &Options, target: Option<&'t Target>) -> Option<&'t crate::kubeconfig::Cluster> {
    target?.kc.clusters.iter().find(|c| c.name == opts.cluster_name).map(|c| &c.cluster)
}

/// The CA: `--ca-cert`, else the CA data of the cluster entry the target already has.
fn trust(opts: &Options, target: Option<&Target>) -> Result<(CaBundle, String)> {
    if let Some(path) = &opts.ca_cert {
        return Ok((ca_bundle(path)?, path.display().to_string()));
    }
    let from_target = target
        .zip(target_cluster(opts, target))
        .and_then(|(t, c)| c.certificate_authority_data.as_ref().map(|d| (t, d)));
    let Some((t, data)) = from_target else {
        return Err(Error::usage("--ca-cert FILE is required (pki/ca.crt)"));
    };
    let source = format!("{}'s cluster '{}'", t.name, crate::term::sanitize(&opts.cluster_name));
    use base64::Engine;
    let pem = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Error::input(&source, "certificate-authority-data is not base64 PEM"))?;
    let blocks = crate::pem::blocks_of(&pem, crate::pem::Kind::Cert, &source)?;
    let certs = blocks.iter().map(|b| crate::cert::Cert::from_der(&b.der, &source)).collect::<Result<Vec<_>>>()?;
    if certs.is_empty() {
        return Err(Error::input(&source, "certificate-authority-data holds no CERTIFICATE"));
    }
    let pem = blocks.iter().map(|b| b.text.as_str()).collect();
    Ok((CaBundle { certs, pem }, format!("{source}'s certificate-authority-data")))
}

/// Whether a server will be known, said before stdin is read: `--server` (checked), the node's
/// endpoints, or the cluster entry of the kubeconfig merged into.
fn server_given(opts: &Options, target: Option<&Target>) -> Result<()> {
    match (&opts.server, &opts.endpoints) {
        (Some(server), _) => check_server(server),
        (None, Some(_)) => Ok(()),
        (None, None) if target_cluster(opts, target).is_some_and(|c| !c.server.is_empty()) => Ok(()),
        (None, None) => Err(Error::usage(
            "--server URL is required (https://HOST:6443), or --advertise-address IP for the server kubeadm writes",
        )),
    }
}

/// The server: `--server` (or kubeadm's for the identity), else the target cluster's.
fn server(opts: &Options, target: Option<&Target>, client: &Client) -> Result<String> {
    match target_cluster(opts, target).filter(|_| opts.server.is_none() && opts.endpoints.is_none()) {
        Some(cluster) => Ok(cluster.server.clone()),
        None => server_for(opts, &client.cert.subject),
    }
}

/// The client certificate and key from stdin, when the flags do not name both.
fn stdin_client(opts: &Options) -> Result<Option<(String, Vec<u8>)>> {
    if opts.cert.is_some() && opts.key.is_some() {
        return Ok(None);
    }
    let input = Input::open(opts.input.as_deref(), "a client certificate and key (pipe k8s-sign)")?;
    let (name, bytes) = input.read_all()?;
    if looks_like_kubeconfig(&bytes) {
        return Err(Error::usage("the input is a kubeconfig; use --extract to read its credentials"));
    }
    if !crate::csrapi::looks_like_object(&bytes) {
        return Ok(Some((name, bytes)));
    }
    // kubectl get csr NAME -o json|yaml: the issued certificate is in status.certificate.
    let object = crate::csrapi::CsrObject::from_slice(&bytes, &name)?;
    let cert = object.issued_certificate(&name)?;
    if opts.key.is_none() {
        return Err(Error::usage("a CertificateSigningRequest holds no private key: name yours with --key FILE"));
    }
    Ok(Some((name, cert.into_bytes())))
}

/// The target with the cluster, user and context set, as kubectl config set-* sets them.
fn merged(
    opts: &Options,
    t: Target,
    names: &crate::kubeconfig::Names,
    server: &str,
    material: &Material,
    note: crate::cmd::note::Warn<'_>,
) -> Kubeconfig {
    let Target { name, bytes, mut kc } = t;
    for entry in kc.set_credentials(names, server, opts.tls_server_name.as_deref(), material) {
        note(crate::cmd::note::Note::Warning(&format!("{name}: {entry} updated; its other fields are kept")));
    }
    if opts.use_context || kc.current_context.is_empty() {
        kc.current_context = names.context.clone();
    } else if kc.current_context != names.context {
        note(crate::cmd::note::Note::Warning(&format!(
            "{name}: current-context stays '{}'; --use-context makes '{}' current",
            kc.current_context, names.context
        )));
    }
    let shape = crate::yaml::shape(&bytes);
    if shape.comments > 0 {
        note(crate::cmd::note::Note::Warning(&format!(
            "{name}: its {} comment(s) are not kept (kubectl config does not keep them either)",
            shape.comments
        )));
    }
    if shape.anchors > 0 {
        note(crate::cmd::note::Note::Warning(&format!("{name}: its anchors and aliases are written out in full")));
    }
    kc
}
