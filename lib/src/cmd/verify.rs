//! `k8s-verify`: check certificates against a CA, purpose, hosts and identity; inspect what a
//! certificate, CSR, key or kubeconfig holds; audit a whole kubeadm PKI directory.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::audit::{AuditOptions, audit};
use crate::cert::Cert;
use crate::csr::Csr;
use crate::error::{Error, Result};
use crate::inspect;
use crate::key::{PrivateKey, PublicKey};
use crate::kubeconfig::{Kubeconfig, looks_like_kubeconfig};
use crate::profile::Usage;
use crate::report;
use crate::stream::{Input, Kind, first_block_of, print};
use crate::term::{ColorChoice, Paint, use_color};
use crate::validity;
use crate::verify::{Expect, Status, check, worst};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Human-readable text (the default).
    #[default]
    Text,
    /// JSON for scripts and monitoring.
    Json,
}

/// What `k8s-verify` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Files to read (none: stdin).
    pub inputs: Vec<PathBuf>,
    /// The CA certificates must chain to.
    pub ca_cert: Option<PathBuf>,
    /// Required usages.
    pub purposes: Vec<Usage>,
    /// Names and IPs that must be in the SANs.
    pub hosts: Vec<String>,
    /// Required CN.
    pub cn: Option<String>,
    /// Required O values (all of them, in any order).
    pub orgs: Vec<String>,
    /// Private key that must match.
    pub key: Option<PathBuf>,
    /// Audit this kubeadm directory.
    pub pki_dir: Option<PathBuf>,
    /// With `pki_dir`: node name.
    pub node_name: Option<String>,
    /// With `pki_dir`: advertise address.
    pub advertise_address: Option<IpAddr>,
    /// Service CIDR.
    pub service_cidr: String,
    /// DNS domain.
    pub dns_domain: String,
    /// With `pki_dir`: print the expiry table.
    pub expiry: bool,
    /// Evaluate as of this date.
    pub at: Option<String>,
    /// Warn within this duration.
    pub warn_within: String,
    /// Output format.
    pub format: OutputFormat,
    /// Colour.
    pub color: ColorChoice,
    /// Show passing checks too.
    pub verbose: bool,
    /// Print the trust graph instead of checking.
    pub graph: Option<crate::wiring::GraphFormat>,
    /// Print the component flags that point at each file.
    pub flags: bool,
    /// Print the openssl commands that check the same.
    pub explain: bool,
    /// Check CSRs (PEM or CertificateSigningRequest objects) against this signer's rules.
    pub signer: Option<String>,
}

/// One thing read from the input.
enum Item {
    Cert(Box<Cert>, String, Option<PublicKey>),
    Csr(Box<Csr>, String),
    Key(PrivateKey, String, String),
    Public(PublicKey, String),
    Kubeconfig(inspect::Summary),
}

fn read_items(opts: &Options) -> Result<Vec<Item>> {
    let sources: Vec<Option<&Path>> =
        if opts.inputs.is_empty() { vec![None] } else { opts.inputs.iter().map(|p| Some(p.as_path())).collect() };
    let mut items = Vec::new();
    for path in sources {
        let input = Input::open(path, "a certificate, CSR, key or kubeconfig")?;
        let (name, bytes) = input.read_all()?;
        if looks_like_kubeconfig(&bytes) {
            kubeconfig_items(&bytes, &name, path, &mut items)?;
            continue;
        }
        let mut n = 0;
        for block in Input::from_bytes(&name, bytes).blocks()? {
            let block = block?;
            n += 1;
            let source = format!("{name} #{n}");
            match block.kind() {
                Kind::Cert => items.push(Item::Cert(Box::new(Cert::from_der(&block.der, &name)?), source, None)),
                Kind::Csr => items.push(Item::Csr(Box::new(Csr::from_der(&block.der, &name)?), source)),
                Kind::Key => items.push(Item::Key(
                    PrivateKey::from_pem_block(&block.label, &block.der, &name)?,
                    block.label.clone(),
                    source,
                )),
                Kind::PublicKey => items.push(Item::Public(PublicKey::from_spki_der(&block.der, &name)?, source)),
                Kind::Other => return Err(Error::input(&name, format!("cannot inspect a {} block", block.label))),
            }
        }
    }
    Ok(items)
}

