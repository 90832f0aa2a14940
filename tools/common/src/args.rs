//! The flags and values every command shares: output and `--explain` flags, TLS usages, and
//! the parsers of node names, prefixes, profiles, releases and endpoints.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use k8s_pki::error::Error;
use k8s_pki::sink::{FileTargets, Format, OutputOptions};

/// Stream format on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// PEM blocks, one after another (what openssl reads and writes)
    Pem,
    /// One cfssl-style JSON object per line: {"key": PEM, "csr": PEM, "cert": PEM}
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Pem => Format::Pem,
            FormatArg::Json => Format::Json,
        }
    }
}

/// `--explain`, taken by every command.
#[derive(Args, Clone, Debug)]
pub struct ExplainArgs {
    /// Also print to stderr what was done and why, and the equivalent openssl/kubectl commands
    /// (lines starting with $ run in bash as printed)
    #[arg(long)]
    pub explain: bool,
}

/// A TLS usage, as every command names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UsageArg {
    /// TLS server auth (serverAuth): the API server, etcd, a kubelet's serving endpoint (also:
    /// openssl's sslserver, the EKU name serverAuth, cfssl's "server auth")
    #[value(
        alias = "sslserver",
        alias = "serverAuth",
        alias = "serverauth",
        alias = "server-auth",
        alias = "server auth"
    )]
    Server,
    /// TLS client auth (clientAuth): every identity that talks to the API server or etcd (also:
    /// sslclient, clientAuth, "client auth")
    #[value(
        alias = "sslclient",
        alias = "clientAuth",
        alias = "clientauth",
        alias = "client-auth",
        alias = "client auth"
    )]
    Client,
}

impl From<UsageArg> for k8s_pki::usage::Usage {
    fn from(u: UsageArg) -> k8s_pki::usage::Usage {
        match u {
            UsageArg::Server => k8s_pki::usage::Usage::Server,
            UsageArg::Client => k8s_pki::usage::Usage::Client,
        }
    }
}

/// `--node-name`: a name a node can register with, as Kubernetes validates it (apimachinery's
/// IsDNS1123Subdomain: lower-case letters, digits, `-` and `.`).
pub fn node_name_parser(text: &str) -> Result<String, String> {
    if k8s_pki::san::is_dns1123_subdomain(text) {
        return Ok(text.to_string());
    }
    Err(format!(
        "'{}' is not a valid node name: Kubernetes requires a lower-case RFC 1123 subdomain (a-z, 0-9, '-' and '.', at most 253 characters), so no node could register as system:node:{}",
        k8s_pki::term::sanitize(text),
        k8s_pki::term::sanitize(text)
    ))
}

/// `PREFIX` + `suffix` (`pki/etcd/ca` + `.crt`), as `--ca PREFIX` names its files.
pub fn with_suffix(prefix: &std::path::Path, suffix: &str) -> PathBuf {
    k8s_pki::sink::with_suffix(prefix, suffix)
}

/// `--cert-dir DIR`, kubeadm's certificate directory: the tree it belongs to is its parent, as
/// kubeadm's default `/etc/kubernetes/pki` belongs to `/etc/kubernetes`.
pub fn cert_dir_parser(text: &str) -> Result<PathBuf, String> {
    let dir = std::path::Path::new(text.trim_end_matches('/'));
    match (dir.file_name(), dir.parent()) {
        (Some(name), Some(parent)) if name == "pki" => {
            Ok(if parent.as_os_str().is_empty() { PathBuf::from(".") } else { parent.to_path_buf() })
        }
        _ => Err(format!(
            "'{}' is not a directory named pki: k8s-pki reads kubeadm's layout DIR/pki plus DIR's kubeconfigs; give --pki-dir DIR",
            k8s_pki::term::sanitize(text)
        )),
    }
}

/// `--profile NAME`: one of kubeadm's profiles, its names offered to completions.
pub fn profile_parser() -> impl clap::builder::TypedValueParser<Value = &'static k8s_pki::kubeadm::profile::Profile> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(k8s_pki::kubeadm::profile::names())
        .try_map(|name| k8s_pki::kubeadm::profile::find(&name).map_err(|e| e.to_string()))
}

