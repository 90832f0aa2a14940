//! `k8s-csr`: a CSR for each private key in the stream (or for `--key FILE`), with the
//! subject, SANs and usages given by hand or by a kubeadm profile.

use std::path::PathBuf;

use x509_cert::name::Name;

use crate::cmd::note::{Note, Warn};
use crate::csr;
use crate::csrapi;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::key::PrivateKey;
use crate::kubeadm::profile::{self, Params};
use crate::pem::{Block, CSR, Kind};
use crate::request::{Overrides, Request};
use crate::san::San;
use crate::signer::{Signer, requested_usages, tls_usages};
use crate::sink::{OutputOptions, Sink};
use crate::usage::Usage;

/// What `k8s-csr` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A kubeadm profile to start from.
    pub profile: Option<&'static profile::Profile>,
    /// Cluster parameters for the profile.
    pub params: Params,
    /// openssl-style subject, replacing the profile's.
    pub subj: Option<String>,
    /// CN, replacing the profile's.
    pub cn: Option<String>,
    /// O values, replacing the profile's when any are given.
    pub orgs: Vec<String>,
    /// SANs, added to the profile's.
    pub sans: Vec<San>,
    /// Usages, replacing the profile's when any are given.
    pub usages: Vec<Usage>,
    /// Request no usages, as `kubeadm certs generate-csr` does: the signer applies them.
    pub no_usages: bool,
    /// Ask to be a CA.
    pub ca: bool,
    /// Key file; when set, stdin is not read and only the CSR is written. With `from_cert`,
    /// the old key: checked against the certificate, and used only with `reuse_key`.
    pub key: Option<PathBuf>,
    /// Renew: copy subject, SANs and usages from this certificate.
    pub from_cert: Option<PathBuf>,
    /// With `from_cert`: sign the CSR with the old key (`key`) instead of a fresh one from stdin.
    pub reuse_key: bool,
    /// With `from_cert`: the CA that must have issued it.
    pub issued_by: Option<PathBuf>,
    /// Input stream file (default stdin).
    pub input: Option<PathBuf>,
    /// Where output goes.
    pub output: OutputOptions,
    /// Print what was done and the openssl equivalent.
    pub explain: bool,
    /// The certificates API signer the CSR is for (sets default usages, checks its rules).
    pub signer: Option<crate::signer::Signer>,
    /// Print a CertificateSigningRequest manifest instead of PEM (key and CSR go to `--out` files).
    pub manifest: bool,
    /// metadata.name of the manifest (default: from the CN).
    pub name: Option<String>,
    /// spec.expirationSeconds, as a duration (`24h`, `30d`).
    pub expiration: Option<crate::validity::Duration>,
    /// Manifest as JSON instead of YAML.
    pub manifest_json: bool,
    /// A cfssl CSR JSON giving the subject and hosts.
    pub cfssl: Option<PathBuf>,
}

/// The request before the flags change it: a profile's, an old certificate's (with the subject
/// to copy verbatim), a cfssl CSR JSON's, or an empty one.
fn base_request(opts: &Options, warn: Warn<'_>) -> Result<(Request, Option<Name>)> {
    Ok(match (&opts.profile, &opts.from_cert) {
        (Some(_), Some(_)) => return Err(Error::usage("--profile and --from-cert do not go together")),
        (Some(profile), None) => (profile.request(&opts.params)?, None),
        (None, Some(path)) => {
            let name = path.display().to_string();
            let cert = crate::cert::Cert::read_file(path)?;
            if let Some(ca_path) = &opts.issued_by {
                let cas = crate::cert::Cert::read_all(ca_path)?;
                crate::renew::check_issuer(&cert, &cas, &name, &ca_path.display().to_string())?;
            }
            let (req, subject) = csr::request_from_cert(&cert)?;
            for dropped in csr::dropped_by_copy(&cert) {
                warn(crate::cmd::note::Note::Warning(&format!("{name}: not copied to the CSR: {dropped}")));
            }
            if let Some(key_path) = &opts.key {
                let key = PrivateKey::read_file(key_path)?;
                if *key.public_key() != cert.public_key {
                    return Err(Error::refused_as(
                        crate::error::Refusal::KeyMismatch,
                        format!("{} does not match {name}", key_path.display()),
                    ));
                }
            }
            (req, Some(subject))
        }
        (None, None) => match &opts.cfssl {
            Some(path) => {
                let source = path.display().to_string();
                let json = crate::cfssl::CsrJson::read(path)?;
                for w in json.warnings() {
                    warn(Note::Warning(&format!("{}: {w}", crate::term::sanitize(&source))));
                }
                (json.request(&source)?, None)
            }
            None => (Request::default(), None),
        },
    })
}

