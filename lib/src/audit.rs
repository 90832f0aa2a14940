//! The audit of a whole kubeadm PKI directory (`/etc/kubernetes`): every file of
//! `shared/kubeadm-pki.md` checked with [`crate::verify`] against the right CA, the profile's
//! subject, usages and SANs, its key, its permissions and its expiry.

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cert::Cert;
use crate::error::{Error, Result};
use crate::key::{PrivateKey, PublicKey};
use crate::kubeconfig::Kubeconfig;
use crate::profile::{CaName, Location, PROFILES, Params, Profile};
use crate::san::{San, first_service_ip};
use crate::stream::{Kind, first_block_of, read_blocks};
use crate::validity::format_time;
use crate::verify::{Expect, Finding, Status, check, worst};

/// What the audit needs besides the directory.
#[derive(Clone, Debug)]
pub struct AuditOptions {
    /// Node name; inferred from apiserver.crt / etcd/server.crt when absent.
    pub node_name: Option<String>,
    /// Advertise address; inferred from apiserver.crt when absent.
    pub advertise_address: Option<IpAddr>,
    /// Service CIDR (for the API server's service IP).
    pub service_cidr: String,
    /// Cluster DNS domain.
    pub dns_domain: String,
    /// Evaluate as of this time.
    pub at: i64,
    /// Warn when something expires within this many seconds.
    pub warn_within: i64,
}

/// Subject in JSON: CN and O as an array, never a joined string.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectJson {
    /// Common name.
    pub cn: Option<String>,
    /// Organizations (Kubernetes groups).
    pub o: Vec<String>,
}

/// The audit's verdict on one file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    /// Path relative to the audited directory.
    pub path: String,
    /// kubeadm's name for it (`apiserver`, `admin.conf`, `ca`).
    pub name: String,
    /// `ca`, `certificate`, `kubeconfig` or `key-pair`.
    pub kind: &'static str,
    /// Subject of the certificate, if one was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectJson>,
    /// notAfter, seconds since the epoch.
    #[serde(rename = "notAfter", skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
    /// The CA that should have signed it (`ca`, `etcd-ca`, `front-proxy-ca`).
    #[serde(rename = "caName", skip_serializing_if = "Option::is_none")]
    pub ca_name: Option<String>,
    /// Whether the signing CA's key is absent (kubeadm's "externally managed").
    #[serde(rename = "externallyManaged")]
    pub externally_managed: bool,
    /// The CA file whose key actually signed it (`pki/etcd/ca.crt`), when one of the three did.
    #[serde(rename = "signedBy", skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The worst finding.
    pub status: Status,
    /// Every check.
    pub findings: Vec<Finding>,
    /// A pipeline that re-issues it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The whole audit.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The audited directory.
    pub dir: String,
    /// When it was evaluated (RFC 3339).
    pub at: String,
    /// Seconds since the epoch of `at`.
    #[serde(skip)]
    pub at_secs: i64,
    /// Node name used for SAN and CN checks.
    #[serde(rename = "nodeName", skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// Advertise address used for SAN checks.
    #[serde(rename = "advertiseAddress", skip_serializing_if = "Option::is_none")]
    pub advertise_address: Option<String>,
    /// Worst status of all files.
    pub status: Status,
    /// One report per file.
    pub files: Vec<FileReport>,
}

struct LoadedCa {
    name: CaName,
    cert: Option<Cert>,
    has_key: bool,
}

fn subject_json(cert: &Cert) -> SubjectJson {
    SubjectJson { cn: cert.subject.cn().map(str::to_string), o: cert.subject.orgs() }
}

/// The name kubeadm's check-expiration uses for a CA.
pub fn ca_label(ca: CaName) -> &'static str {
    match ca {
        CaName::Cluster => "ca",
        CaName::Etcd => "etcd-ca",
        CaName::FrontProxy => "front-proxy-ca",
    }
}

fn load_cert(path: &Path) -> std::result::Result<Option<Cert>, String> {
    if !path.exists() {
        return Ok(None);
    }
    crate::cmd::read_one_cert(path).map(Some).map_err(|e| e.to_string())
}

fn load_key(path: &Path) -> std::result::Result<Option<PrivateKey>, String> {
    if !path.exists() {
        return Ok(None);
    }
    crate::cmd::read_one_key(path).map(Some).map_err(|e| e.to_string())
}

