//! `k8s-genkey`: new private keys (or an existing key re-encoded, or its public half).

use std::path::{Path, PathBuf};

use crate::cmd::note::{Note, Warn};
use crate::error::{Error, Result};
use crate::key::{Algorithm, KeyFormat, PrivateKey};
use crate::pem::{Block, Kind, PUBLIC_KEY};
use crate::sink::{OutputOptions, Sink};

/// What `k8s-genkey` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Key algorithm and size.
    pub algorithm: Algorithm,
    /// How the private key is written.
    pub key_format: KeyFormat,
    /// Also emit the public key (`PUBLIC KEY`), e.g. for `sa.pub`.
    pub public: bool,
    /// Read this key instead of generating one.
    pub input: Option<PathBuf>,
    /// How many keys to generate.
    pub count: usize,
    /// Threads for generating many keys.
    pub jobs: usize,
    /// Where output goes.
    pub output: OutputOptions,
    /// Print what was done and the openssl equivalent.
    pub explain: bool,
}

/// How many keys a run makes: at least one, and only one when it reads a key or writes files
/// (the command line checks this before it reads any file).
pub fn check_count(count: usize, reads_key: bool, writes_files: bool) -> Result<()> {
    if count == 0 {
        return Err(Error::usage("--count must be at least 1"));
    }
    if count > 1 && writes_files {
        return Err(Error::usage("--count > 1 writes to stdout only; --out names one key"));
    }
    if count > 1 && reads_key {
        return Err(Error::usage("--count and --in do not go together"));
    }
    Ok(())
}

/// Generates (or reads) keys and writes them out. Returns the files written.
pub fn run(opts: &Options, note: Warn<'_>) -> Result<Vec<PathBuf>> {
    check_count(opts.count, opts.input.is_some(), opts.output.files.any())?;
    let mut sink = Sink::new(opts.output.clone());
    if let Some(path) = &opts.input {
        let key = PrivateKey::read_file(path)?;
        if opts.public {
            sink.emit(Block::new(PUBLIC_KEY, key.public_key().spki_der()))?;
        } else {
            emit_key(&mut sink, &key, opts.key_format)?;
        }
        return sink.finish();
    }
    let keys = generate_many(opts.algorithm, opts.count, opts.jobs)?;
    if opts.explain {
        let key_file =
            opts.output.files.path_for(Kind::Key).map(|p| p.display().to_string()).unwrap_or_else(|| "key.pem".into());
        let pub_file = opts.public.then(|| {
            opts.output
                .files
                .path_for(Kind::PublicKey)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "key.pub".into())
        });
        for line in crate::explain::genkey(opts.algorithm, opts.key_format, &key_file, pub_file.as_deref()) {
            note(Note::Explain(&line));
        }
    }
    for key in keys {
        emit_key(&mut sink, &key, opts.key_format)?;
        if opts.public {
            sink.emit(Block::new(PUBLIC_KEY, key.public_key().spki_der()))?;
        }
        sink.flush_json()?;
    }
    sink.finish()
}

/// `--like FILE`: the algorithm and size of the key in FILE — a certificate, a CSR, a public or
/// a private key — so that a renewed certificate keeps its kind of key (an ECDSA cluster stays
/// ECDSA).
pub fn algorithm_like(path: &Path) -> Result<Algorithm> {
    let source = path.display().to_string();
    let blocks = crate::input::read_blocks(path)?;
    let block = blocks.first().ok_or_else(|| Error::input(&source, "no PEM block to take a key algorithm from"))?;
    let public = match block.kind() {
        Kind::Cert => crate::cert::Cert::from_der(&block.der, &source)?.public_key,
        Kind::Csr => crate::csr::Csr::from_der(&block.der, &source)?.public_key,
        Kind::PublicKey => crate::pubkey::PublicKey::from_spki_der(&block.der, &source)?,
        Kind::Key => return Ok(PrivateKey::from_pem_block(&block.label, &block.der, &source)?.algorithm()),
        Kind::Other => return Err(Error::input(&source, "expected a certificate, a CSR or a key")),
    };
    let bits = public.bits().and_then(|b| u32::try_from(b).ok()).ok_or_else(|| {
        Error::input(&source, format!("a {} key: not one k8s-genkey makes (RSA or ECDSA)", public.describe()))
    })?;
    Algorithm::from_family(if public.is_rsa() { "rsa" } else { "ecdsa" }, Some(bits))
}

fn emit_key(sink: &mut Sink, key: &PrivateKey, format: KeyFormat) -> Result<()> {
    let (label, der) = key.to_der(format)?;
    sink.emit(Block::new(label, &der))
}

/// Generates `count` keys on up to `jobs` threads (RSA generation is the slow part of a PKI).
pub fn generate_many(algorithm: Algorithm, count: usize, jobs: usize) -> Result<Vec<PrivateKey>> {
    let jobs = jobs.clamp(1, count.max(1));
    if jobs == 1 {
        return (0..count).map(|_| PrivateKey::generate(algorithm)).collect();
    }
    let per = count.div_ceil(jobs);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|j| {
                let n = per.min(count.saturating_sub(j * per));
                scope.spawn(move || (0..n).map(|_| PrivateKey::generate(algorithm)).collect::<Result<Vec<_>>>())
            })
            .collect();
        let mut keys = Vec::with_capacity(count);
        for h in handles {
            let part = h.join().map_err(|_| Error::internal("a key generation thread failed"))??;
            keys.extend(part);
        }
        Ok(keys)
    })
}
