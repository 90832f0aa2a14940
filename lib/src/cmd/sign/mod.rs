//! `k8s-sign`: turns every CSR in the stream into a certificate, in order, passing every
//! other block (the private key above all) through.

mod controller;
mod options;

pub use options::{Options, SignWith};

use std::path::PathBuf;

use crate::cert::Cert;
use crate::cmd::note::{Note, Warn};
use crate::error::{Error, Result};
use crate::issue::batch::{Outcome, prepare, read_chunk, sign_csr};
use crate::issue::{Ca, IssueOptions, Issued, self_sign};
use crate::key::PrivateKey;
use crate::kubeadm::profile;
use crate::kubeadm::release::{CA_DAYS, LEAF_DAYS};
use zeroize::Zeroizing;

use crate::atomic::FileWrite;
use crate::input::Input;
use crate::pem::{Block, CERTIFICATE, Kind};
use crate::sink::Sink;
use crate::validity;

enum Signer {
    Ca(Box<Ca>),
    SelfSign { file_key: Option<PrivateKey> },
}

/// The signer's decisions from the flags.
pub fn issue_options(opts: &Options, now: i64) -> Result<IssueOptions> {
    let profile = opts.profile.and_then(profile::Choice::named);
    let cfssl = opts.cfssl.as_ref();
    let initca = opts.initca.as_ref();
    let make_ca = profile.is_some_and(|p| p.is_ca) || cfssl.is_some_and(|c| c.is_ca) || initca.is_some();
    let usages = if !opts.usages.is_empty() {
        let mut u = opts.usages.clone();
        u.sort();
        u.dedup();
        Some(u)
    } else {
        profile.map(|p| p.usages.to_vec()).or_else(|| cfssl.map(|c| c.usages.clone()))
    };
    let self_sign = matches!(opts.with, Some(SignWith::SelfSign { .. }));
    let default_days = if make_ca || (self_sign && usages.is_none()) { CA_DAYS } else { LEAF_DAYS };
    // The cfssl file's expiry unless --days or --duration says otherwise.
    let cfssl_expiry = cfssl.map(|c| &c.expiry).or(initca.map(|i| &i.expiry));
    let duration = opts.duration.as_ref().or(cfssl_expiry.filter(|_| opts.days.is_none()));
    Ok(IssueOptions {
        lifetime: validity::lifetime(opts.days, duration, default_days, now)?,
        not_before: opts.not_before.map(|t| t.as_second()),
        not_after: opts.not_after.map(|t| t.as_second()),
        usages,
        make_ca,
        path_len: cfssl.and_then(|c| c.path_len).or(initca.and_then(|i| i.path_len)),
        allow_ca: opts.allow_ca,
        leaf_only: false,
        clamp: opts.clamp,
        now,
    })
}

