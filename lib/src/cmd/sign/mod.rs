//! `k8s-sign`: turns every CSR in the stream into a certificate, in order, passing every
//! other block (the private key above all) through.

mod controller;
mod options;

pub use options::Options;

use std::path::PathBuf;

use crate::cert::Cert;
use crate::cmd::note::{Note, Warn};
use crate::csr::Csr;
use crate::error::{Error, Result};
use crate::issue::{Ca, IssueOptions, Issued, self_sign};
use crate::key::PrivateKey;
use crate::profile;
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
    let default_days = if make_ca || (opts.self_sign && usages.is_none()) { 3650 } else { 365 };
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
    let mut issue_opts = issue_options(opts, now)?;
    let signer = match (opts.self_sign, &opts.ca_cert, &opts.ca_key) {
        (true, None, None) => {
            Signer::SelfSign { file_key: opts.key.as_deref().map(PrivateKey::read_file).transpose()? }
        }
        (true, _, _) => return Err(Error::usage("--self-sign does not take --ca-cert/--ca-key")),
        (false, Some(cert_path), Some(key_path)) => {
            if opts.key.is_some() {
                return Err(Error::usage("--key goes with --self-sign; the CA key is --ca-key"));
            }
            let ca = Ca::from_files(cert_path, key_path, now)?;
            // kubeadm 1.28-1.30 start a leaf when its CA started (pki_helpers.go NewSignedCert).
            if opts.release.is_some_and(|r| r.leaf_not_before == crate::release::NotBefore::CaNotBefore) {
                issue_opts.not_before = issue_opts.not_before.or(Some(ca.cert.not_before));
            }
            Signer::Ca(Box::new(ca))
        }
        (false, None, None) => {
            return Err(Error::usage(
                "name the CA with --ca-cert FILE --ca-key FILE (or --ca PREFIX), or pass --self-sign",
            ));
        }
        (false, _, _) => return Err(Error::usage("--ca-cert and --ca-key go together")),
    };

    if let Some(signer_name) = &opts.signer {
        let Signer::Ca(ca) = &signer else {
            return Err(Error::usage("--signer signs with a CA: give --ca or --ca-cert/--ca-key"));
        };
        return controller::sign(opts, signer_name, ca, &issue_opts, warn);
    }
    if opts.beside && opts.files.is_empty() {
        return Err(Error::usage("--beside writes next to CSR files: name them as arguments"));
    }
    if opts.beside && opts.output.files.any() {
        return Err(Error::usage("--beside and --out/--cert-out do not go together"));
    }
    let inputs: Vec<Input> = if opts.files.is_empty() {
        vec![Input::open(opts.input.as_deref(), "a CSR (pipe k8s-csr, or use --in FILE)")?]
    } else {
        if opts.input.is_some() {
            return Err(Error::usage("give CSR files as arguments or --in FILE, not both"));
        }
        opts.files.iter().map(|f| Input::open(Some(f), "a CSR")).collect::<Result<_>>()?
    };
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
            let mut chunk = Vec::new();
            let (mut csrs, mut bytes) = (0, 0);
            while csrs < CHUNK && bytes < CHUNK_BYTES {
                match stream.next_block()? {
                    Some(b) => {
                        csrs += usize::from(b.kind() == Kind::Csr);
                        bytes += b.text.len();
                        chunk.push(b);
                    }
                    None => break,
                }
            }
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
                        let (ignored, Issued { der, warnings }) = match (ready, &signer) {
                            (Some(ready), _) => ready?,
                            (None, Signer::SelfSign { file_key }) => {
                                let key = file_key.as_ref().or(last_key.as_ref()).ok_or_else(|| {
                                    Error::input(
                                        &source,
                                        "--self-sign needs the CSR's private key before it in the stream (or --key FILE)",
                                    )
                                })?;
                                sign_csr(&block, &issue_opts, auto, &source, |csr, o| self_sign(csr, key, o))?
                            }
                            (None, Signer::Ca(_)) => {
                                return Err(Error::internal("a CSR was not prepared before signing"));
                            }
                        };
                        if !ignored.is_empty() {
                            warn(Note::Warning(&format!("{source}: not copied from the CSR: {}", ignored.join(", "))));
                        }
                        for w in warnings {
                            warn(Note::Warning(&format!("{source}: {w}")));
                        }
                        if opts.explain {
                            explain_issued(opts, &der, &source, index, now, warn)?;
                        }
                        in_this_file += 1;
                        signed += 1;
                        if opts.beside {
                            if in_this_file > 1 {
                                return Err(Error::input(&source, "--beside takes one CSR per file"));
                            }
                            let path = opts
                                .files
                                .get(index)
                                .ok_or_else(|| Error::internal("--beside: no file for this input"))?
                                .with_extension("crt");
                            let contents = Zeroizing::new(Block::new(CERTIFICATE, &der).text.as_bytes().to_vec());
                            beside.push(FileWrite::new(path, 0o644, contents));
                            continue;
                        }
                        if opts.keep_csr {
                            sink.emit(block)?;
                        }
                        sink.emit(Block::new(CERTIFICATE, &der))?;
                        sink.flush_json()?;
                    }
                    Kind::Key => {
                        if opts.self_sign && opts.key.is_none() {
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
    // Every certificate is made before any file is written: a batch is all or nothing.
    let mut written = sink.finish()?;
    crate::atomic::write_files(&beside, crate::atomic::user_force(opts.output.force))?;
    written.extend(beside.into_iter().map(|f| f.path));
    Ok(written)
}

/// CSRs signed per chunk (bounded memory; enough to keep every core busy).
const CHUNK: usize = 256;

/// Bytes read per chunk at most: blocks that pass through (keys, certificates) go out as they
/// come instead of waiting for a chunk of CSRs, so memory stays flat whatever the stream holds.
const CHUNK_BYTES: usize = 1 << 20;

/// A CSR's certificate and the requested extensions that were not copied (or the error).
type Outcome = Result<(Vec<String>, Issued)>;

/// A block with, for a CSR, its outcome.
type Prepared = (Block, Option<Outcome>);

/// Verifies and signs the CSRs of a chunk in parallel; the other blocks ride along in order.
fn prepare(chunk: Vec<Block>, ca: &Ca, base: &IssueOptions, auto: bool, source: &str) -> Vec<Prepared> {
    let one = |block: &Block| -> Outcome { sign_csr(block, base, auto, source, |csr, o| ca.issue(csr, o)) };
    let csr_count = chunk.iter().filter(|b| b.kind() == Kind::Csr).count();
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(csr_count.max(1));
    let mut results: Vec<Option<Outcome>> = Vec::with_capacity(chunk.len());
    if workers <= 1 {
        results.extend(chunk.iter().map(|b| (b.kind() == Kind::Csr).then(|| one(b))));
    } else {
        let per = chunk.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .chunks(per)
                .map(|part| {
                    scope
                        .spawn(move || part.iter().map(|b| (b.kind() == Kind::Csr).then(|| one(b))).collect::<Vec<_>>())
                })
                .collect();
            for h in handles {
                match h.join() {
                    Ok(part) => results.extend(part),
                    Err(_) => results.push(Some(Err(Error::internal("a signing thread failed")))),
                }
            }
        });
    }
    chunk.into_iter().zip(results).collect()
}