fn permissions(path: &Path, findings: &mut Vec<Finding>) {
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if mode & 0o077 != 0 {
            findings.push(Finding::fail(
                "permissions",
                format!("{name} is readable by others (mode {mode:04o}); fix: chmod 600 {}", path.display()),
                None,
            ));
        } else {
            findings.push(Finding::ok("permissions", format!("{name} mode {mode:04o}")));
        }
    }
}

/// Infers the node name and advertise address by a vote of the certificates that carry them
/// (the API server's SANs, etcd's server and peer certificates, kubelet.conf's CN), so that
/// one broken certificate shows up as the odd one out instead of setting the expectation.
fn infer_params(pki: &Path, root: &Path, opts: &AuditOptions) -> Params {
    let service_ip = first_service_ip(&opts.service_cidr).ok();
    let mut names: Vec<String> = Vec::new();
    let mut ips: Vec<IpAddr> = Vec::new();
    if let Ok(Some(api)) = load_cert(&pki.join("apiserver.crt")) {
        for san in &api.ext.sans {
            match san {
                San::Dns(d) if !d.starts_with("kubernetes") => names.push(d.clone()),
                San::Ip(ip) if Some(*ip) != service_ip => ips.push(*ip),
                _ => {}
            }
        }
    }
    for etcd in ["etcd/server.crt", "etcd/peer.crt"] {
        if let Ok(Some(c)) = load_cert(&pki.join(etcd)) {
            names.extend(c.subject.cn().map(str::to_string));
            ips.extend(c.ext.sans.iter().find_map(|s| match s {
                San::Ip(ip) if !ip.is_loopback() => Some(*ip),
                _ => None,
            }));
        }
    }
    let (cert, _, _) = audit_kubeconfig(&root.join("kubelet.conf"), root, None);
    if let Some(node) = cert.as_ref().and_then(|c| c.subject.cn()).and_then(|cn| cn.strip_prefix("system:node:")) {
        names.push(node.to_string());
    }
    Params {
        node_name: opts.node_name.clone().or_else(|| most_common(names)),
        advertise_address: opts.advertise_address.or_else(|| most_common(ips)),
        service_cidr: opts.service_cidr.clone(),
        dns_domain: opts.dns_domain.clone(),
        control_plane_endpoint: None,
    }
}

/// The value seen most often (the first seen wins a tie).
fn most_common<T: PartialEq + Clone>(values: Vec<T>) -> Option<T> {
    let mut best: Option<(usize, T)> = None;
    for v in &values {
        let n = values.iter().filter(|x| *x == v).count();
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, v.clone()));
        }
    }
    best.map(|(_, v)| v)
}

fn fix_for(profile: &Profile, params: &Params, pki: &Path, name: &Path, location: Location) -> Option<String> {
    let signer = profile.signer?;
    let mut csr = format!("k8s-csr --profile {}", profile.name);
    if profile.needs_node {
        csr.push_str(&format!(" --node-name {}", params.node_name.as_deref().unwrap_or("NODE")));
    }
    if profile.needs_address || params.advertise_address.is_some() && profile.name == "kubelet-serving" {
        let ip = params.advertise_address.map(|i| i.to_string()).unwrap_or_else(|| "IP".into());
        csr.push_str(&format!(" --advertise-address {ip}"));
    }
    let sign = format!("k8s-sign --ca {}", pki.join(signer.file()).display());
    match location {
        Location::Kubeconfig(_) => Some(format!(
            "k8s-genkey | {csr} | {sign} | k8s-kubeconfig --ca-cert {} --server https://{}:6443 --out {} --force",
            pki.join("ca.crt").display(),
            params.advertise_address.map(|i| i.to_string()).unwrap_or_else(|| "HOST".into()),
            name.display()
        )),
        _ => Some(format!("k8s-genkey | {csr} | {sign} --out {} --force", name.display())),
    }
}

/// What a profile should hold with these parameters. Where the address is unknown (extra
/// nodes), the names are still checked and the address SANs are not.
fn expected_request(profile: &Profile, params: &Params) -> Option<crate::profile::Request> {
    if let Ok(req) = profile.request(params) {
        return Some(req);
    }
    let unspecified = IpAddr::from([0, 0, 0, 0]);
    let mut req = profile.request(&Params { advertise_address: Some(unspecified), ..params.clone() }).ok()?;
    req.sans.retain(|s| *s != San::Ip(unspecified));
    Some(req)
}

/// One file the audit expects, with the identity it should hold.
struct Target {
    profile: &'static Profile,
    params: Params,
    location: Location,
    /// The kubeconfig path, or the certificate's path without `.crt`.
    name: PathBuf,
}