/// Signs every CSR on the input. Returns the files written.
pub fn run(opts: &Options, warn: Warn<'_>) -> Result<Vec<PathBuf>> {
    let now = validity::now();
    warn_cfssl(opts, warn);
    let mut issue_opts = issue_options(opts, now)?;
    let signer = choose_signer(opts, now, &mut issue_opts)?;
    if let Some(signer_name) = &opts.signer {
        let Signer::Ca(ca) = &signer else {
            return Err(Error::usage("--signer signs with a CA: give --ca or --ca-cert/--ca-key"));
        };
        return controller::sign(opts, signer_name, ca, &issue_opts, warn);
    }
    let inputs = open_inputs(opts)?;
    let auto = matches!(opts.profile, Some(profile::Choice::Auto));
    let mut sink = Sink::new(opts.output.clone());
    let mut beside = Vec::new();
    let mut last_key: Option<PrivateKey> = None;
    let mut signed = 0usize;
    let mut source = String::from("stdin");
    for (index, input) in inputs.into_iter().enumerate() {
        source = input.name.clone();
        let mut in_this_file = 0;
        let mut stream = input.blocks()?;
        loop {
            // Read a chunk, sign its CSRs on every core, then emit in order: batch signing is
            // bound by the signatures, and memory stays bounded by the chunk.
            let chunk = read_chunk(&mut stream)?;
            if chunk.is_empty() {
                break;
            }
            let prepared = match &signer {
                Signer::Ca(ca) => prepare(chunk, ca, &issue_opts, auto, &source),
                Signer::SelfSign { .. } => chunk.into_iter().map(|block| (block, None)).collect(),
            };
            for (block, ready) in prepared {
                match block.kind() {
                    Kind::Csr => {
                        let ctx = Context { opts, signer: &signer, issue_opts: &issue_opts, auto, now };
                        let der = certificate(&ctx, &block, ready, last_key.as_ref(), (&source, index), warn)?;
                        in_this_file += 1;
                        signed += 1;
                        if opts.beside {
                            if in_this_file > 1 {
                                return Err(Error::input(&source, "--beside takes one CSR per file"));
                            }
                            beside.push(beside_file(opts, index, &der)?);
                            continue;
                        }
                        if opts.keep_csr {
                            sink.emit(block)?;
                        }
                        sink.emit(Block::new(CERTIFICATE, &der))?;
                        sink.flush_json()?;
                    }
                    Kind::Key => {
                        if matches!(opts.with, Some(SignWith::SelfSign { key: None })) {
                            last_key = Some(PrivateKey::from_pem_block(&block.label, &block.der, &source)?);
                        }
                        // A new key starts a new item; flush what the previous one had.
                        sink.flush_json()?;
                        sink.emit(block)?;
                    }
                    _ => sink.emit(block)?,
                }
            }
        }
    }
    if signed == 0 {
        return Err(Error::input(source, "no CERTIFICATE REQUEST found: pipe k8s-csr into k8s-sign"));
    }
    // Every certificate is made before any file is written: a batch is all or nothing. The
    // certificates beside their CSRs are written before what passed through reaches stdout, so a
    // file in the way fails the run with nothing printed.
    crate::atomic::write_files(&beside, crate::atomic::user_force(opts.output.force))?;
    let mut written = sink.finish()?;
    written.extend(beside.into_iter().map(|f| f.path));
    Ok(written)
}

/// `--beside`: the certificate of the `index`th CSR file, as FILE.crt next to it.
fn beside_file(opts: &Options, index: usize, der: &[u8]) -> Result<FileWrite> {
    let path =
        opts.files.get(index).ok_or_else(|| Error::internal("--beside: no file for this input"))?.with_extension("crt");
    Ok(FileWrite::new(path, 0o644, Zeroizing::new(Block::new(CERTIFICATE, der).text.as_bytes().to_vec())))
}

/// What every CSR of a run is signed with.
struct Context<'a> {
    opts: &'a Options,
    signer: &'a Signer,
    issue_opts: &'a IssueOptions,
    auto: bool,
    now: i64,
}

/// One CSR's certificate (DER): the one prepared in parallel, or self-signed with the key
/// before it in the stream; what was not copied and the signer's cautions said, `--explain`
/// printed. `at` is the input's name and index.
fn certificate(
    ctx: &Context<'_>,
    block: &Block,
    ready: Option<Outcome>,
    last_key: Option<&PrivateKey>,
    at: (&str, usize),
    warn: Warn<'_>,
) -> Result<Vec<u8>> {
    let (source, index) = at;
    let (ignored, Issued { der, warnings }) = match (ready, ctx.signer) {
        (Some(ready), _) => ready?,
        (None, Signer::SelfSign { file_key }) => {
            let key = file_key.as_ref().or(last_key).ok_or_else(|| {
                Error::input(source, "--self-sign needs the CSR's private key before it in the stream (or --key FILE)")
            })?;
            sign_csr(block, ctx.issue_opts, ctx.auto, source, |csr, o| self_sign(csr, key, o))?
        }
        (None, Signer::Ca(_)) => return Err(Error::internal("a CSR was not prepared before signing")),
    };
    if !ignored.is_empty() {
        warn(Note::Warning(&format!("{source}: not copied from the CSR: {}", ignored.join(", "))));
    }
    for w in warnings {
        warn(Note::Warning(&format!("{source}: {w}")));
    }
    if ctx.opts.explain {
        explain_issued(ctx.opts, &der, source, index, ctx.now, warn)?;
    }
    Ok(der)
}