/// Builds the request the flags describe, and the subject to copy verbatim when renewing
/// without subject changes.
/// What `--from-cert` cannot carry over is said as a warning.
pub fn request(opts: &Options, warn: Warn<'_>) -> Result<(Request, Option<Name>)> {
    let (mut req, verbatim) = base_request(opts, warn)?;
    let overrides = Overrides {
        subj: opts.subj.as_deref(),
        cn: opts.cn.as_deref(),
        orgs: &opts.orgs,
        sans: &opts.sans,
        usages: &opts.usages,
        ca: opts.ca,
        no_usages: opts.no_usages,
        kubeadm: opts.profile.is_some(),
    };
    req.override_with(&overrides)?;
    if req.names_nobody() {
        return Err(Error::usage("say who the CSR is for: --cn NAME, --subj /CN=..., or --profile NAME"));
    }
    Ok((req, verbatim.filter(|_| !overrides.change_subject())))
}

/// Reads keys, writes key + CSR for each. Returns the files written.
pub fn run(opts: &Options, warn: Warn<'_>) -> Result<Vec<PathBuf>> {
    let (req, verbatim) = request(opts, warn)?;
    let subject = verbatim.as_ref();
    let mut req = req;
    let api = api_settings(opts, &mut req)?;
    if opts.reuse_key && (opts.from_cert.is_none() || opts.key.is_none()) {
        return Err(Error::usage("--reuse-key goes with --from-cert CERT --key OLD_KEY"));
    }
    if opts.explain {
        explain(opts, &req, warn);
    }
    let mut sink = Sink::new(opts.output.clone());
    let key_file_signs = opts.key.is_some() && (opts.from_cert.is_none() || opts.reuse_key);
    if let (true, Some(path)) = (key_file_signs, &opts.key) {
        let key = PrivateKey::read_file(path)?;
        let block = csr_block(&req, &key, subject)?;
        if let Some(api) = &api {
            api.check_and_print(&block, &mut sink, opts)?;
        }
        sink.emit(block)?;
        return sink.finish();
    }
    let wanted = if opts.from_cert.is_some() && opts.key.is_some() {
        "a fresh private key (pipe k8s-genkey into k8s-csr --from-cert ...): --key names the old key, which --reuse-key keeps"
    } else {
        "a private key (pipe k8s-genkey, or use --key FILE)"
    };
    let input = Input::open(opts.input.as_deref(), wanted)?;
    let source = input.name.clone();
    let mut keys = 0usize;
    let blocks = match input.blocks() {
        Err(Error::EmptyInput { .. }) => {
            return Err(Error::input(source, format!("empty input: {}", no_key_hint(opts))));
        }
        other => other?,
    };
    for block in blocks {
        let block = block?;
        if block.kind() != Kind::Key {
            if block.kind() == Kind::Csr {
                warn(Note::Warning("passing an existing CSR through unchanged"));
            }
            sink.emit(block)?;
            continue;
        }
        let key = PrivateKey::from_pem_block(&block.label, &block.der, &source)?;
        keys += 1;
        let csr = csr_block(&req, &key, subject)?;
        if let Some(api) = &api {
            api.check_and_print(&csr, &mut sink, opts)?;
        }
        sink.emit(block)?;
        sink.emit(csr)?;
        sink.flush_json()?;
    }
    if keys == 0 {
        return Err(Error::input(source, no_key_hint(opts)));
    }
    sink.finish()
}