/// kubeadm's files, then every extra node's under `nodes/N/` (as examples/kubeadm-pki.sh lays
/// them out: etcd server and peer, the kubelet's serving certificate and kubelet.conf).
fn targets(root: &Path, pki: &Path, params: &Params) -> Vec<Target> {
    let mut out = Vec::new();
    for profile in PROFILES.iter().filter(|p| p.signer.is_some()) {
        let name = match profile.location {
            Location::Pki(stem) => pki.join(stem),
            Location::Kubeconfig(file) => root.join(file),
            Location::Elsewhere => continue,
        };
        out.push(Target { profile, params: params.clone(), location: profile.location, name });
    }
    let Ok(entries) = std::fs::read_dir(root.join("nodes")) else { return out };
    let mut nodes: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    nodes.sort();
    for dir in nodes {
        let node = dir.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        // The node's own address is not recorded anywhere we can trust: check names only.
        let node_params = Params { node_name: Some(node.clone()), advertise_address: None, ..params.clone() };
        for (profile, rel_path, location) in [
            ("etcd-server", "pki/etcd/server", Location::Pki("")),
            ("etcd-peer", "pki/etcd/peer", Location::Pki("")),
            ("kubelet-serving", "pki/kubelet", Location::Elsewhere),
            ("kubelet", "kubelet.conf", Location::Kubeconfig("")),
        ] {
            let name = dir.join(rel_path);
            let exists = match location {
                Location::Kubeconfig(_) => name.exists(),
                _ => PathBuf::from(format!("{}.crt", name.display())).exists(),
            };
            if let (true, Ok(profile)) = (exists, crate::profile::find(profile)) {
                out.push(Target { profile, params: node_params.clone(), location, name });
            }
        }
    }
    out
}