/// `--kubernetes-version`: `1.31`, `v1.31` or `1.31.2`, one of the releases followed.
pub fn release_parser(text: &str) -> Result<&'static k8s_pki::kubeadm::release::Release, String> {
    k8s_pki::kubeadm::release::parse(text).map_err(|e| e.to_string())
}

/// `--control-plane-endpoint HOST[:PORT]`, as kubeadm parses it.
pub fn endpoint_parser(text: &str) -> Result<k8s_pki::kubeadm::control_plane::Endpoint, String> {
    k8s_pki::kubeadm::control_plane::parse(text).map_err(|e| e.to_string())
}

/// `--profile NAME` of a signer: kubeadm's profile names and `auto` (offered to completions and
/// listed in --help), or, with `--config`, the name of a profile in cfssl's signing config; the
/// tool resolves which with [`profile_choice`].
#[derive(Clone, Copy, Debug)]
pub struct ProfileName;

impl clap::builder::TypedValueParser for ProfileName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::NonEmptyStringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let mut names = k8s_pki::kubeadm::profile::names();
        names.push("auto");
        Some(Box::new(names.into_iter().map(clap::builder::PossibleValue::new)))
    }
}

/// A `--profile NAME` without `--config`: kubeadm's profile of that name, or `auto` (exit 2 for
/// any other name, naming kubeadm's).
pub fn profile_choice(name: &str) -> Result<k8s_pki::kubeadm::profile::Choice, Error> {
    k8s_pki::kubeadm::profile::Choice::parse(name)
        .map_err(|e| Error::usage(format!("--profile: {e} (a cfssl profile goes with --config FILE)")))
}

/// A file-name prefix (`--out pki/apiserver`, `--bare x`): its last part names the files, so it
/// may not be empty, `.` or `..` (`--out dir/` would write the hidden `dir/.key`).
pub fn prefix_parser(text: &str) -> Result<PathBuf, String> {
    let last = text.rsplit('/').next().unwrap_or_default();
    if last.is_empty() || last == "." || last == ".." {
        return Err(format!(
            "'{}' names no file: a prefix ends with the files' name (pki/apiserver writes pki/apiserver.crt, .key, ...)",
            k8s_pki::term::sanitize(text)
        ));
    }
    Ok(PathBuf::from(text))
}

/// Output flags every stream-writing command takes.
#[derive(Args, Clone, Debug)]
pub struct OutputArgs {
    /// Write the stream into files PREFIX.key (0600), PREFIX.csr, PREFIX.crt, PREFIX.pub instead of
    /// stdout; directories are created; files are written atomically
    #[arg(short = 'o', long, value_name = "PREFIX", value_parser = prefix_parser, help_heading = "Output")]
    pub out: Option<PathBuf>,

    /// Write the stream into files named as cfssljson -bare NAME names them instead of stdout:
    /// NAME.pem (certificate), NAME-key.pem (0600), NAME.csr, NAME.pub
    #[arg(long, value_name = "NAME", conflicts_with = "out", value_parser = prefix_parser, help_heading = "Output")]
    pub bare: Option<PathBuf>,

    /// Output format on stdout
    #[arg(long, value_enum, default_value = "pem", help_heading = "Output")]
    pub format: FormatArg,

    /// Replace existing files: the old one stays intact until the new one is complete, then is
    /// kept beside it as FILE.bak-TIMESTAMP (said on stderr); also allows printing a private
    /// key to a terminal
    #[arg(short = 'f', long, help_heading = "Output")]
    pub force: bool,
}

impl OutputArgs {
    /// Output options with explicit per-kind files.
    pub fn options(&self, files: FileTargets) -> OutputOptions {
        OutputOptions {
            format: self.format.into(),
            files: FileTargets { prefix: self.out.clone(), bare: self.bare.clone(), ..files },
            force: self.force,
            key_file_flags: None,
        }
    }
}
