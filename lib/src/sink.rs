//! Where output goes: stdout (PEM, or one cfssl-style JSON item per line) and/or files named by
//! `--out PREFIX` and the per-kind flags, committed together through [`crate::atomic`].
//!
//! The one rule for secrets on a terminal lives here: a private key (or a document that embeds
//! one) is never printed to a terminal without `--force`, whatever flag or file name led there.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::atomic::{Existing, FileWrite, user_force, write_files};
use crate::error::{Error, Result};
use crate::json_item::JsonItem;
use crate::pem::{Block, Kind};

/// Output format on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Concatenated PEM blocks.
    #[default]
    Pem,
    /// One cfssl-style JSON object per line.
    Json,
}

/// Files to write the stream into instead of stdout.
#[derive(Clone, Debug, Default)]
pub struct FileTargets {
    /// `PREFIX.key`, `PREFIX.csr`, `PREFIX.crt`, `PREFIX.pub`.
    pub prefix: Option<PathBuf>,
    /// cfssljson's naming (`cfssljson -bare NAME`): `NAME.pem`, `NAME-key.pem`, `NAME.csr`, and
    /// `NAME.pub` for a public key.
    pub bare: Option<PathBuf>,
    /// Explicit key file.
    pub key: Option<PathBuf>,
    /// Explicit CSR file.
    pub csr: Option<PathBuf>,
    /// Explicit certificate file.
    pub cert: Option<PathBuf>,
    /// Explicit public key file.
    pub public_key: Option<PathBuf>,
}

impl FileTargets {
    /// Whether any file target is set.
    pub fn any(&self) -> bool {
        self.prefix.is_some()
            || self.bare.is_some()
            || self.key.is_some()
            || self.csr.is_some()
            || self.cert.is_some()
            || self.public_key.is_some()
    }

    /// Whether the file for `kind` was named by its own flag (`--key-out FILE`), not made
    /// from `--out PREFIX`.
    pub fn is_explicit(&self, kind: Kind) -> bool {
        self.explicit(kind).is_some()
    }

    /// The file named by `kind`'s own flag.
    fn explicit(&self, kind: Kind) -> Option<&PathBuf> {
        match kind {
            Kind::Key => self.key.as_ref(),
            Kind::Csr => self.csr.as_ref(),
            Kind::Cert => self.cert.as_ref(),
            Kind::PublicKey => self.public_key.as_ref(),
            Kind::Other => None,
        }
    }

    /// The file a block of `kind` goes to, if any.
    pub fn path_for(&self, kind: Kind) -> Option<PathBuf> {
        if let Some(p) = self.explicit(kind) {
            return Some(p.clone());
        }
        // Each kind's suffix after --out PREFIX (kubeadm's names) and after --bare NAME (cfssljson's).
        let (prefix_suffix, bare_suffix) = match kind {
            Kind::Key => (".key", "-key.pem"),
            Kind::Csr => (".csr", ".csr"),
            Kind::Cert => (".crt", ".pem"),
            Kind::PublicKey => (".pub", ".pub"),
            Kind::Other => return None,
        };
        match (&self.bare, &self.prefix) {
            (Some(name), _) => Some(with_suffix(name, bare_suffix)),
            (None, prefix) => prefix.as_ref().map(|p| with_suffix(p, prefix_suffix)),
        }
    }
}

/// `path` with `suffix` appended to its file name (`pki/etcd/ca` + `.crt`, `admin.conf` + `.csr`):
/// how a PREFIX names its files.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Output options shared by every tool.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    /// Format on stdout.
    pub format: Format,
    /// Files instead of stdout.
    pub files: FileTargets,
    /// Overwrite existing files; allow a private key on a terminal.
    pub force: bool,
    /// The flags that write a key to a file instead, named when a key is refused on a
    /// terminal (default: `--out PREFIX or --key-out FILE`).
    pub key_file_flags: Option<&'static str>,
}

