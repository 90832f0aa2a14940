//! One error type for the whole library, and the stable exit code each kind maps to.
//!
//! Messages are one line, lowercase, name the file or flag involved and never contain a
//! byte of key material. The binaries print them as `k8s-xxx: error: <message>`.

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit status: everything held.
pub const EXIT_OK: i32 = 0;
/// Exit status: a check failed (k8s-verify; like grep's "no match").
pub const EXIT_CHECK_FAILED: i32 = 1;
/// Exit status: bad usage (flags, arguments).
pub const EXIT_USAGE: i32 = 2;
/// Exit status: bad input (unreadable PEM, wrong block type, bad SAN, ...).
pub const EXIT_BAD_INPUT: i32 = 3;
/// Exit status: refused (bad CSR signature, CA/key mismatch, policy).
pub const EXIT_REFUSED: i32 = 4;
/// Exit status: I/O error (missing file, unwritable output, existing file).
pub const EXIT_IO: i32 = 5;

/// Exit status: k8s-verify found only warnings (e.g. a certificate expires soon, a file is missing).
pub const EXIT_WARNINGS: i32 = 6;

/// Exit status: an internal error — an encoder, the crypto library or a worker thread failed
/// where no input could make it fail. A bug: please report it.
pub const EXIT_INTERNAL: i32 = 70;

/// The table printed in every man page's EXIT STATUS section.
pub const EXIT_CODES: &[(i32, &str)] = &[
    (EXIT_OK, "success"),
    (EXIT_CHECK_FAILED, "a check failed (k8s-verify only)"),
    (
        EXIT_USAGE,
        "usage error: unknown flag, missing or conflicting arguments, an invalid flag value (a SAN, a node name)",
    ),
    (EXIT_BAD_INPUT, "bad input: not PEM, wrong block type, truncated data, an invalid field inside a file, ..."),
    (EXIT_REFUSED, "refused: bad CSR signature, CA key does not match, CA not a CA, policy, a rotation gate"),
    (EXIT_IO, "I/O error: missing or unreadable file, unwritable output, file exists"),
    (EXIT_WARNINGS, "only warnings (k8s-verify only): something expires within --warn-within, or a file is missing"),
    (
        EXIT_INTERNAL,
        "internal error: an encoder, the crypto library or a worker thread failed (a bug: please report it)",
    ),
];

/// Everything that can go wrong in k8s-pki.
#[derive(Debug)]
pub enum Error {
    /// The flags make no sense together, or a required one is missing.
    Usage(String),
    /// The input could not be read as what it should be.
    Input { source: String, message: String },
    /// The input held nothing but white space: a caller may say what it should have held.
    EmptyInput { source: String },
    /// The input was understood, and what it asks for is refused; the kind says why.
    Refused(Refusal),
    /// A file or stream could not be read or written.
    Io { path: PathBuf, message: String },
    /// A verification found a problem (the findings were already reported).
    CheckFailed(String),
    /// A verification found only warnings (already reported).
    Warnings(String),
    /// Something that no input can cause failed: an encoder, the crypto library, a thread.
    Internal(String),
    /// The reader of stdout went away (`| head`): stop quietly, exit 0.
    BrokenPipe,
}

/// Why something understood was refused (exit 4): the kinds a caller can act on, each with its
/// one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A CSR requests no usages and the signer was given none (`--usage`, `--profile`).
    NoUsages(String),
    /// A private key does not belong to the certificate or CSR it goes with.
    KeyMismatch(String),
    /// A CSR that is not signed by its own key, names nobody, or asks for what cannot be read
    /// (an unknown critical extension, an invalid SAN).
    Csr(String),
    /// The signing certificate cannot sign: not a CA, no keyCertSign, outside its validity, a
    /// path length that forbids the CA asked for.
    UnfitCa(String),
    /// The signer's rules or the project's: `--allow-ca`, a signer name's rules, key sizes.
    Policy(String),
    /// A rotation gate: the state, the phase or the tree does not allow the step.
    Gate(String),
    /// A certificate another CA issued is not re-issued by renewal.
    ForeignIssuer(String),
    /// A credential the server named would refuse (kube-apiserver's verdict, in Go's words).
    Untrusted(String),
    /// The cluster's own answer: a CSR object denied, failed or not approved yet.
    Cluster(String),
    /// A secret would reach a terminal.
    Terminal(String),
}

