//! `k8s-kubeconfig`: a client certificate + key + CA → a kubeconfig kubectl accepts, after
//! checking they belong together; or the reverse, a kubeconfig → its PEM credentials.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::input::Input;
use crate::kubeconfig::Kubeconfig;
use crate::pem::PemReader;
use crate::sink::Sink;

mod build;
mod external_ca;
mod inputs;
mod options;
mod renew;

pub use options::{Mode, Options};

/// Builds (or merges) the kubeconfig, or extracts credentials. Returns the files written.
pub fn run(opts: &Options, now: i64, note: crate::cmd::note::Warn<'_>) -> Result<Vec<PathBuf>> {
    if opts.release.is_some() && opts.endpoints.is_none() && !matches!(opts.mode, Mode::Renew(_)) {
        return Err(Error::usage(
            "--kubernetes-version goes with --advertise-address (kubeadm's servers) or --renew (where NotBefore starts)",
        ));
    }
    match &opts.mode {
        Mode::Extract => extract(opts),
        Mode::Renew(path) => renew::renew(opts, path, now, note),
        Mode::Complete(path) => external_ca::complete(opts, path, now),
        Mode::Partial => external_ca::partial(opts),
        Mode::Build => build::build(opts, now, note),
    }
}

fn extract(opts: &Options) -> Result<Vec<PathBuf>> {
    let input = Input::open(opts.input.as_deref(), "a kubeconfig")?;
    let (name, bytes) = input.read_all()?;
    let kc = Kubeconfig::from_slice(&bytes, &name)?;
    let base = crate::input::named(opts.input.as_deref()).map(|p| p.parent().unwrap_or(Path::new(".")));
    let creds = kc.credentials(opts.context.as_deref(), &name, base)?;
    if let Some(out) = crate::input::named(opts.out.as_deref()) {
        // One 0600 file holding the key, the client certificate and the CA, nothing on stdout.
        if opts.extract_output.format != crate::sink::Format::Pem {
            return Err(Error::usage("--extract --out writes PEM; --format json goes to stdout"));
        }
        let mut text = Zeroizing::new(String::new());
        for part in [&creds.key, &creds.cert, &creds.ca].into_iter().flatten() {
            let mut reader = PemReader::new(part.as_bytes(), &name);
            while let Some(block) = reader.next_block()? {
                text.push_str(&block.text);
            }
        }
        return crate::sink::write_document(Some(out), &text, 0o600, true, crate::atomic::user_force(opts.force));
    }
    let mut sink = Sink::new(opts.extract_output.clone());
    for text in [&creds.key, &creds.cert, &creds.ca].into_iter().flatten() {
        let mut reader = PemReader::new(text.as_bytes(), &name);
        while let Some(block) = reader.next_block()? {
            sink.emit(block)?;
        }
    }
    sink.finish()
}