/// Audits `dir` (a directory holding `pki/` and the kubeconfigs, like /etc/kubernetes).
pub fn audit(dir: &Path, opts: &AuditOptions) -> Result<Report> {
    let (root, pki) = if dir.join("pki").is_dir() {
        (dir.to_path_buf(), dir.join("pki"))
    } else if dir.join("ca.crt").is_file() {
        (dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from(".")), dir.to_path_buf())
    } else if dir.is_dir() {
        return Err(Error::input(
            dir.display().to_string(),
            "no pki/ directory here: expected a kubeadm tree like /etc/kubernetes",
        ));
    } else {
        return Err(Error::io_msg(dir, "no such directory"));
    };
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let params = infer_params(&pki, &root, opts);
    let mut files = Vec::new();

    // The three CAs.
    let mut cas = Vec::new();
    for ca in [CaName::Cluster, CaName::Etcd, CaName::FrontProxy] {
        let crt = pki.join(format!("{}.crt", ca.file()));
        let key_path = pki.join(format!("{}.key", ca.file()));
        let mut findings = Vec::new();
        let cert = match load_cert(&crt) {
            Ok(c) => c,
            Err(e) => {
                findings.push(Finding::fail("read", e, None));
                None
            }
        };
        let key = load_key(&key_path);
        let has_key = matches!(key, Ok(Some(_)));
        if let Some(cert) = &cert {
            findings.extend(check(cert, &Expect { at: opts.at, warn_within: opts.warn_within, ..Expect::default() }));
            if !cert.is_ca() {
                findings.push(Finding::fail("ca", "not a CA certificate (basicConstraints CA:TRUE missing)", None));
            }
            if cert.signed_by(&cert.public_key).is_err() {
                findings.push(Finding::fail("self-signed", "a root CA should be self-signed; this one is not", None));
            }
            match key {
                Ok(Some(k)) => {
                    if *k.public_key() == cert.public_key {
                        findings.push(Finding::ok("key", "the private key matches"));
                    } else {
                        findings.push(Finding::fail(
                            "key",
                            format!("{}.key does not match {}.crt", ca.file(), ca.file()),
                            None,
                        ));
                    }
                    permissions(&key_path, &mut findings);
                }
                Ok(None) => findings.push(Finding::ok("key", "no CA key here: an externally managed CA")),
                Err(e) => findings.push(Finding::fail("key", e, None)),
            }
        }
        let status = if cert.is_none() && findings.is_empty() { Status::Missing } else { worst(&findings) };
        files.push(FileReport {
            path: rel(&crt),
            name: ca_label(ca).into(),
            kind: "ca",
            subject: cert.as_ref().map(subject_json),
            not_after: cert.as_ref().map(|c| c.not_after),
            ca_name: None,
            signed_by: cert
                .as_ref()
                .filter(|c| c.signed_by(&c.public_key).is_ok())
                .map(|_| format!("pki/{}.crt", ca.file())),
            externally_managed: !has_key,
            status,
            findings,
            fix: None,
        });
        cas.push(LoadedCa { name: ca, cert, has_key });
    }
    let ca_of = |name: CaName| cas.iter().find(|c| c.name == name);

    // Leaf certificates under pki/, the kubeconfigs beside it, and extra nodes under nodes/N/.
    for target in targets(&root, &pki, &params) {
        let Target { profile, params, location, name } = target;
        let Some(signer) = profile.signer else { continue };
        let ca = ca_of(signer);
        let expected = expected_request(profile, &params);
        let fix = fix_for(profile, &params, &pki, &name, location);
        let (path, kind, cert, key_pub, extra) = match location {
            Location::Pki(_) | Location::Elsewhere => {
                let crt = PathBuf::from(format!("{}.crt", name.display()));
                let key_path = PathBuf::from(format!("{}.key", name.display()));
                let mut extra = Vec::new();
                let cert = match load_cert(&crt) {
                    Ok(c) => c,
                    Err(e) => {
                        extra.push(Finding::fail("read", e, None));
                        None
                    }
                };
                let key = match load_key(&key_path) {
                    Ok(Some(k)) => {
                        permissions(&key_path, &mut extra);
                        Some(k.public_key().clone())
                    }
                    Ok(None) => {
                        if cert.is_some() {
                            extra.push(Finding::fail("key", format!("{} is missing", rel(&key_path)), None));
                        }
                        None
                    }
                    Err(e) => {
                        extra.push(Finding::fail("key", e, None));
                        None
                    }
                };
                (crt, "certificate", cert, key, extra)
            }
            Location::Kubeconfig(_) => {
                let path = name.clone();
                let (cert, key, extra) = audit_kubeconfig(&path, &root, ca.and_then(|c| c.cert.as_ref()));
                (path, "kubeconfig", cert, key, extra)
            }
        };
        let mut findings = extra;
        if let Some(cert) = &cert {
            let orgs = match profile.name {
                // kubeadm >= 1.29 writes kubeadm:cluster-admins; older clusters system:masters.
                "admin" | "apiserver-kubelet-client" => {
                    vec![vec!["system:masters".to_string()], vec!["kubeadm:cluster-admins".to_string()]]
                }
                _ => vec![profile.orgs.iter().map(|s| s.to_string()).collect()],
            };
            let expect = Expect {
                ca: ca.and_then(|c| c.cert.as_ref()),
                ca_name: format!("pki/{}.crt", signer.file()),
                purposes: profile.usages.to_vec(),
                hosts: expected.as_ref().map(|r| r.sans.iter().map(|s| s.to_string()).collect()).unwrap_or_default(),
                cn: expected.as_ref().and_then(|r| r.subject.cn().map(str::to_string)),
                orgs,
                key: key_pub,
                at: opts.at,
                warn_within: opts.warn_within,
            };
            findings.extend(check(cert, &expect));
            if ca.is_some_and(|c| c.cert.is_none()) {
                findings.push(Finding::fail(
                    "chain",
                    format!("cannot check: pki/{}.crt is missing", signer.file()),
                    None,
                ));
            }
        }
        let status = if cert.is_none() && findings.is_empty() { Status::Missing } else { worst(&findings) };
        let name = match location {
            Location::Kubeconfig(_) => rel(&path),
            _ => rel(&path).trim_start_matches("pki/").trim_end_matches(".crt").to_string(),
        };
        files.push(FileReport {
            path: rel(&path),
            name,
            kind,
            subject: cert.as_ref().map(subject_json),
            not_after: cert.as_ref().map(|c| c.not_after),
            ca_name: Some(ca_label(signer).into()),
            signed_by: cert.as_ref().and_then(|c| {
                cas.iter()
                    .find(|l| {
                        l.cert
                            .as_ref()
                            .is_some_and(|ca| c.issuer_raw == ca.subject_raw && c.signed_by(&ca.public_key).is_ok())
                    })
                    .map(|l| format!("pki/{}.crt", l.name.file()))
            }),
            externally_managed: ca.is_some_and(|c| !c.has_key),
            status,
            findings,
            fix: if status == Status::Fail || status == Status::Missing { fix } else { None },
        });
    }

    files.push(audit_service_account(&pki, &rel));
    // super-admin.conf only exists on kubeadm >= 1.29 control planes: missing is fine.
    for f in &mut files {
        if f.name == "super-admin.conf" && f.status == Status::Missing {
            f.status = Status::Ok;
            f.findings.push(Finding::ok("present", "absent (kubeadm < 1.29 does not write it)"));
        }
    }
    let status = files.iter().map(|f| f.status).max().unwrap_or(Status::Ok);
    Ok(Report {
        dir: root.display().to_string(),
        at: format_time(opts.at),
        at_secs: opts.at,
        node_name: params.node_name.clone(),
        advertise_address: params.advertise_address.map(|i| i.to_string()),
        status,
        files,
    })
}