/// The `--explain` lines: what each part of the request means, and the openssl line that
/// makes the same CSR.
fn explain(opts: &Options, req: &Request, warn: Warn<'_>) {
    // The key from the stream is openssl's -key /dev/stdin (k8s-genkey | openssl req ...),
    // and a CSR on stdout is openssl's without -out: the line runs as printed.
    let key_file = match (&opts.key, opts.from_cert.is_some() && !opts.reuse_key) {
        (Some(k), false) => k.display().to_string(),
        _ => "/dev/stdin".into(),
    };
    let csr_file = opts.output.files.path_for(Kind::Csr).map(|p| p.display().to_string());
    let origin = |san: &San| -> Option<&'static str> {
        if let Some(why) = opts.profile.and_then(|p| p.san_origin(san, &opts.params)) {
            return Some(why);
        }
        if opts.sans.contains(san) {
            return Some("added by hand (--san, kubeadm's extra SANs): a name or address TLS clients dial");
        }
        if opts.from_cert.is_some() {
            return Some("copied from the old certificate (--from-cert)");
        }
        opts.cfssl.is_some().then_some("from the cfssl CSR's hosts")
    };
    for line in crate::explain::csr(req, &key_file, csr_file.as_deref(), &origin) {
        warn(Note::Explain(&line));
    }
}

fn csr_block(req: &Request, key: &PrivateKey, subject: Option<&Name>) -> Result<Block> {
    Ok(Block::new(CSR, &csr::build_with_subject(req, key, subject)?))
}

/// What `--signer`/`--manifest` ask for.
struct ApiSettings {
    signer: Signer,
    usages_given: bool,
    expiration: Option<i64>,
}

fn api_settings(opts: &Options, req: &mut Request) -> Result<Option<ApiSettings>> {
    if opts.manifest && opts.output.files.prefix.is_none() {
        return Err(Error::usage(
            "--manifest prints only the manifest (the key never goes to kubectl): keep the key and CSR with --out PREFIX",
        ));
    }
    let Some(signer) = opts.signer.clone().or_else(|| opts.manifest.then_some(Signer::KubeApiserverClient)) else {
        if opts.name.is_some() || opts.expiration.is_some() {
            return Err(Error::usage("--name and --expiration go with --manifest"));
        }
        return Ok(None);
    };
    let usages_given = !req.usages.is_empty();
    if !usages_given {
        req.usages = tls_usages(&signer.default_usages(true));
    }
    let expiration = match &opts.expiration {
        Some(duration) => {
            let secs = duration.seconds_from(crate::validity::now())?;
            if secs < 600 {
                return Err(Error::usage(format!(
                    "--expiration {duration}: the certificates API requires at least 600 seconds (10m)"
                )));
            }
            Some(secs)
        }
        None => None,
    };
    if let Some(name) = &opts.name {
        csrapi::check_object_name(name)?;
    }
    Ok(Some(ApiSettings { signer, usages_given, expiration }))
}

impl ApiSettings {
    /// Checks the signer's rules on the CSR just built and, with --manifest, prints it.
    fn check_and_print(&self, block: &Block, sink: &mut Sink, opts: &Options) -> Result<()> {
        let csr = crate::csr::Csr::from_der(&block.der, "CSR")?;
        let usages = if self.usages_given {
            requested_usages(&csr)
        } else {
            self.signer.default_usages(csr.public_key.is_rsa())
        };
        if let Err(why) = self.signer.validate(&csr, &usages) {
            return Err(Error::refused_as(
                crate::error::Refusal::Policy,
                format!("the {} signer would refuse this CSR: {why}", self.signer),
            ));
        }
        if opts.manifest {
            let name =
                opts.name.clone().unwrap_or_else(|| csrapi::object_name(csr.request.subject.cn().unwrap_or("csr")));
            let object = csrapi::manifest(&name, &block.text, &self.signer, &usages, self.expiration);
            sink.emit_text(&csrapi::render(&object, opts.manifest_json)?)?;
        }
        Ok(())
    }
}

/// What to do when stdin brought no private key.
fn no_key_hint(opts: &Options) -> &'static str {
    match (opts.from_cert.is_some(), opts.key.is_some()) {
        (true, true) => {
            "no fresh private key on stdin: pipe one (k8s-genkey | k8s-csr --from-cert ...), or add --reuse-key to keep the old key --key names"
        }
        (true, false) => {
            "no private key found: pipe a fresh key (k8s-genkey | k8s-csr --from-cert ...), or keep the old one with --key OLD_KEY --reuse-key"
        }
        _ => "no private key found: pipe k8s-genkey into k8s-csr, or use --key FILE",
    }
}
