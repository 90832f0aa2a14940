//! The PEM/JSON stream every tool reads and writes.
//!
//! Input is a sequence of PEM blocks (or cfssl-style JSON objects with `key`, `csr`, `cert`
//! fields) read incrementally from stdin or a file, with bounded memory per block. Each
//! tool acts on the blocks it is for and passes the others through. Output goes to stdout
//! (PEM or JSON) or into files, written atomically (temp file in the same directory,
//! fsync, rename) with keys at 0600 whatever the umask.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::key::PRIVATE_KEY_LABELS;

/// Longest line we accept; PEM lines are 64 characters, kubeconfig lines can be long.
const MAX_LINE: u64 = 4 * 1024 * 1024;
/// Largest PEM block we accept (a certificate is ~1-2 KiB, an RSA-4096 key ~3 KiB).
const MAX_BLOCK: usize = 1024 * 1024;
/// Largest JSON or YAML document we accept.
pub const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;

/// PEM label of certificates.
pub const CERTIFICATE: &str = "CERTIFICATE";
/// PEM label of certificate signing requests.
pub const CSR: &str = "CERTIFICATE REQUEST";
/// PEM label of public keys.
pub const PUBLIC_KEY: &str = "PUBLIC KEY";

/// What a PEM block holds, as far as the stream is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A private key, in any format we read.
    Key,
    /// A certificate signing request (`CERTIFICATE REQUEST`, or the old `NEW CERTIFICATE REQUEST`).
    Csr,
    /// A certificate.
    Cert,
    /// A public key.
    PublicKey,
    /// Anything else: passed through untouched.
    Other,
}

impl Kind {
    /// The kind of a PEM label.
    pub fn of(label: &str) -> Kind {
        match label {
            l if PRIVATE_KEY_LABELS.contains(&l) => Kind::Key,
            "ENCRYPTED PRIVATE KEY" => Kind::Key,
            CSR | "NEW CERTIFICATE REQUEST" => Kind::Csr,
            CERTIFICATE => Kind::Cert,
            PUBLIC_KEY => Kind::PublicKey,
            _ => Kind::Other,
        }
    }

    /// The cfssl JSON field of this kind.
    fn json_field(self) -> &'static str {
        match self {
            Kind::Key => "key",
            Kind::Csr => "csr",
            Kind::Cert => "cert",
            Kind::PublicKey => "public_key",
            Kind::Other => "other",
        }
    }
}

/// One PEM block: its label, decoded body and the exact text it was read from.
#[derive(Clone)]
pub struct Block {
    /// The label between `BEGIN ` and `-----`.
    pub label: String,
    /// The decoded DER body (zeroized on drop: it may be a key).
    pub der: Zeroizing<Vec<u8>>,
    /// The PEM text, ending in a newline; passed through byte for byte.
    pub text: Zeroizing<String>,
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Block({}, {} bytes)", self.label, self.der.len())
    }
}

impl Block {
    /// A block made from a label and DER body, encoded as canonical PEM.
    pub fn new(label: &str, der: &[u8]) -> Block {
        Block {
            label: label.to_string(),
            der: Zeroizing::new(der.to_vec()),
            text: Zeroizing::new(encode_pem(label, der)),
        }
    }

    /// A block from PEM text we produced ourselves (e.g. a key's `to_pem`).
    pub fn from_text(text: &str, source: &str) -> Result<Block> {
        let mut reader = PemReader::new(text.as_bytes(), source);
        reader.next_block()?.ok_or_else(|| Error::input(source, "no PEM data"))
    }

    /// What this block holds.
    pub fn kind(&self) -> Kind {
        Kind::of(&self.label)
    }
}

/// Canonical PEM: 64-character base64 lines, LF line endings.
pub fn encode_pem(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der), config)
}

/// Where input comes from.
pub struct Input {
    /// "stdin" or the file name, for messages.
    pub name: String,
    reader: Box<dyn BufRead>,
}