impl Refusal {
    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Refusal::NoUsages(m)
            | Refusal::KeyMismatch(m)
            | Refusal::Csr(m)
            | Refusal::UnfitCa(m)
            | Refusal::Policy(m)
            | Refusal::Gate(m)
            | Refusal::ForeignIssuer(m)
            | Refusal::Untrusted(m)
            | Refusal::Cluster(m)
            | Refusal::Terminal(m) => m,
        }
    }
}

/// What [`Error::EmptyInput`] says.
const EMPTY: &str = "empty input: expected PEM data";

/// Result with the library's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::CheckFailed(_) => EXIT_CHECK_FAILED,
            Error::Warnings(_) => EXIT_WARNINGS,
            Error::Usage(_) => EXIT_USAGE,
            Error::Input { .. } | Error::EmptyInput { .. } => EXIT_BAD_INPUT,
            Error::Refused(_) => EXIT_REFUSED,
            Error::Io { .. } => EXIT_IO,
            Error::Internal(_) => EXIT_INTERNAL,
            Error::BrokenPipe => EXIT_OK,
        }
    }

    /// Bad input from `source` (a file name, "stdin", or a flag).
    pub fn input(source: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Input { source: source.into(), message: message.into() }
    }

    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// A refusal of this kind: `Error::refused_as(Refusal::Gate, "…")`.
    pub fn refused_as(kind: fn(String) -> Refusal, message: impl Into<String>) -> Self {
        Error::Refused(kind(message.into()))
    }

    /// An internal error (a bug, not the user's input).
    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal(message.into())
    }

    /// An I/O error on `path`, described by `err` (never by file content).
    pub fn io(path: &Path, err: &std::io::Error) -> Self {
        Error::Io { path: path.to_path_buf(), message: describe_io(err) }
    }

    /// An I/O error with a message of our own.
    pub fn io_msg(path: &Path, message: impl Into<String>) -> Self {
        Error::Io { path: path.to_path_buf(), message: message.into() }
    }

    /// The message without the file or source it names.
    pub fn message(&self) -> String {
        match self {
            Error::Input { message, .. } | Error::Io { message, .. } => message.clone(),
            Error::EmptyInput { .. } => EMPTY.to_string(),
            other => other.to_string(),
        }
    }

    /// Re-attributes an input error to another source name (e.g. a file instead of "stdin").
    pub fn with_source(self, name: &str) -> Self {
        match self {
            Error::Input { message, .. } => Error::Input { source: name.to_string(), message },
            Error::EmptyInput { .. } => Error::EmptyInput { source: name.to_string() },
            other => other,
        }
    }
}

/// A short, lowercase description of an I/O error without the "(os error N)" noise.
pub(crate) fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match err.kind() {
        NotFound => "no such file or directory".into(),
        PermissionDenied => "permission denied".into(),
        AlreadyExists => "file exists (use --force to overwrite)".into(),
        StorageFull => "no space left on device".into(),
        IsADirectory => "is a directory".into(),
        NotADirectory => "not a directory".into(),
        ReadOnlyFilesystem => "read-only file system".into(),
        _ => {
            let text = err.to_string();
            let text = text.split(" (os error").next().unwrap_or(&text).to_string();
            lowercase_first(&text)
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::CheckFailed(m) | Error::Warnings(m) => f.write_str(m),
            Error::Refused(r) => f.write_str(r.message()),
            Error::Internal(m) => write!(f, "internal error: {m}"),
            Error::Input { source, message } => write!(f, "{source}: {message}"),
            Error::EmptyInput { source } => write!(f, "{source}: {EMPTY}"),
            Error::Io { path, message } => write!(f, "{}: {message}", path.display()),
            Error::BrokenPipe => f.write_str("broken pipe"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_stable() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::input("stdin", "x").exit_code(), 3);
        assert_eq!(Error::refused_as(Refusal::Policy, "x").exit_code(), 4);
        assert_eq!(Error::io_msg(Path::new("f"), "x").exit_code(), 5);
        assert_eq!(Error::CheckFailed("x".into()).exit_code(), 1);
        let listed: Vec<i32> = EXIT_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(listed, vec![0, 1, 2, 3, 4, 5, 6, 70]);
        assert_eq!(Error::internal("x").exit_code(), 70);
    }

    #[test]
    fn io_messages_are_short_and_lowercase() {
        let e = Error::io(Path::new("pki/ca.key"), &std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(e.to_string(), "pki/ca.key: no such file or directory");
    }

    #[test]
    fn input_errors_can_be_reattributed() {
        let e = Error::input("stdin", "not PEM").with_source("ca.crt");
        assert_eq!(e.to_string(), "ca.crt: not PEM");
    }
}
