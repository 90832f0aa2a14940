//! `k8s-csr`: a CSR for each private key in the stream (or for `--key FILE`), with the
//! subject, SANs and usages given by hand or by a kubeadm profile.

use std::path::PathBuf;

use crate::cmd::{Warn, read_one_key};
use crate::csr;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::name::Subject;
use crate::profile::{self, Params, Request, Usage};
use crate::san::San;
use crate::stream::{Block, CSR, Input, Kind, OutputOptions, Sink};

/// What `k8s-csr` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A kubeadm profile to start from.
    pub profile: Option<String>,
    /// Cluster parameters for the profile.
    pub params: Params,
    /// openssl-style subject, replacing the profile's.
    pub subj: Option<String>,
    /// CN, replacing the profile's.
    pub cn: Option<String>,
    /// O values, replacing the profile's when any are given.
    pub orgs: Vec<String>,
    /// SANs, added to the profile's.
    pub sans: Vec<String>,
    /// Usages, replacing the profile's when any are given.
    pub usages: Vec<Usage>,
    /// Ask to be a CA.
    pub ca: bool,
    /// Key file; when set, stdin is not read and only the CSR is written.
    pub key: Option<PathBuf>,
    /// Input stream file (default stdin).
    pub input: Option<PathBuf>,
    /// Where output goes.
    pub output: OutputOptions,
}

/// Builds the request the flags describe.
pub fn request(opts: &Options) -> Result<Request> {
    let mut req = match &opts.profile {
        Some(name) => profile::find(name)?.request(&opts.params)?,
        None => Request::default(),
    };
    if let Some(subj) = &opts.subj {
        req.subject = Subject::parse_openssl(subj)?;
    }
    if let Some(cn) = &opts.cn {
        if cn.is_empty() {
            return Err(Error::usage("--cn must not be empty"));
        }
        req.subject.set_cn(cn);
    }
    if !opts.orgs.is_empty() {
        if opts.orgs.iter().any(String::is_empty) {
            return Err(Error::usage("--org must not be empty"));
        }
        req.subject.set_orgs(&opts.orgs);
    }
    let sans = opts.sans.iter().map(|s| San::parse(s)).collect::<Result<Vec<_>>>()?;
    req.add_sans(sans);
    if !opts.usages.is_empty() {
        let mut usages = opts.usages.clone();
        usages.sort();
        usages.dedup();
        req.usages = usages;
    }
    if opts.ca {
        req.is_ca = true;
    }
    if req.subject.is_empty() && req.sans.is_empty() {
        return Err(Error::usage("say who the CSR is for: --cn NAME, --subj /CN=..., or --profile NAME"));
    }
    Ok(req)
}

/// Reads keys, writes key + CSR for each. Returns the files written.
pub fn run(opts: &Options, warn: Warn<'_>) -> Result<Vec<PathBuf>> {
    let req = request(opts)?;
    let mut sink = Sink::new(opts.output.clone());
    if let Some(path) = &opts.key {
        let key = read_one_key(path)?;
        sink.emit(csr_block(&req, &key)?)?;
        return sink.finish();
    }
    let input = Input::open(opts.input.as_deref(), "a private key (pipe k8s-genkey, or use --key FILE)")?;
    let source = input.name.clone();
    let mut keys = 0usize;
    for block in input.blocks()? {
        let block = block?;
        if block.kind() != Kind::Key {
            if block.kind() == Kind::Csr {
                warn("passing an existing CSR through unchanged");
            }
            sink.emit(block)?;
            continue;
        }
        let key = PrivateKey::from_pem_block(&block.label, &block.der, &source)?;
        keys += 1;
        sink.emit(block)?;
        sink.emit(csr_block(&req, &key)?)?;
        sink.flush_json()?;
    }
    if keys == 0 {
        return Err(Error::input(source, "no private key found: pipe k8s-genkey into k8s-csr, or use --key FILE"));
    }
    sink.finish()
}

fn csr_block(req: &Request, key: &PrivateKey) -> Result<Block> {
    Ok(Block::new(CSR, &csr::build(req, key)?))
}