impl Input {
    /// Opens `path`, or stdin when it is `None` or `-`. `expected` says what should be there,
    /// for the message when stdin is a terminal (we refuse to wait on a terminal).
    pub fn open(path: Option<&Path>, expected: &str) -> Result<Input> {
        match path {
            Some(p) if p != Path::new("-") => {
                let file = File::open(p).map_err(|e| Error::io(p, &e))?;
                if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                    return Err(Error::io_msg(p, "is a directory"));
                }
                Ok(Input { name: p.display().to_string(), reader: Box::new(BufReader::with_capacity(64 * 1024, file)) })
            }
            _ => {
                let stdin = io::stdin();
                if stdin.is_terminal() {
                    return Err(Error::usage(format!(
                        "expected {expected} on stdin, but stdin is a terminal; pipe it in or name a file"
                    )));
                }
                Ok(Input { name: "stdin".into(), reader: Box::new(BufReader::with_capacity(64 * 1024, stdin)) })
            }
        }
    }

    /// Input from memory (tests, and documents already read).
    pub fn from_bytes(name: &str, bytes: Vec<u8>) -> Input {
        Input { name: name.to_string(), reader: Box::new(io::Cursor::new(bytes)) }
    }

    /// Reads the whole input (bounded by [`MAX_DOCUMENT`]).
    pub fn read_all(mut self) -> Result<(String, Vec<u8>)> {
        let mut buf = Vec::new();
        (&mut self.reader)
            .take(MAX_DOCUMENT + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(Path::new(&self.name), &e))?;
        if buf.len() as u64 > MAX_DOCUMENT {
            return Err(Error::input(&self.name, "input larger than 64 MiB"));
        }
        Ok((self.name, buf))
    }

    /// Reads the input as a stream of blocks: PEM, or JSON objects if it starts with `{`.
    pub fn blocks(mut self) -> Result<BlockStream> {
        let first = loop {
            let buf = self.reader.fill_buf().map_err(|e| Error::io(Path::new(&self.name), &e))?;
            match buf.first() {
                None => break None,
                Some(b) if b.is_ascii_whitespace() => self.reader.consume(1),
                Some(b) => break Some(*b),
            }
        };
        match first {
            None => Err(Error::input(&self.name, "empty input: expected PEM data")),
            Some(b'{') => {
                let name = self.name.clone();
                let (_, bytes) = self.read_all()?;
                Ok(BlockStream::Json(JsonBlocks::parse(&bytes, &name)?.into_iter()))
            }
            Some(0x30) => {
                let name = self.name.clone();
                Err(Error::input(
                    name,
                    "input is DER (binary), not PEM; convert with: openssl x509 -inform der -in FILE (or openssl req/pkey -inform der)",
                ))
            }
            Some(_) => Ok(BlockStream::Pem(PemReader::new(self.reader, &self.name))),
        }
    }
}

/// Blocks read from an input, one at a time.
pub enum BlockStream {
    /// Incremental PEM reader.
    Pem(PemReader<Box<dyn BufRead>>),
    /// Blocks taken from JSON objects.
    Json(std::vec::IntoIter<Block>),
}

impl BlockStream {
    /// The next block, or `None` at the end.
    pub fn next_block(&mut self) -> Result<Option<Block>> {
        match self {
            BlockStream::Pem(r) => r.next_block(),
            BlockStream::Json(it) => Ok(it.next()),
        }
    }

    /// Whether the input was JSON.
    pub fn is_json(&self) -> bool {
        matches!(self, BlockStream::Json(_))
    }
}

impl Iterator for BlockStream {
    type Item = Result<Block>;
    fn next(&mut self) -> Option<Result<Block>> {
        self.next_block().transpose()
    }
}

/// Reads PEM blocks one at a time from a buffered reader.
pub struct PemReader<R> {
    reader: R,
    source: String,
    blocks_seen: usize,
    line: Vec<u8>,
}

impl<R: BufRead> PemReader<R> {
    /// A reader over `reader`, named `source` in messages.
    pub fn new(reader: R, source: &str) -> Self {
        PemReader { reader, source: source.to_string(), blocks_seen: 0, line: Vec::new() }
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::input(&self.source, message)
    }

    /// Reads one line into `self.line` (without the line ending). Returns false at EOF.
    fn read_line(&mut self) -> Result<bool> {
        self.line.clear();
        let n = (&mut self.reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| Error::io(Path::new(&self.source), &e))?;
        if n == 0 {
            return Ok(false);
        }
        if n as u64 > MAX_LINE {
            return Err(self.err("line longer than 4 MiB: this is not PEM"));
        }
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        Ok(true)
    }

    fn line_str(&self) -> Result<&str> {
        std::str::from_utf8(&self.line).map_err(|_| {
            self.err(if self.blocks_seen == 0 {
                "binary data, not PEM (if it is DER, convert with openssl ... -inform der)"
            } else {
                "binary data after the PEM blocks"
            })
        })
    }

