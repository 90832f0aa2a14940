//! Where input comes from: stdin (no file, or `-`), or a file named by an argument or flag,
//! read with bounded memory; as a stream of PEM blocks (or cfssl-style JSON items), or as a
//! whole document. Also the places of parse errors in JSON and YAML, reported without
//! quoting the input (which may hold a key).

use std::fs::File;
use std::io::{self, BufRead, BufReader, IsTerminal, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::json_item::JsonItem;
use crate::pem::{Block, PemReader};

/// Largest JSON or YAML document we accept.
pub const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;

/// The one reading of `-`: a file named on the command line, or `None` for stdin (no name, or
/// `-`). Every flag and argument that takes a file goes through here.
pub fn named(path: Option<&Path>) -> Option<&Path> {
    path.filter(|p| *p != Path::new("-"))
}

/// Whether `path` is `-` (stdin or stdout).
pub fn is_dash(path: &Path) -> bool {
    path == Path::new("-")
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
        match named(path) {
            Some(p) => {
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

    /// The reader, for a caller with its own bounds.
    pub fn into_reader(self) -> Box<dyn BufRead> {
        self.reader
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
            None => Err(Error::EmptyInput { source: self.name.clone() }),
            Some(b'{') => {
                let name = self.name.clone();
                let (_, bytes) = self.read_all()?;
                Ok(BlockStream::Json(json_blocks(&bytes, &name)?.into_iter()))
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
}

impl Iterator for BlockStream {
    type Item = Result<Block>;
    fn next(&mut self) -> Option<Result<Block>> {
        self.next_block().transpose()
    }
}

/// The PEM blocks of every JSON item in `bytes`, in order.
fn json_blocks(bytes: &[u8], source: &str) -> Result<Vec<Block>> {
    let mut blocks = Vec::new();
    let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<JsonItem>();
    for item in stream {
        let item = item.map_err(|e| Error::input(source, format!("invalid JSON item{}", json_where(&e))))?;
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

/// Reads a whole file named by a flag (bounded by [`MAX_DOCUMENT`]).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    Input::open(Some(path), "a file").and_then(|i| i.read_all()).map(|(_, b)| b)
}

/// Reads a file that a document or a tree refers to (a kubeconfig's `client-key: PATH`, a file
/// in a copied tree), bounded by [`MAX_DOCUMENT`]. Only a regular file is read: it is opened
/// without blocking and checked, so a FIFO, device or socket planted there is refused at once
/// instead of being waited on.
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|e| Error::io(path, &io::Error::from(e)))?;
    let file = File::from(fd);
    let meta = file.metadata().map_err(|e| Error::io(path, &e))?;
    if !meta.is_file() {
        return Err(Error::io_msg(
            path,
            format!("{}, not a regular file: not read", crate::beneath::kind_of(&meta.file_type())),
        ));
    }
    Input { name: path.display().to_string(), reader: Box::new(BufReader::new(file)) }.read_all().map(|(_, b)| b)
}

/// Whether the file at `path`, inside the tree at `root`, is there to be read: `Ok(false)` when
/// nothing is there; `Ok(true)` for a regular file (through links that stay inside the tree);
/// otherwise what is there instead, in words: a FIFO or device, a directory, a link out of the
/// tree (not followed), a broken link, a link loop.
pub fn tree_file(root: &Path, path: &Path) -> std::result::Result<bool, String> {
    let here = match path.symlink_metadata() {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(crate::error::describe_io(&e)),
    };
    let meta = if here.file_type().is_symlink() {
        let to = std::fs::read_link(path).map(|t| crate::term::sanitize(&t.display().to_string())).unwrap_or_default();
        let real = match path.canonicalize() {
            Ok(r) => r,
            Err(e) if e.raw_os_error() == Some(40) => return Err(format!("is a symbolic link loop (to {to})")),
            Err(_) => return Err(format!("is a broken symbolic link (to {to})")),
        };
        let inside = root.canonicalize().is_ok_and(|r| real.starts_with(r));
        if !inside {
            return Err(format!("is a symbolic link out of the tree (to {to}): not followed"));
        }
        std::fs::metadata(&real).map_err(|e| crate::error::describe_io(&e))?
    } else {
        here
    };
    if meta.is_file() {
        Ok(true)
    } else {
        Err(format!("{}, not a regular file: not read", crate::beneath::kind_of(&meta.file_type())))
    }
}

/// The PEM blocks of a file of a tree, read beneath it ([`crate::beneath::Beneath::read`]); `None`
/// when nothing is there. Errors name the file as the user sees it.
pub fn tree_blocks(tree: &crate::beneath::Beneath, rel: &str) -> Result<Option<Vec<Block>>> {
    let Some(bytes) = tree.read(rel)? else { return Ok(None) };
    let name = tree.path(rel).display().to_string();
    if bytes.starts_with(crate::pem::BOM) {
        // A file of a tree is read by Kubernetes components, whose pem.Decode finds a block only
        // at the start of the data or after a newline.
        return Err(Error::input(
            &name,
            "starts with a UTF-8 byte order mark: Go's pem.Decode, which Kubernetes components read it with, finds no PEM block in it; remove its first three bytes",
        ));
    }
    Input::from_bytes(&name, bytes.to_vec()).blocks()?.collect::<Result<Vec<_>>>().map(Some)
}

/// Reads the blocks of a file named by a flag.
pub fn read_blocks(path: &Path) -> Result<Vec<Block>> {
    let input = Input::open(Some(path), "PEM")?;
    input.blocks()?.collect()
}

/// ` (YAML error at line L, column C)` — a parse error's place without its text, which may quote
/// key material.
pub fn yaml_where(e: &serde_norway::Error) -> String {
    match e.location() {
        Some(l) => format!(" (YAML error at line {}, column {})", l.line(), l.column()),
        None => " (not the expected YAML structure)".into(),
    }
}

/// ` (JSON syntax error at line L, column C)`, likewise.
pub fn json_where(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected structure",
        serde_json::error::Category::Eof => "unexpected end",
    };
    format!(" (JSON {what} at line {}, column {})", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pem::Kind;

    fn blocks(text: &str) -> Result<Vec<Block>> {
        Input::from_bytes("stdin", text.as_bytes().to_vec()).blocks()?.collect()
    }

    const CERTISH: &str = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";

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
    fn error_places_name_line_and_column_not_text() {
        let e = serde_json::from_str::<serde_json::Value>("{\n  \"a\": secret").expect_err("bad");
        let place = json_where(&e);
        assert!(place.contains("line 2"), "{place}");
        assert!(!place.contains("secret"), "{place}");
        let e = serde_norway::from_str::<serde_norway::Value>("a: [secret").expect_err("bad");
        assert!(!yaml_where(&e).contains("secret"));
    }
}
