//! Signing a stream of CSRs in batches: a chunk read at a time (bounded memory), its CSRs
//! verified and signed on every core, every block kept in order; `--profile auto` gives each
//! CSR kubeadm's usages for its identity.

use super::{Ca, IssueOptions, Issued};
use crate::csr::Csr;
use crate::error::{Error, Result};
use crate::input::BlockStream;
use crate::kubeadm::profile;
use crate::pem::{Block, Kind};

/// CSRs signed per chunk (bounded memory; enough to keep every core busy).
pub const CHUNK: usize = 256;

/// Bytes read per chunk at most: blocks that pass through (keys, certificates) go out as they
/// come instead of waiting for a chunk of CSRs, so memory stays flat whatever the stream holds.
pub const CHUNK_BYTES: usize = 1 << 20;

/// A CSR's certificate and the requested extensions that were not copied (or the error).
pub type Outcome = Result<(Vec<String>, Issued)>;

/// A block with, for a CSR, its outcome.
pub type Prepared = (Block, Option<Outcome>);

/// Verifies and signs the CSRs of a chunk in parallel; the other blocks ride along in order.
pub fn prepare(chunk: Vec<Block>, ca: &Ca, base: &IssueOptions, auto: bool, source: &str) -> Vec<Prepared> {
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
pub fn sign_csr(
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

/// The next chunk of `stream`: up to [`CHUNK`] CSRs or [`CHUNK_BYTES`] bytes; empty at the end.
pub fn read_chunk(stream: &mut BlockStream) -> Result<Vec<Block>> {
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
    Ok(chunk)
}