/// Where blocks go: stdout (PEM or JSON) and/or files.
pub struct Sink {
    options: OutputOptions,
    stdout: Option<io::BufWriter<io::StdoutLock<'static>>>,
    stdout_is_tty: bool,
    json: JsonItem,
    pending_files: Vec<(PathBuf, Kind, Zeroizing<String>)>,
}

impl Sink {
    /// A sink with these options.
    pub fn new(options: OutputOptions) -> Sink {
        let stdout = io::stdout();
        let stdout_is_tty = stdout.is_terminal();
        Sink { options, stdout: None, stdout_is_tty, json: JsonItem::default(), pending_files: Vec::new() }
    }

    fn stdout(&mut self) -> &mut io::BufWriter<io::StdoutLock<'static>> {
        self.stdout.get_or_insert_with(|| io::BufWriter::with_capacity(64 * 1024, io::stdout().lock()))
    }

    /// Emits one block.
    pub fn emit(&mut self, block: Block) -> Result<()> {
        let kind = block.kind();
        if let Some(path) = self.options.files.path_for(kind) {
            if self.pending_files.iter().any(|(p, _, _)| *p == path) {
                return Err(Error::usage(format!(
                    "{} would be written twice: the stream holds more than one {}; write one item per file",
                    path.display(),
                    kind.json_field()
                )));
            }
            self.pending_files.push((path, kind, block.text));
            return Ok(());
        }
        if self.options.files.prefix.is_some() {
            // With --out, blocks that have no file of their own are dropped from stdout too.
            return Ok(());
        }
        if kind == Kind::Key {
            let instead = self.options.key_file_flags.unwrap_or("--out PREFIX or --key-out FILE");
            refuse_key_on_terminal(self.stdout_is_tty, self.options.force, "a private key", instead)?;
        }
        match self.options.format {
            Format::Pem => write_stdout(self.stdout(), block.text.as_bytes()),
            Format::Json => {
                let full = match self.json.slot(kind) {
                    Some(slot) => slot.is_some(),
                    None => false,
                };
                if full {
                    self.flush_json()?;
                }
                match self.json.slot(kind) {
                    Some(slot) => *slot = Some(block.text.to_string()),
                    None => self.json.other.push(block.text.to_string()),
                }
                Ok(())
            }
        }
    }

    /// Ends the current JSON item (a tool calls this after each logical item).
    pub fn flush_json(&mut self) -> Result<()> {
        if self.options.format != Format::Json || self.json.is_empty() {
            return Ok(());
        }
        let item = std::mem::take(&mut self.json);
        let mut line = Zeroizing::new(serde_json::to_string(&item).map_err(|_| Error::internal("cannot encode JSON"))?);
        line.push('\n');
        let bytes = line.as_bytes().to_vec();
        let bytes = Zeroizing::new(bytes);
        write_stdout(self.stdout(), &bytes)
    }

    /// Writes raw text to stdout (for tools whose output is not PEM, e.g. YAML).
    pub fn emit_text(&mut self, text: &str) -> Result<()> {
        write_stdout(self.stdout(), text.as_bytes())
    }

    /// Commits the files, then flushes stdout: a file refused (one in the way without
    /// `--force`) or not written fails the run before what is still buffered for stdout is
    /// printed, so a pipe never acts on output whose files were not written. Returns the files
    /// written.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.flush_json()?;
        let files: Vec<FileWrite> = self
            .pending_files
            .drain(..)
            .map(|(path, kind, text)| {
                FileWrite::new(path, kind.file_mode(), Zeroizing::new(text.as_bytes().to_vec()))
                    .named_by_user(self.options.files.is_explicit(kind))
            })
            .collect();
        let paths = files.iter().map(|f| f.path.clone()).collect();
        write_files(&files, user_force(self.options.force))?;
        if let Some(mut out) = self.stdout.take() {
            flush_stdout(&mut out)?;
        }
        Ok(paths)
    }
}

impl Drop for Sink {
    /// A sink dropped without `finish` is on an error path: what is still buffered for
    /// stdout is discarded, so a failed run prints nothing (beyond what already streamed).
    fn drop(&mut self) {
        if let Some(out) = self.stdout.take() {
            let (_, buffered) = out.into_parts();
            drop(buffered);
        }
    }
}