    /// The next block, or `None` at the end of input. An input without any block is an error.
    pub fn next_block(&mut self) -> Result<Option<Block>> {
        let label = loop {
            if !self.read_line()? {
                if self.blocks_seen == 0 {
                    return Err(self.err("no PEM data found (expected -----BEGIN ...-----)"));
                }
                return Ok(None);
            }
            let line = self.line_str()?.trim();
            if let Some(rest) = line.strip_prefix("-----BEGIN ") {
                let label = rest
                    .strip_suffix("-----")
                    .ok_or_else(|| self.err(format!("malformed PEM header line '{}'", sanitize(line))))?;
                break label.to_string();
            }
            // Text outside blocks (openssl's -text output, comments) is ignored, as openssl does.
        };
        let mut text = Zeroizing::new(format!("-----BEGIN {label}-----\n"));
        let end = format!("-----END {label}-----");
        loop {
            if !self.read_line()? {
                return Err(self.err(format!("truncated PEM: the {label} block has no END line")));
            }
            let line = self.line_str()?.trim();
            if line.starts_with("-----END ") {
                if line != end {
                    return Err(self.err(format!("PEM block BEGIN {label} ends with '{}'", sanitize(line))));
                }
                text.push_str(line);
                text.push('\n');
                break;
            }
            if line.starts_with("-----BEGIN ") {
                return Err(self.err(format!("truncated PEM: the {label} block has no END line")));
            }
            if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                return Err(crate::key::encrypted_key_error(&self.source));
            }
            if text.len() + line.len() > MAX_BLOCK {
                return Err(self.err(format!("the {label} block is larger than 1 MiB")));
            }
            text.push_str(line);
            text.push('\n');
        }
        let parsed =
            pem::parse(text.as_bytes()).map_err(|_| self.err(format!("the {label} block is not valid base64")))?;
        if parsed.contents().is_empty() {
            return Err(self.err(format!("the {label} block is empty")));
        }
        self.blocks_seen += 1;
        let der = Zeroizing::new(parsed.into_contents());
        Ok(Some(Block { label, der, text }))
    }
}

/// The first block of `kind` in PEM text (a kubeconfig's embedded data, a CSR object's request).
pub fn first_block_of(text: &str, kind: Kind, source: &str) -> Result<Option<Block>> {
    let mut reader = PemReader::new(text.as_bytes(), source);
    while let Some(block) = reader.next_block()? {
        if block.kind() == kind {
            return Ok(Some(block));
        }
    }
    Ok(None)
}

/// Makes text from a certificate or input safe to print on one line of a terminal.
pub fn sanitize(s: &str) -> String {
    let mut out: String = s.chars().take(80).map(|c| if c.is_control() { '?' } else { c }).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// Replaces control characters (escape sequences from a hostile certificate) before text
/// reaches a terminal.
pub fn sanitize_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// One cfssl-style JSON item: the PEM of a key, CSR and certificate that belong together.
#[derive(Default, Serialize, Deserialize)]
pub struct JsonItem {
    /// Private key PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key: Option<String>,
    /// CSR PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub csr: Option<String>,
    /// Certificate PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cert: Option<String>,
    /// Public key PEM.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub public_key: Option<String>,
    /// Any other PEM blocks, in order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub other: Vec<String>,
}

impl Drop for JsonItem {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Some(k) = self.key.as_mut() {
            k.zeroize();
        }
    }
}

impl JsonItem {
    fn is_empty(&self) -> bool {
        self.key.is_none()
            && self.csr.is_none()
            && self.cert.is_none()
            && self.public_key.is_none()
            && self.other.is_empty()
    }

    fn slot(&mut self, kind: Kind) -> Option<&mut Option<String>> {
        match kind {
            Kind::Key => Some(&mut self.key),
            Kind::Csr => Some(&mut self.csr),
            Kind::Cert => Some(&mut self.cert),
            Kind::PublicKey => Some(&mut self.public_key),
            Kind::Other => None,
        }
    }
}

struct JsonBlocks;