fn kubeconfig_items(bytes: &[u8], name: &str, path: Option<&Path>, items: &mut Vec<Item>) -> Result<()> {
    let kc = Kubeconfig::from_slice(bytes, name)?;
    let base = path.and_then(Path::parent).unwrap_or(Path::new("."));
    let creds = kc.credentials(None, name, base)?;
    let source = format!("{name}: user {}", creds.user);
    let mut summary = inspect::Summary { kind: "kubeconfig", source: name.to_string(), fields: Vec::new() };
    summary.fields.push(("context".into(), creds.context.clone().into()));
    summary.fields.push(("cluster".into(), creds.cluster.clone().into()));
    summary.fields.push(("server".into(), creds.server.clone().into()));
    summary.fields.push(("user".into(), creds.user.clone().into()));
    let mut key = None;
    let first = |pem: &Option<zeroize::Zeroizing<String>>, kind: Kind| match pem {
        Some(text) => first_block_of(text, kind, name),
        None => Ok(None),
    };
    if let Some(b) = first(&creds.key, Kind::Key)? {
        key = Some(PrivateKey::from_pem_block(&b.label, &b.der, name)?.public_key().clone());
    }
    if let Some(b) = first(&creds.ca, Kind::Cert)? {
        let ca = Cert::from_der(&b.der, name)?;
        summary.fields.push(("ca".into(), ca.subject.to_string().into()));
    }
    items.push(Item::Kubeconfig(summary));
    if let Some(b) = first(&creds.cert, Kind::Cert)? {
        items.push(Item::Cert(Box::new(Cert::from_der(&b.der, name)?), source, key));
    }
    Ok(())
}

fn audit_options(opts: &Options, at: i64, warn_within: i64) -> AuditOptions {
    AuditOptions {
        node_name: opts.node_name.clone(),
        advertise_address: opts.advertise_address,
        service_cidr: opts.service_cidr.clone(),
        dns_domain: opts.dns_domain.clone(),
        at,
        warn_within,
    }
}

fn checking(opts: &Options) -> bool {
    opts.ca_cert.is_some()
        || !opts.purposes.is_empty()
        || !opts.hosts.is_empty()
        || opts.cn.is_some()
        || !opts.orgs.is_empty()
        || opts.key.is_some()
}

/// Runs k8s-verify. Findings go to stdout; the result says whether they held.
pub fn run(opts: &Options, note: crate::cmd::Warn<'_>) -> Result<()> {
    let at = opts.at.as_deref().map(validity::parse_date).transpose()?.unwrap_or_else(validity::now);
    let warn_within = validity::parse_duration(&opts.warn_within, at)?;
    let paint = Paint::new(opts.format == OutputFormat::Text && use_color(opts.color));
    if opts.flags {
        let root = opts.pki_dir.as_deref().map(|p| p.display().to_string()).unwrap_or_else(|| "/etc/kubernetes".into());
        return print(&crate::wiring::flags_text(root.trim_end_matches('/')));
    }
    if let Some(format) = opts.graph {
        let signers = match &opts.pki_dir {
            Some(dir) => {
                let audit_opts = audit_options(opts, at, warn_within);
                audit(dir, &audit_opts)?
                    .files
                    .iter()
                    .map(|f| (f.path.clone(), f.signed_by.clone().unwrap_or_else(|| "unknown CA".into())))
                    .collect()
            }
            None => Vec::new(),
        };
        return print(&crate::wiring::graph(format, &signers));
    }
    if let Some(dir) = &opts.pki_dir {
        if !opts.inputs.is_empty() || checking(opts) {
            return Err(Error::usage(
                "--pki-dir audits a directory; it does not take files or --ca-cert/--host/... checks",
            ));
        }
        let audit_opts = audit_options(opts, at, warn_within);
        let rep = audit(dir, &audit_opts)?;
        let text = match (opts.expiry, opts.format) {
            (true, OutputFormat::Text) => report::expiry_text(&rep),
            (true, OutputFormat::Json) => report::expiry_json(&rep),
            (false, OutputFormat::Text) => report::audit_text(&rep, opts.verbose, &paint),
            (false, OutputFormat::Json) => report::audit_json(&rep),
        };
        print(&text)?;
        let failed = rep.files.iter().filter(|f| f.status == Status::Fail).count();
        return match rep.status {
            Status::Fail => Err(Error::CheckFailed(format!("{failed} of {} files failed the audit", rep.files.len()))),
            Status::Warn | Status::Missing => Err(Error::Warnings("warnings only: see above".into())),
            Status::Ok => Ok(()),
        };
    }
    if let Some(signer) = &opts.signer {
        return check_signer(opts, signer);
    }
    if opts.expiry || opts.node_name.is_some() || opts.advertise_address.is_some() {
        return Err(Error::usage("--expiry, --node-name and --advertise-address go with --pki-dir"));
    }
    let items = read_items(opts)?;
    if !checking(opts) {
        return inspect_items(opts, &items, at);
    }
    if opts.explain {
        explain_checks(opts, &items, note);
    }
    check_items(opts, &items, at, warn_within, &paint)
}

