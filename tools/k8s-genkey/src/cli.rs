//! The flags of `k8s-genkey`: the single source of its --help, man page and completions.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, ValueEnum};
use k8s_pki::cmd::genkey::Options;
use k8s_pki::key::{Algorithm, KeyFormat};
use k8s_pki::sink::FileTargets;
use k8s_pki_cli::OutputArgs;

/// Key algorithms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlgoArg {
    /// RSA, 2048 bits unless --bits says otherwise (kubeadm's default)
    Rsa,
    /// ECDSA on P-256 unless --bits 384 or --curve P-384 (also: ec)
    #[value(alias = "ec")]
    Ecdsa,
    /// RSA 2048
    Rsa2048,
    /// RSA 3072
    Rsa3072,
    /// RSA 4096
    Rsa4096,
    /// ECDSA P-256
    #[value(alias = "p256")]
    EcdsaP256,
    /// ECDSA P-384
    #[value(alias = "p384")]
    EcdsaP384,
}

/// ECDSA curves, by the names NIST, openssl and SEC 2 give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CurveArg {
    /// NIST P-256 (also: prime256v1, secp256r1, p256), kubeadm's ECDSA curve
    #[value(name = "P-256", alias = "prime256v1", alias = "secp256r1", alias = "p256", alias = "p-256")]
    P256,
    /// NIST P-384 (also: secp384r1, p384)
    #[value(name = "P-384", alias = "secp384r1", alias = "p384", alias = "p-384")]
    P384,
}

/// How the private key is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyFormatArg {
    /// As kubeadm writes keys: PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY"
    Traditional,
    /// PKCS#8 "PRIVATE KEY", as openssl genpkey writes keys
    Pkcs8,
}

/// Other tools' spellings of these flags (see `k8s_pki_cli::Spelling`).
pub const SPELLINGS: &[k8s_pki_cli::Spelling] = &[
    k8s_pki_cli::Spelling { theirs: "-in", ours: "--in", from: "openssl pkey" },
    k8s_pki_cli::Spelling { theirs: "-pubout", ours: "--public", from: "openssl pkey, openssl rsa" },
    k8s_pki_cli::Spelling { theirs: "-topk8", ours: "--key-format pkcs8", from: "openssl pkcs8" },
    k8s_pki_cli::Spelling { theirs: "--algo ec", ours: "--algo ecdsa", from: "cfssl's key.algo" },
    k8s_pki_cli::Spelling { theirs: "-bare", ours: "--bare", from: "cfssljson" },
    k8s_pki_cli::Spelling { theirs: "--curve prime256v1", ours: "--curve P-256", from: "openssl ecparam -name" },
    k8s_pki_cli::Spelling { theirs: "--curve secp256r1", ours: "--curve P-256", from: "SEC 2" },
    k8s_pki_cli::Spelling { theirs: "--curve secp384r1", ours: "--curve P-384", from: "openssl ecparam -name" },
];

pub const EXAMPLES: &[k8s_pki_cli::Example] = &[
    ("an RSA-2048 key, as kubeadm writes it; openssl genrsa -traditional 2048", "k8s-genkey --key-out ca.key"),
    (
        "an ECDSA P-256 key; openssl ecparam -name prime256v1 -genkey -noout",
        "k8s-genkey --curve prime256v1 --out pki/etcd/ca",
    ),
    ("the service-account key pair pki/sa.key + pki/sa.pub", "k8s-genkey --public --out pki/sa"),
    ("the public half of a key; openssl pkey -in sa.key -pubout", "k8s-genkey --in sa.key --public --pub-out sa.pub"),
    (
        "convert a key to PKCS#8; openssl pkcs8 -topk8 -nocrypt -in k.key",
        "k8s-genkey --in k.key --key-format pkcs8 --key-out k8.key",
    ),
    (
        "key -> CSR -> certificate, into alice.key (0600) and alice.crt",
        "k8s-genkey | k8s-csr --cn alice --org dev --usage client \\\n  | k8s-sign --ca pki/ca --out alice",
    ),
];

/// Generate a private key for a Kubernetes PKI: RSA-2048 by default, as kubeadm.
///
/// Writes the key as PEM to stdout (never to a terminal unless --force) or into files with
/// --out. Pipe it into k8s-csr to make a certificate signing request.
#[derive(Parser, Debug)]
#[command(name = "k8s-genkey", version)]
pub struct Cli {
    /// Key algorithm [default: rsa]
    #[arg(short, long, value_enum)]
    pub algo: Option<AlgoArg>,

    /// ECDSA curve (openssl's -name, cfssl's size): implies --algo ecdsa
    #[arg(long, value_enum, value_name = "CURVE", conflicts_with = "bits")]
    pub curve: Option<CurveArg>,

    /// Take the algorithm and size from the key of FILE: a certificate, CSR, public or private
    /// key (a renewed certificate keeps its kind of key)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["algo", "bits", "curve", "cfssl", "input"])]
    pub like: Option<PathBuf>,

    /// Take the algorithm and size from a cfssl CSR JSON file's "key" object
    #[arg(long, value_name = "FILE", conflicts_with_all = ["algo", "bits", "curve"])]
    pub cfssl: Option<PathBuf>,

    /// Key size: RSA modulus bits (2048, 3072, 4096) or ECDSA curve bits (256, 384)
    #[arg(short, long, value_name = "N")]
    pub bits: Option<u32>,