fn audit_kubeconfig(path: &Path, root: &Path, ca: Option<&Cert>) -> (Option<Cert>, Option<PublicKey>, Vec<Finding>) {
    let mut findings = Vec::new();
    if !path.exists() {
        return (None, None, findings);
    }
    permissions(path, &mut findings);
    let name = path.display().to_string();
    let kc = match crate::stream::read_file(path).and_then(|b| Kubeconfig::from_slice(&b, &name)) {
        Ok(kc) => kc,
        Err(e) => {
            findings.push(Finding::fail("read", e.to_string(), None));
            return (None, None, findings);
        }
    };
    let creds = match kc.credentials(None, &name, root) {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::fail("read", e.to_string(), None));
            return (None, None, findings);
        }
    };
    let first_cert = |pem: &str| -> Option<Cert> {
        let block = first_block_of(pem, Kind::Cert, &name).ok().flatten()?;
        Cert::from_der(&block.der, &name).ok()
    };
    match (creds.ca.as_deref().and_then(|p| first_cert(p)), ca) {
        (Some(embedded), Some(ca)) if embedded.der == ca.der => {
            findings.push(Finding::ok("kubeconfig-ca", "the embedded CA is pki/ca.crt"))
        }
        (Some(embedded), Some(_)) => findings.push(Finding::fail(
            "kubeconfig-ca",
            format!("the embedded CA ({}) is not pki/ca.crt: clients will not trust the API server", embedded.subject),
            Some("x509: certificate signed by unknown authority".into()),
        )),
        (None, _) => findings.push(Finding::fail("kubeconfig-ca", "no CA in the kubeconfig", None)),
        (Some(_), None) => {}
    }
    let cert = creds.cert.as_deref().and_then(|p| first_cert(p));
    if cert.is_none() {
        findings.push(Finding::fail("client-certificate", "no client certificate in the current context", None));
    }
    let key = creds.key.as_deref().and_then(|pem| {
        let b = first_block_of(pem, Kind::Key, &name).ok().flatten()?;
        PrivateKey::from_pem_block(&b.label, &b.der, &name).ok().map(|k| k.public_key().clone())
    });
    if key.is_none() && cert.is_some() {
        findings.push(Finding::fail("key", "no client key in the current context", None));
    }
    (cert, key, findings)
}

fn audit_service_account(pki: &Path, rel: &dyn Fn(&Path) -> String) -> FileReport {
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
            findings.push(Finding::ok("key", "sa.pub is sa.key's public key"))
        }
        (Ok(Some(_)), Some(_)) => findings.push(Finding::fail(
            "key",
            "sa.pub is not sa.key's public key: tokens signed by the controller manager will not verify",
            None,
        )),
        (Ok(None), _) if !pub_path.exists() => {}
        (Ok(None), _) => findings.push(Finding::fail("key", "sa.key is missing", None)),
        (Ok(Some(_)), None) => findings.push(Finding::fail("key", "sa.pub is missing or holds no PUBLIC KEY", None)),
        (Err(e), _) => findings.push(Finding::fail("key", e.clone(), None)),
    }
    if key_path.exists() {
        permissions(&key_path, &mut findings);
    }
    let status = if findings.is_empty() { Status::Missing } else { worst(&findings) };
    FileReport {
        path: rel(&key_path),
        name: "sa".into(),
        kind: "key-pair",
        subject: None,
        not_after: None,
        ca_name: None,
        signed_by: None,
        externally_managed: false,
        status,
        findings,
        fix: if status == Status::Ok {
            None
        } else {
            Some(format!("k8s-genkey --public --out {} --force", pki.join("sa").display()))
        },
    }
}
