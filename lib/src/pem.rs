//! PEM blocks: the labels we know, one [`Block`] as read or written, the incremental
//! [`PemReader`] (bounded line and block sizes) and canonical encoding.
//!
//! Every module that handles keys, certificates or CSRs in text form starts here; this module
//! depends on nothing but the error type.

use std::io::{BufRead, Read};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Longest line we accept; PEM lines are 64 characters, kubeconfig lines can be long.
const MAX_LINE: u64 = 4 * 1024 * 1024;
/// Largest PEM block we accept (a certificate is ~1-2 KiB, an RSA-4096 key ~3 KiB).
const MAX_BLOCK: usize = 1024 * 1024;

/// PEM label of certificates.
pub const CERTIFICATE: &str = "CERTIFICATE";
/// PEM label of certificate signing requests.
pub const CSR: &str = "CERTIFICATE REQUEST";
/// PEM label of public keys.
pub const PUBLIC_KEY: &str = "PUBLIC KEY";

/// The UTF-8 byte order mark some Windows editors write at the start of a text file.
pub const BOM: &[u8] = b"\xef\xbb\xbf";

/// Whether a PEM label names a private key. One rule for every format, known or not:
/// `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`,
/// `DSA PRIVATE KEY`, `OPENSSH PRIVATE KEY`, ... are all keys, and are treated as secrets.
pub fn is_private_key_label(label: &str) -> bool {
    label.ends_with("PRIVATE KEY")
}

/// The message for an encrypted private key, wherever it is found.
pub fn encrypted_key_error(source: &str) -> Error {
    Error::input(
        source,
        "encrypted private keys are not supported; decrypt first with: openssl pkey -in KEY -out PLAIN.key",
    )
}

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
    /// The mode a file of this kind is written with, as kubeadm writes them (docs/kubeadm.md
    /// section 4): keys, public keys (`sa.pub`: `WritePublicKey`) and CSRs (`WriteCSR`) 0600,
    /// certificates 0644.
    pub fn file_mode(self) -> u32 {
        match self {
            Kind::Key | Kind::PublicKey | Kind::Csr => 0o600,
            Kind::Cert | Kind::Other => 0o644,
        }
    }

    /// The kind of a PEM label.
    pub fn of(label: &str) -> Kind {
        match label {
            l if is_private_key_label(l) => Kind::Key,
            CSR | "NEW CERTIFICATE REQUEST" => Kind::Csr,
            CERTIFICATE => Kind::Cert,
            PUBLIC_KEY => Kind::PublicKey,
            _ => Kind::Other,
        }
    }

    /// The cfssl JSON field of this kind.
    pub fn json_field(self) -> &'static str {
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
/// Reads PEM blocks one at a time from a buffered reader.
pub struct PemReader<R> {
    reader: R,
    source: String,
    blocks_seen: usize,
    line: Vec<u8>,
    /// Whether the first line has been read.
    started: bool,
}

impl<R: BufRead> PemReader<R> {
    /// A reader over `reader`, named `source` in messages.
    pub fn new(reader: R, source: &str) -> Self {
        PemReader { reader, source: source.to_string(), blocks_seen: 0, line: Vec::new(), started: false }
    }

    fn err(&self, message: impl Into<String>) -> Error {
        Error::input(&self.source, message)
    }

    /// Reads one line into `self.line` (without the line ending, and without a UTF-8 byte order
    /// mark that starts the input, which openssl skips too). Returns false at EOF.
    fn read_line(&mut self) -> Result<bool> {
        let first = !self.started;
        self.started = true;
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
        if first && self.line.starts_with(BOM) {
            self.line.drain(..BOM.len());
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
                    .ok_or_else(|| self.err(format!("malformed PEM header line '{}'", crate::term::sanitize(line))))?;
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
                    return Err(
                        self.err(format!("PEM block BEGIN {label} ends with '{}'", crate::term::sanitize(line)))
                    );
                }
                text.push_str(line);
                text.push('\n');
                break;
            }
            if line.starts_with("-----BEGIN ") {
                return Err(self.err(format!("truncated PEM: the {label} block has no END line")));
            }
            if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                return Err(encrypted_key_error(&self.source));
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

/// Every block of `kind` in PEM text (a kubeconfig's CA data may be a bundle).
pub fn blocks_of(text: &str, kind: Kind, source: &str) -> Result<Vec<Block>> {
    let mut reader = PemReader::new(text.as_bytes(), source);
    let mut out = Vec::new();
    while let Some(block) = reader.next_block()? {
        if block.kind() == kind {
            out.push(block);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(text: &str) -> Result<Vec<Block>> {
        let mut reader = PemReader::new(text.as_bytes(), "stdin");
        let mut out = Vec::new();
        while let Some(b) = reader.next_block()? {
            out.push(b);
        }
        Ok(out)
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
    fn every_private_key_label_is_a_key() {
        for label in [
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "DSA PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
        ] {
            assert_eq!(Kind::of(label), Kind::Key, "{label}");
        }
        assert_eq!(Kind::of("PUBLIC KEY"), Kind::PublicKey);
        assert_eq!(Kind::of("NEW CERTIFICATE REQUEST"), Kind::Csr);
        assert_eq!(Kind::of("X509 CRL"), Kind::Other);
    }

    #[test]
    fn encoding_is_canonical_and_reads_back() {
        let der: Vec<u8> = (0..100u8).collect();
        let text = encode_pem("CERTIFICATE", &der);
        assert!(text.lines().skip(1).take(1).all(|l| l.len() == 64));
        let got = blocks(&text).expect("reads back");
        assert_eq!(&got[0].der[..], &der[..]);
        assert_eq!(got[0].text.as_str(), text);
        assert_eq!(Block::new("CERTIFICATE", &der).text.as_str(), text);
    }
}