fn stdout_error(e: &io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe { Error::BrokenPipe } else { Error::io(Path::new("stdout"), e) }
}

fn write_stdout(out: &mut impl Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).map_err(|e| stdout_error(&e))
}

fn flush_stdout(out: &mut impl Write) -> Result<()> {
    out.flush().map_err(|e| stdout_error(&e))
}

/// The one rule for secrets on a terminal: refuse unless `force`. `what` names the secret,
/// `instead` the flags that write it to a file.
fn refuse_key_on_terminal(on_terminal: bool, force: bool, what: &str, instead: &str) -> Result<()> {
    if on_terminal && !force {
        return Err(Error::refused_as(
            crate::error::Refusal::Terminal,
            format!("refusing to print {what} to a terminal; use {instead}, pipe the output, or pass --force"),
        ));
    }
    Ok(())
}

/// Writes a whole document (a kubeconfig, YAML) to `out`, or to stdout when `out` is `None` or
/// `-`. A file is written atomically with `mode`, an existing one as `existing` says; a document
/// that `holds_key` follows the terminal rule on stdout (printed there only when `existing` is
/// not `Refuse`, which is what `--force` gives).
pub fn write_document(
    out: Option<&Path>,
    text: &Zeroizing<String>,
    mode: u32,
    holds_key: bool,
    existing: Existing,
) -> Result<Vec<PathBuf>> {
    match out {
        Some(path) if !crate::input::is_dash(path) => {
            let file =
                FileWrite::new(path.to_path_buf(), mode, Zeroizing::new(text.as_bytes().to_vec())).named_by_user(true);
            write_files(std::slice::from_ref(&file), existing)?;
            Ok(vec![path.to_path_buf()])
        }
        _ => {
            if holds_key {
                refuse_key_on_terminal(
                    io::stdout().is_terminal(),
                    existing != Existing::Refuse,
                    "a document with an embedded private key",
                    "--out FILE",
                )?;
            }
            print(text)?;
            Ok(Vec::new())
        }
    }
}

/// Prints human-readable text (reports, tables) to stdout with anything from input made safe
/// for a terminal ([`crate::term::sanitize_text`]); data (PEM, JSON, YAML) goes through [`print`].
pub fn print_text(text: &str) -> Result<()> {
    print(&crate::term::sanitize_text(text))
}

/// Prints text to stdout (reports, tables, YAML); a closed pipe is a quiet stop.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    write_stdout(&mut out, text.as_bytes())?;
    flush_stdout(&mut out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_targets_use_kubeadm_extensions() {
        let t = FileTargets { prefix: Some("pki/etcd/ca".into()), cert: Some("ca.pem".into()), ..Default::default() };
        assert_eq!(t.path_for(Kind::Key), Some(PathBuf::from("pki/etcd/ca.key")));
        assert_eq!(t.path_for(Kind::Cert), Some(PathBuf::from("ca.pem")));
        assert_eq!(t.path_for(Kind::Other), None);
    }

    #[test]
    fn keys_are_refused_on_a_terminal_unless_forced() {
        let err = refuse_key_on_terminal(true, false, "a private key", "--out PREFIX").expect_err("refused");
        assert_eq!(err.exit_code(), 4);
        assert!(err.to_string().contains("--out PREFIX"), "{err}");
        assert!(refuse_key_on_terminal(true, true, "a private key", "--out PREFIX").is_ok());
        assert!(refuse_key_on_terminal(false, false, "a private key", "--out PREFIX").is_ok());
    }

    #[test]
    fn documents_go_to_files_with_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.conf");
        let text = Zeroizing::new("apiVersion: v1\n".to_string());
        let written = write_document(Some(&path), &text, 0o600, true, Existing::Refuse).expect("written");
        assert_eq!(written, vec![path.clone()]);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(
            write_document(Some(&path), &text, 0o600, true, Existing::Refuse).expect_err("exists").exit_code(),
            5
        );
    }
}