fn inspect_items(opts: &Options, items: &[Item], at: i64) -> Result<()> {
    let summaries: Vec<inspect::Summary> = items
        .iter()
        .map(|item| match item {
            Item::Cert(c, source, _) => inspect::certificate(c, source, at),
            Item::Csr(c, source) => inspect::csr(c, source),
            Item::Key(k, label, source) => inspect::private_key(k, label, source),
            Item::Public(p, source) => inspect::public_key(p, source),
            Item::Kubeconfig(s) => s.clone(),
        })
        .collect();
    let text = match opts.format {
        OutputFormat::Text => summaries.iter().map(inspect::Summary::to_text).collect::<Vec<_>>().join("\n"),
        OutputFormat::Json => {
            let all: Vec<serde_json::Value> = summaries.iter().map(inspect::Summary::to_json).collect();
            serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"
        }
    };
    print(&text)
}

fn check_items(opts: &Options, items: &[Item], at: i64, warn_within: i64, paint: &Paint) -> Result<()> {
    let ca = match &opts.ca_cert {
        Some(path) => Some((crate::cmd::read_one_cert(path)?, path.display().to_string())),
        None => None,
    };
    let key = opts.key.as_deref().map(crate::cmd::read_one_key).transpose()?.map(|k| k.public_key().clone());
    let mut results = Vec::new();
    for item in items {
        let Item::Cert(cert, source, kc_key) = item else { continue };
        let expect = Expect {
            ca: ca.as_ref().map(|(c, _)| c),
            ca_name: ca.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
            purposes: opts.purposes.clone(),
            hosts: opts.hosts.clone(),
            cn: opts.cn.clone(),
            orgs: if opts.orgs.is_empty() { Vec::new() } else { vec![opts.orgs.clone()] },
            key: key.clone().or_else(|| kc_key.clone()),
            at,
            warn_within,
        };
        let findings = check(cert, &expect);
        results.push((source.clone(), cert, findings));
    }
    if results.is_empty() {
        return Err(Error::input("input", "no certificate to check"));
    }
    let text = match opts.format {
        OutputFormat::Text => {
            let mut out = String::new();
            for (source, cert, findings) in &results {
                let status = worst(findings);
                let verdict = match status {
                    Status::Ok => paint.good("ok"),
                    Status::Warn | Status::Missing => paint.warn("ok, with warnings"),
                    Status::Fail => paint.bad("FAILED"),
                };
                out.push_str(&format!(
                    "{source} ({}): {verdict}\n",
                    crate::stream::sanitize_line(&cert.subject.to_string())
                ));
                out.push_str(&report::findings_text(findings, "  ", opts.verbose, paint));
            }
            out
        }
        OutputFormat::Json => {
            let all: Vec<serde_json::Value> = results
                .iter()
                .map(|(source, cert, findings)| {
                    serde_json::json!({
                        "source": source,
                        "subject": {"cn": cert.subject.cn(), "o": cert.subject.orgs()},
                        "status": worst(findings),
                        "findings": findings,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&all).unwrap_or_default() + "\n"
        }
    };
    print(&text)?;
    let failed = results.iter().filter(|(_, _, f)| worst(f) == Status::Fail).count();
    if failed > 0 {
        return Err(Error::CheckFailed(format!("{failed} of {} certificates failed", results.len())));
    }
    if results.iter().any(|(_, _, f)| worst(f) != Status::Ok) {
        return Err(Error::Warnings("warnings only: see above".into()));
    }
    Ok(())
}

/// The openssl commands that check what `opts` asks, for each certificate file.
fn explain_checks(opts: &Options, items: &[Item], note: crate::cmd::Warn<'_>) {
    use crate::explain::sh;
    note(crate::cmd::Note::Explain(
        "# k8s-verify: path validation by rustls-webpki (chain, validity, extended key usage, SANs); openssl checks the same with:",
    ));
    let cert_files: Vec<String> = if opts.inputs.is_empty() {
        vec!["cert.crt".into()]
    } else {
        opts.inputs.iter().map(|p| p.display().to_string()).collect()
    };
    let purposes: Vec<Option<&str>> = if opts.purposes.is_empty() {
        vec![None]
    } else {
        opts.purposes.iter().map(|u| Some(if *u == Usage::Server { "sslserver" } else { "sslclient" })).collect()
    };
    let has_certs = items.iter().any(|i| matches!(i, Item::Cert(..)));
    for file in cert_files.iter().filter(|_| has_certs) {
        for purpose in &purposes {
            let mut cmd = String::from("$ openssl verify -x509_strict");
            if let Some(p) = purpose {
                cmd.push_str(&format!(" -purpose {p}"));
            }
            if let Some(ca) = &opts.ca_cert {
                cmd.push_str(&format!(" -CAfile {}", sh(&ca.display().to_string())));
            }
            for host in &opts.hosts {
                let flag = if host.parse::<IpAddr>().is_ok() { "-verify_ip" } else { "-verify_hostname" };
                cmd.push_str(&format!(" {flag} {}", sh(host)));
            }
            cmd.push_str(&format!(" {}", sh(file)));
            note(crate::cmd::Note::Explain(&cmd));
        }
    }
    if opts.cn.is_some() || !opts.orgs.is_empty() {
        for file in &cert_files {
            note(crate::cmd::Note::Explain(&format!("$ openssl x509 -in {} -noout -subject", sh(file))));
        }
    }
}

/// `--signer`: would kube-controller-manager's signer accept these CSRs?
fn check_signer(opts: &Options, signer: &str) -> Result<()> {
    use crate::csrapi;
    csrapi::check_signer_name(signer)?;
    let sources: Vec<Option<&Path>> =
        if opts.inputs.is_empty() { vec![None] } else { opts.inputs.iter().map(|p| Some(p.as_path())).collect() };
    let mut failed = 0;
    let mut lines = String::new();
    for path in sources {
        let (name, bytes) = Input::open(path, "a CSR or CertificateSigningRequest object")?.read_all()?;
        let (usages, pem) = if csrapi::looks_like_object(&bytes) {
            let o = csrapi::CsrObject::from_slice(&bytes, &name)?;
            (Some(o.usages.clone()), o.request_pem)
        } else {
            (None, String::from_utf8_lossy(&bytes).into_owned())
        };
        let block = first_block_of(&pem, Kind::Csr, &name)?
            .ok_or_else(|| Error::input(&name, "expected a CERTIFICATE REQUEST"))?;
        let csr = Csr::from_der(&block.der, &name)?;
        let usages = usages.unwrap_or_else(|| {
            if csr.request.usages.is_empty() {
                csrapi::default_usages(signer, csr.public_key.is_rsa())
            } else {
                csrapi::api_usages(&csr)
            }
        });
        match csrapi::validate(signer, &csr, &usages) {
            Ok(()) => lines.push_str(&format!("{name} ({}): {signer} would sign it\n", csr.request.subject)),
            Err(why) => {
                failed += 1;
                lines.push_str(&format!("{name} ({}): {signer} would refuse it: {why}\n", csr.request.subject));
            }
        }
    }
    print(&lines)?;
    if failed > 0 { Err(Error::CheckFailed(format!("{failed} CSR(s) would be refused"))) } else { Ok(()) }
}