    /// Private key encoding
    #[arg(long, value_enum, default_value = "traditional")]
    pub key_format: KeyFormatArg,

    /// Also emit the public key ("PUBLIC KEY"), as sa.pub; with --in, emit only the public key
    #[arg(long)]
    pub public: bool,

    /// Read an existing key instead of generating one (to convert its format or get its public key)
    #[arg(short = 'i', long = "in", value_name = "FILE", conflicts_with_all = ["algo", "bits", "curve", "cfssl"])]
    pub input: Option<PathBuf>,

    /// Generate N keys (to stdout)
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1)]
    pub count: usize,

    /// Generate on up to N threads (default: all cores)
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Write the private key to FILE (0600) instead of stdout
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub key_out: Option<PathBuf>,

    /// Write the public key to FILE instead of stdout (with --public, which emits it)
    #[arg(long, value_name = "FILE", requires = "public", help_heading = "Output")]
    pub pub_out: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub explain: k8s_pki_cli::ExplainArgs,
}

impl Cli {
    /// The usage errors clap cannot tell, before any file is read: how many keys, and a file
    /// flag whose file would never be written (a usage error, not ignored).
    fn usage_errors(&self) -> k8s_pki::Result<()> {
        let names_files =
            self.key_out.is_some() || self.pub_out.is_some() || self.output.out.is_some() || self.output.bare.is_some();
        k8s_pki::cmd::genkey::check_count(self.count, self.input.is_some(), names_files)?;
        let key_emitted = !(self.input.is_some() && self.public);
        if !key_emitted && self.key_out.is_some() {
            return Err(k8s_pki::Error::usage(
                "--key-out has no key to write: with --in, --public emits only the public key (--pub-out names its file)",
            ));
        }
        let every_kind_named = (!key_emitted || self.key_out.is_some()) && (!self.public || self.pub_out.is_some());
        let prefix = match (&self.output.out, &self.output.bare) {
            (Some(_), _) => Some("--out"),
            (None, Some(_)) => Some("--bare"),
            (None, None) => None,
        };
        match prefix {
            Some(flag) if every_kind_named => Err(k8s_pki::Error::usage(format!(
                "{flag} has nothing to write: every file of this run is named by --key-out or --pub-out"
            ))),
            _ => Ok(()),
        }
    }

    /// The options for `k8s_pki::cmd::genkey::run`.
    pub fn options(&self) -> k8s_pki::Result<Options> {
        self.usage_errors()?;
        let from_cfssl = match &self.cfssl {
            Some(path) => Some(k8s_pki::cfssl::CsrJson::read(path)?.algorithm()?),
            None => None,
        };
        let like = self.like.as_deref().map(k8s_pki::cmd::genkey::algorithm_like).transpose()?;
        let bits = match self.curve {
            Some(CurveArg::P256) => Some(256),
            Some(CurveArg::P384) => Some(384),
            None => self.bits,
        };
        let algo = match (self.algo, self.curve) {
            (None | Some(AlgoArg::Ecdsa), Some(_)) => AlgoArg::Ecdsa,
            (Some(AlgoArg::EcdsaP256), Some(CurveArg::P256)) | (Some(AlgoArg::EcdsaP384), Some(CurveArg::P384)) => {
                AlgoArg::Ecdsa
            }
            (Some(other), Some(_)) => {
                return Err(k8s_pki::Error::usage(format!(
                    "--curve goes with --algo ecdsa, not {}",
                    other.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
                )));
            }
            (algo, None) => algo.unwrap_or(AlgoArg::Rsa),
        };
        let algorithm = match (algo, bits) {
            _ if like.is_some() => like.unwrap_or(Algorithm::Rsa2048),
            _ if from_cfssl.is_some() => from_cfssl.unwrap_or(Algorithm::Rsa2048),
            (AlgoArg::Rsa, bits) => Algorithm::from_family("rsa", bits)?,
            (AlgoArg::Ecdsa, bits) => Algorithm::from_family("ecdsa", bits)?,
            (fixed, Some(_)) => {
                return Err(k8s_pki::Error::usage(format!(
                    "--bits goes with --algo rsa or ecdsa, not {}",
                    fixed.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default()
                )));
            }
            (AlgoArg::Rsa2048, None) => Algorithm::Rsa2048,
            (AlgoArg::Rsa3072, None) => Algorithm::Rsa3072,
            (AlgoArg::Rsa4096, None) => Algorithm::Rsa4096,
            (AlgoArg::EcdsaP256, None) => Algorithm::EcdsaP256,
            (AlgoArg::EcdsaP384, None) => Algorithm::EcdsaP384,
        };
        let jobs = self.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        let files =
            FileTargets { key: self.key_out.clone(), public_key: self.pub_out.clone(), ..FileTargets::default() };
        Ok(Options {
            algorithm,
            key_format: match self.key_format {
                KeyFormatArg::Traditional => KeyFormat::Traditional,
                KeyFormatArg::Pkcs8 => KeyFormat::Pkcs8,
            },
            public: self.public,
            input: self.input.clone(),
            count: self.count,
            jobs,
            output: self.output.options(files),
            explain: self.explain.explain,
        })
    }
}

/// The clap command, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command().after_help(k8s_pki_cli::after_help(EXAMPLES))
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_is_consistent() {
        super::command().debug_assert();
    }
}