impl JsonBlocks {
    fn parse(bytes: &[u8], source: &str) -> Result<Vec<Block>> {
        let mut blocks = Vec::new();
        let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<JsonItem>();
        for item in stream {
            let item = item
                .map_err(|e| Error::input(source, format!("invalid JSON item{}", crate::kubeconfig::json_where(&e))))?;
            let fields = [&item.key, &item.csr, &item.cert, &item.public_key];
            for pem_text in fields.into_iter().flatten().chain(item.other.iter()) {
                let mut reader = PemReader::new(pem_text.as_bytes(), source);
                while let Some(block) = reader.next_block()? {
                    blocks.push(block);
                }
            }
        }
        if blocks.is_empty() {
            return Err(Error::input(source, "JSON input holds no key, csr or cert"));
        }
        Ok(blocks)
    }
}

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
            || self.key.is_some()
            || self.csr.is_some()
            || self.cert.is_some()
            || self.public_key.is_some()
    }

    /// The file a block of `kind` goes to, if any.
    pub fn path_for(&self, kind: Kind) -> Option<PathBuf> {
        let explicit = match kind {
            Kind::Key => &self.key,
            Kind::Csr => &self.csr,
            Kind::Cert => &self.cert,
            Kind::PublicKey => &self.public_key,
            Kind::Other => &None,
        };
        if let Some(p) = explicit {
            return Some(p.clone());
        }
        let ext = match kind {
            Kind::Key => "key",
            Kind::Csr => "csr",
            Kind::Cert => "crt",
            Kind::PublicKey => "pub",
            Kind::Other => return None,
        };
        self.prefix.as_ref().map(|p| {
            let mut s = p.as_os_str().to_owned();
            s.push(".");
            s.push(ext);
            PathBuf::from(s)
        })
    }
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
        if kind == Kind::Key && self.stdout_is_tty && !self.options.force {
            return Err(Error::refused(
                "refusing to print a private key to a terminal; use --out PREFIX or --key-out FILE, pipe the output, or pass --force",
            ));
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
        let mut line = Zeroizing::new(serde_json::to_string(&item).map_err(|_| Error::refused("cannot encode JSON"))?);
        line.push('\n');
        let bytes = line.as_bytes().to_vec();
        let bytes = Zeroizing::new(bytes);
        write_stdout(self.stdout(), &bytes)
    }

    /// Writes raw text to stdout (for tools whose output is not PEM, e.g. YAML).
    pub fn emit_text(&mut self, text: &str) -> Result<()> {
        write_stdout(self.stdout(), text.as_bytes())
    }

    /// Flushes stdout and commits the files. Returns the files written.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.flush_json()?;
        if let Some(mut out) = self.stdout.take() {
            flush_stdout(&mut out)?;
        }
        let files: Vec<FileWrite> = self
            .pending_files
            .drain(..)
            .map(|(path, kind, text)| FileWrite {
                mode: if kind == Kind::Key { 0o600 } else { 0o644 },
                path,
                contents: Zeroizing::new(text.as_bytes().to_vec()),
            })
            .collect();
        let paths = files.iter().map(|f| f.path.clone()).collect();
        write_files_atomic(&files, self.options.force)?;
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

/// One file to write.
pub struct FileWrite {
    /// Destination.
    pub path: PathBuf,
    /// Permission bits, applied whatever the umask.
    pub mode: u32,
    /// Contents (zeroized on drop).
    pub contents: Zeroizing<Vec<u8>>,
}

/// Writes all files or none. Each file is first written completely as an unnamed inode in its
/// directory (O_TMPFILE; a named temp file where the file system lacks it), created 0600, set to
/// its mode whatever the umask, and fsynced; only when every file is complete do they get their
/// names. Without `force` an existing file is an error and nothing is written (a hard link never
/// replaces a name); with `force` the old file stays intact until the rename.
///
/// A destination that is not a regular file — `/dev/null`, `/dev/stdout`, a FIFO — is written
/// in place: it is never renamed over (that would replace the device with a file).
pub fn write_files_atomic(files: &[FileWrite], force: bool) -> Result<()> {
    let (special, files): (Vec<&FileWrite>, Vec<&FileWrite>) = files.iter().partition(|f| is_special(&f.path));
    if !force {
        for f in &files {
            if f.path.symlink_metadata().is_ok() {
                return Err(Error::io_msg(&f.path, "file exists (use --force to overwrite)"));
            }
        }
    }
    let mut temps: Vec<Temp> = Vec::new();
    for f in &files {
        temps.push(write_temp(f)?);
    }
    let mut committed: Vec<&Path> = Vec::new();
    for (f, temp) in files.iter().zip(temps) {
        if let Err(e) = commit(temp, &f.path, force) {
            if !force {
                for p in &committed {
                    let _ = fs::remove_file(p);
                }
            }
            return Err(e);
        }
        committed.push(&f.path);
    }
    for f in special {
        let mut out = OpenOptions::new().write(true).open(&f.path).map_err(|e| Error::io(&f.path, &e))?;
        out.write_all(&f.contents).and_then(|()| out.flush()).map_err(|e| Error::io(&f.path, &e))?;
    }
    Ok(())
}