/// Reads and verifies one CSR block, applies `--profile auto` if asked, and signs it.
fn sign_csr(
    block: &Block,
    base: &IssueOptions,
    auto: bool,
    source: &str,
    sign: impl FnOnce(&Csr, &IssueOptions) -> Result<Issued>,
) -> Outcome {
    let csr = Csr::from_der(&block.der, source)?;
    let this_opts = if auto { auto_options(&csr, base, source)? } else { base.clone() };
    Ok((csr.ignored.clone(), sign(&csr, &this_opts)?))
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
    let (ca_crt, ca_key, self_key) = (shown(&opts.ca_cert, ""), shown(&opts.ca_key, ""), shown(&opts.key, "key.pem"));
    let signed_with = if opts.self_sign {
        crate::explain::SignedWith::SelfSigned { key: &self_key }
    } else {
        crate::explain::SignedWith::Ca { cert: &ca_crt, key: &ca_key }
    };
    for line in crate::explain::issued(&cert, &signed_with, &csr_file, &crt_file, now) {
        warn(Note::Explain(&line));
    }
    Ok(())
}

/// `--profile auto`: kubeadm's usages for the CSR's identity (external-CA CSRs request none).
fn auto_options(csr: &Csr, base: &IssueOptions, source: &str) -> Result<IssueOptions> {
    let req = &csr.request;
    let cn = req.subject.cn().unwrap_or("");
    let p = profile::for_identity(cn, &req.subject.orgs(), &req.sans).ok_or_else(|| {
        Error::refused_as(
            crate::error::Refusal::Policy,
            format!(
                "{source}: --profile auto: '{}' is none of kubeadm's identities; choose --profile NAME or --usage",
                req.subject
            ),
        )
    })?;
    Ok(IssueOptions { usages: Some(p.usages.to_vec()), make_ca: false, ..base.clone() })
}