/// The CA (or the CSR's own key) the flags name; a kubeadm release's NotBefore rule applied.
fn choose_signer(opts: &Options, now: i64, issue_opts: &mut IssueOptions) -> Result<Signer> {
    Ok(match &opts.with {
        Some(SignWith::SelfSign { key }) => {
            Signer::SelfSign { file_key: key.as_deref().map(PrivateKey::read_file).transpose()? }
        }
        Some(SignWith::Ca { cert, key }) => {
            let ca = Ca::from_files(cert, key, now)?;
            // kubeadm 1.28-1.30 start a leaf when its CA started (pki_helpers.go NewSignedCert).
            if let Some(r) = opts.release {
                issue_opts.start_as(r.leaf_not_before, ca.cert.not_before);
            }
            Signer::Ca(Box::new(ca))
        }
        None => {
            return Err(Error::usage(
                "name the CA with --ca-cert FILE --ca-key FILE (or --ca PREFIX), or pass --self-sign",
            ));
        }
    })
}

/// What a cfssl signing profile asks that k8s-sign does not apply.
fn warn_cfssl(opts: &Options, warn: Warn<'_>) {
    if let Some(c) = &opts.cfssl {
        for field in &c.ignored {
            warn(Note::Warning(&format!("cfssl config: {field} is not applied by k8s-sign")));
        }
        if !c.other_key_usages.is_empty() {
            warn(Note::Warning(&format!(
                "cfssl profile {}: key usages are kubeadm's (digital signature, key encipherment{}), not {}",
                crate::term::sanitize(&c.name),
                if c.is_ca { ", cert sign" } else { "" },
                crate::term::sanitize(&c.other_key_usages.join(", "))
            )));
        }
    }
}

/// The CSR inputs: stdin or `--in`, or the files named (each beside its certificate with
/// `--beside`).
fn open_inputs(opts: &Options) -> Result<Vec<Input>> {
    if opts.beside && opts.files.is_empty() {
        return Err(Error::usage("--beside writes next to CSR files: name them as arguments"));
    }
    if opts.beside && opts.output.files.any() {
        return Err(Error::usage("--beside and --out/--cert-out do not go together"));
    }
    Ok(if opts.files.is_empty() {
        vec![Input::open(opts.input.as_deref(), "a CSR (pipe k8s-csr, or use --in FILE)")?]
    } else {
        if opts.input.is_some() {
            return Err(Error::usage("give CSR files as arguments or --in FILE, not both"));
        }
        opts.files.iter().map(|f| Input::open(Some(f), "a CSR")).collect::<Result<_>>()?
    })
}

/// `--explain` for one issued certificate: what was checked and decided, and the openssl command.
fn explain_issued(opts: &Options, der: &[u8], source: &str, index: usize, now: i64, warn: Warn<'_>) -> Result<()> {
    let cert = Cert::from_der(der, source)?;
    let shown = |p: &Option<PathBuf>, default: &str| {
        p.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| default.into())
    };
    let csr_file =
        if opts.files.is_empty() && opts.input.is_none() { "req.csr".to_string() } else { source.to_string() };
    let crt_file = if opts.beside {
        let file = opts.files.get(index).ok_or_else(|| Error::internal("--beside: no file for this input"))?;
        file.with_extension("crt").display().to_string()
    } else {
        shown(&opts.output.files.path_for(Kind::Cert), "cert.crt")
    };
    let (ca_crt, ca_key, self_key) = match &opts.with {
        Some(SignWith::Ca { cert, key }) => (cert.display().to_string(), key.display().to_string(), String::new()),
        Some(SignWith::SelfSign { key }) => (String::new(), String::new(), shown(key, "key.pem")),
        None => Default::default(),
    };
    let signed_with = if matches!(opts.with, Some(SignWith::SelfSign { .. })) {
        crate::explain::SignedWith::SelfSigned { key: &self_key }
    } else {
        crate::explain::SignedWith::Ca { cert: &ca_crt, key: &ca_key }
    };
    for line in crate::explain::issued(&cert, &signed_with, &csr_file, &crt_file, now) {
        warn(Note::Explain(&line));
    }
    Ok(())
}