/// Whether `path` names something other than a regular file or directory (a device, a FIFO,
/// a socket), following symlinks such as /dev/stdout.
fn is_special(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A complete file waiting for its name.
enum Temp {
    /// An unnamed inode (O_TMPFILE), gone if we die before naming it.
    Anonymous(File),
    /// A hidden temp file, removed on drop unless renamed.
    Named(PathBuf),
}

impl Drop for Temp {
    fn drop(&mut self) {
        if let Temp::Named(p) = self {
            let _ = fs::remove_file(p);
        }
    }
}

fn temp_name(dir: &Path, dest: &Path) -> Result<PathBuf> {
    let name = dest.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|_| Error::io_msg(dest, "no randomness for a temp file"))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    Ok(dir.join(format!(".{name}.{suffix}.tmp")))
}

fn fill(mut file: &File, f: &FileWrite) -> io::Result<()> {
    file.set_permissions(fs::Permissions::from_mode(f.mode))?;
    file.write_all(&f.contents)?;
    file.sync_all()
}

fn write_temp(f: &FileWrite) -> Result<Temp> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    let dir = parent_dir(&f.path);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    if let Ok(fd) = openat(CWD, &dir, flags, Mode::from_raw_mode(0o600)) {
        let file = File::from(fd);
        fill(&file, f).map_err(|e| Error::io(&f.path, &e))?;
        return Ok(Temp::Anonymous(file));
    }
    let path = temp_name(&dir, &f.path)?;
    let file =
        OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(|e| Error::io(&f.path, &e))?;
    // Owned from here: a name we did not create is never removed.
    let temp = Temp::Named(path);
    // On error `temp` is dropped and removes the partial file; the message names the destination.
    fill(&file, f).map_err(|e| Error::io(&f.path, &e))?;
    Ok(temp)
}

fn link_anonymous(file: &File, dest: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(rustix::fs::CWD, proc_path.as_str(), rustix::fs::CWD, dest, rustix::fs::AtFlags::SYMLINK_FOLLOW)
        .map_err(io::Error::from)
}

fn commit(temp: Temp, dest: &Path, force: bool) -> Result<()> {
    match (&temp, force) {
        (Temp::Anonymous(file), false) => {
            link_anonymous(file, dest).map_err(|e| Error::io(dest, &e))?;
        }
        (Temp::Anonymous(file), true) => {
            // linkat cannot replace a name: give the complete file a temp name, then rename.
            let named = temp_name(&parent_dir(dest), dest)?;
            link_anonymous(file, &named).map_err(|e| Error::io(dest, &e))?;
            let named = Temp::Named(named);
            commit(named, dest, true)?;
        }
        (Temp::Named(path), true) => {
            fs::rename(path, dest).map_err(|e| Error::io(dest, &e))?;
        }
        (Temp::Named(path), false) => match fs::hard_link(path, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(Error::io(dest, &e)),
            Err(_) => {
                if dest.symlink_metadata().is_ok() {
                    return Err(Error::io_msg(dest, "file exists (use --force to overwrite)"));
                }
                fs::rename(path, dest).map_err(|e| Error::io(dest, &e))?;
            }
        },
    }
    drop(temp);
    if let Ok(dir) = File::open(parent_dir(dest)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Prints text to stdout (reports, tables, YAML); a closed pipe is a quiet stop.
pub fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    write_stdout(&mut out, text.as_bytes())?;
    flush_stdout(&mut out)
}

/// Reads a whole file named by a flag (bounded by [`MAX_DOCUMENT`]).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    Input::open(Some(path), "a file").and_then(|i| i.read_all()).map(|(_, b)| b)
}

/// Reads the blocks of a file named by a flag.
pub fn read_blocks(path: &Path) -> Result<Vec<Block>> {
    let input = Input::open(Some(path), "PEM")?;
    input.blocks()?.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str) -> Result<Vec<Block>> {
        Input::from_bytes("stdin", text.as_bytes().to_vec()).blocks()?.collect()
    }

    const CERTISH: &str = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";

    #[test]
    fn reads_blocks_and_ignores_text_between() {
        let text = format!("some text\n{CERTISH}\n\nmore\n{}", CERTISH.replace("CERTIFICATE", "FOO"));
        let got = blocks(&text).expect("parses");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].label, "CERTIFICATE");
        assert_eq!(&got[0].der[..], &[0, 1, 2]);
        assert_eq!(got[1].kind(), Kind::Other);
        assert_eq!(got[0].text.as_str(), CERTISH);
    }

    #[test]
    fn crlf_input_is_read() {
        let got = blocks(&CERTISH.replace('\n', "\r\n")).expect("parses");
        assert_eq!(got[0].text.as_str(), CERTISH);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let cases = [
            ("", "empty input"),
            ("hello\n", "no PEM data"),
            ("-----BEGIN CERTIFICATE-----\nAAEC\n", "truncated"),
            ("-----BEGIN CERTIFICATE-----\nAA!!\n-----END CERTIFICATE-----\n", "base64"),
            ("-----BEGIN CERTIFICATE-----\nAAEC\n-----END CSR-----\n", "ends with"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END RSA PRIVATE KEY-----\n",
                "encrypted",
            ),
            ("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "empty"),
        ];
        for (input, want) in cases {
            let err = blocks(input).expect_err(input);
            assert!(err.to_string().contains(want), "{input:?}: {err}");
            assert_eq!(err.exit_code(), 3, "{input:?}");
        }
    }

    #[test]
    fn der_and_binary_are_named() {
        let err = Input::from_bytes("stdin", vec![0x30, 0x82, 0x01, 0x00]).blocks().err().expect("error");
        assert!(err.to_string().contains("DER"));
        let err = Input::from_bytes("stdin", vec![0xff, 0xfe, 0x00, b'\n'])
            .blocks()
            .and_then(|b| b.collect::<Result<Vec<_>>>())
            .expect_err("error");
        assert!(err.to_string().contains("binary"));
    }

    #[test]
    fn json_items_expand_to_blocks() {
        let json =
            serde_json::json!({"cert": CERTISH, "key": CERTISH.replace("CERTIFICATE", "EC PRIVATE KEY")}).to_string();
        let got = blocks(&json).expect("parses");
        assert_eq!(got.iter().map(|b| b.kind()).collect::<Vec<_>>(), vec![Kind::Key, Kind::Cert]);
        assert!(blocks("{\"cert\": 1}").is_err());
    }

    #[test]
    fn prefix_targets_use_kubeadm_extensions() {
        let t = FileTargets { prefix: Some("pki/etcd/ca".into()), cert: Some("ca.pem".into()), ..Default::default() };
        assert_eq!(t.path_for(Kind::Key), Some(PathBuf::from("pki/etcd/ca.key")));
        assert_eq!(t.path_for(Kind::Cert), Some(PathBuf::from("ca.pem")));
        assert_eq!(t.path_for(Kind::Other), None);
    }

    #[test]
    fn devices_are_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let files = vec![FileWrite { path: "/dev/null".into(), mode: 0o600, contents: Zeroizing::new(b"k".to_vec()) }];
        write_files_atomic(&files, true).expect("write to /dev/null");
        write_files_atomic(&files, false).expect("no --force needed for a device");
        assert!(fs::metadata("/dev/null").expect("meta").file_type().is_char_device(), "/dev/null is still a device");
    }

    #[test]
    fn atomic_writes_refuse_to_clobber_and_set_modes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("sub/a.key");
        let crt = dir.path().join("sub/a.crt");
        let files = vec![
            FileWrite { path: key.clone(), mode: 0o600, contents: Zeroizing::new(b"k".to_vec()) },
            FileWrite { path: crt.clone(), mode: 0o644, contents: Zeroizing::new(b"c".to_vec()) },
        ];
        write_files_atomic(&files, false).expect("first write");
        assert_eq!(fs::metadata(&key).expect("key").permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(&crt).expect("crt").permissions().mode() & 0o777, 0o644);
        let err = write_files_atomic(&files, false).expect_err("exists");
        assert_eq!(err.exit_code(), 5);
        write_files_atomic(&files, true).expect("forced");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .expect("dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
