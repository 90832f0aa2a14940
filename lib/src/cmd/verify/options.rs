//! What `k8s-verify` was asked to do: the plain data the binary fills from its flags, which
//! mode that is, and the inputs and audit options the modes share.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::term::ColorChoice;
use crate::usage::Usage;
use crate::validity;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Human-readable text (the default).
    #[default]
    Text,
    /// JSON for scripts and monitoring.
    Json,
}

/// What `k8s-verify` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Files to read (none: stdin).
    pub inputs: Vec<PathBuf>,
    /// The CA certificates must chain to (a bundle: any of them).
    pub ca_cert: Option<PathBuf>,
    /// Files of intermediates offered for every chain (openssl's `-untrusted`).
    pub untrusted: Vec<PathBuf>,
    /// Check every certificate of the inputs on its own, instead of the first of each input
    /// with the rest as its chain.
    pub each: bool,
    /// Whose crypto/x509 rules (`--go-release`).
    pub go: crate::go_release::GoRelease,
    /// Required usages.
    pub purposes: Vec<Usage>,
    /// Names and IPs that must be in the SANs.
    pub hosts: Vec<crate::hostname::Host>,
    /// Required CN.
    pub cn: Option<String>,
    /// Required O values (all of them, in any order).
    pub orgs: Vec<String>,
    /// Private key that must match.
    pub key: Option<PathBuf>,
    /// `--cluster-dump`: cluster dumps (`kubectl get … -o json`) to map.
    pub cluster_dumps: Vec<PathBuf>,
    /// Audit this kubeadm directory.
    pub pki_dir: Option<PathBuf>,
    /// With `connect` and `pki_dir`: the file of the tree that should be serving.
    pub served_file: Option<String>,
    /// With `pki_dir`: node name.
    pub node_name: Option<String>,
    /// With `pki_dir`: the kubeadm release the tree must match.
    pub kubernetes_version: Option<&'static crate::kubeadm::release::Release>,
    /// With `--pki-dir`: the cluster's etcd is external (no etcd certificate expected).
    pub external_etcd: bool,
    /// With `pki_dir`: advertise address.
    pub advertise_address: Option<IpAddr>,
    /// With `pki_dir`: a copy of the node's file system holding the files kubeconfigs reference.
    pub root: Option<PathBuf>,
    /// Service CIDR.
    pub service_cidr: crate::san::ServiceCidr,
    /// DNS domain.
    pub dns_domain: String,
    /// With `pki_dir`: print the expiry table.
    pub expiry: bool,
    /// Evaluate as of this date.
    pub at: Option<validity::Moment>,
    /// `--strict`: a check exits 6 on warnings too (audits and `--connect` always do).
    pub strict: bool,
    /// Warn within this duration.
    pub warn_within: Option<validity::Duration>,
    /// Output format.
    pub format: OutputFormat,
    /// Colour.
    pub color: ColorChoice,
    /// Show passing checks too.
    pub verbose: bool,
    /// Print the trust graph instead of checking.
    pub graph: Option<crate::kubeadm::wiring::GraphFormat>,
    /// Print the component flags that point at each file.
    pub flags: bool,
    /// Print the openssl commands that check the same.
    pub explain: bool,
    /// Check CSRs (PEM or CertificateSigningRequest objects) against this signer's rules.
    pub signer: Option<crate::signer::Signer>,
    /// Print each certificate's `kubeadm join` discovery hash.
    pub join_hash: bool,
    /// Connect to this endpoint and check what it serves.
    pub connect: Option<crate::endpoint::Target>,
    /// The TLS server name (SNI, and the name checked), when not the host connected to.
    pub servername: Option<String>,
    /// The client certificate (and maybe its key) for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// A kubeconfig supplying the server, CA and client identity.
    pub kubeconfig: Option<PathBuf>,
    /// The bound on one connection (default [`DEFAULT_TIMEOUT`]).
    pub timeout: Option<std::time::Duration>,
}

/// What `k8s-verify` does, decided once from the flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `--flags`: which component flag reads which file.
    Flags,
    /// `--graph FORMAT`: the trust graph, of `--pki-dir` if given.
    Graph(crate::kubeadm::wiring::GraphFormat),
    /// `--pki-dir DIR`: audit a kubeadm tree (with `--expiry`, the expiry table).
    Audit,
    /// `--signer NAME`: would that signer accept these CSRs?
    Signer,
    /// `--ca-cert`, `--purpose`, `--host`, `--cn`, `--org`, `--key`: check certificates.
    Check,
    /// `--join-hash`: each certificate's `kubeadm join --discovery-token-ca-cert-hash` value.
    JoinHash,
    /// `--connect HOST:PORT` or `--kubeconfig FILE`: a live endpoint.
    Connect,
    /// `--cluster-dump FILE`: which cluster objects carry which CA.
    TrustMap,
    /// No mode flag: show what the input holds.
    Inspect,
}

impl Mode {
    fn describe(self) -> &'static str {
        match self {
            Mode::Flags => "show component flags",
            Mode::Graph(_) => "draw the trust graph",
            Mode::Audit => "audit a directory",
            Mode::Signer => "check CSRs against a signer",
            Mode::Check => "check certificates",
            Mode::JoinHash => "print join hashes",
            Mode::Connect => "check a live endpoint",
            Mode::TrustMap => "map the cluster's trust",
            Mode::Inspect => "inspect",
        }
    }
}

impl Options {
    /// The first flag given that asks for a check of certificates.
    fn check_flag(&self) -> Option<&'static str> {
        [
            ("--ca-cert", self.ca_cert.is_some()),
            ("--purpose", !self.purposes.is_empty()),
            ("--host", !self.hosts.is_empty()),
            ("--cn", self.cn.is_some()),
            ("--org", !self.orgs.is_empty()),
            ("--key", self.key.is_some()),
            ("--untrusted", !self.untrusted.is_empty()),
            ("--each", self.each),
        ]
        .into_iter()
        .find_map(|(flag, set)| set.then_some(flag))
    }

    /// The one mode these flags ask for; flags of two modes, or a flag of a mode not asked
    /// for, are a usage error naming both.
    pub fn mode(&self) -> Result<Mode> {
        let mut selectors: Vec<(&str, Mode)> = Vec::new();
        if self.flags {
            selectors.push(("--flags", Mode::Flags));
        }
        if let Some(format) = self.graph {
            selectors.push(("--graph", Mode::Graph(format)));
        }
        if self.signer.is_some() {
            selectors.push(("--signer", Mode::Signer));
        }
        if self.join_hash {
            selectors.push(("--join-hash", Mode::JoinHash));
        }
        if !self.cluster_dumps.is_empty() {
            selectors.push(("--cluster-dump", Mode::TrustMap));
        }
        let connects = self.connect.is_some() || self.kubeconfig.is_some();
        if connects {
            selectors.push((if self.connect.is_some() { "--connect" } else { "--kubeconfig" }, Mode::Connect));
        } else if let Some(flag) = self.check_flag() {
            selectors.push((flag, Mode::Check));
        }
        if self.pki_dir.is_some()
            && selectors.iter().all(|(_, m)| matches!(m, Mode::Check | Mode::Signer))
            && self.cluster_dumps.is_empty()
        {
            selectors.push(("--pki-dir", Mode::Audit));
        }
        if let [(a, first), (b, second), ..] = selectors.as_slice() {
            return Err(Error::usage(format!(
                "{a} ({}) and {b} ({}) cannot be used together",
                first.describe(),
                second.describe()
            )));
        }
        let (selector, mode) = selectors.pop().unwrap_or(("", Mode::Inspect));
        let belongs = |flag: &str, set: bool, ok: bool, home: &str| -> Result<()> {
            match (set, ok, selector) {
                (true, false, "") => Err(Error::usage(format!("{flag} goes with {home}"))),
                (true, false, _) => Err(Error::usage(format!("{flag} goes with {home}, not with {selector}"))),
                _ => Ok(()),
            }
        };
        let audits = mode == Mode::Audit || matches!(mode, Mode::Graph(_)) && self.pki_dir.is_some();
        belongs("--expiry", self.expiry, mode == Mode::Audit, "--pki-dir")?;
        belongs("--node-name", self.node_name.is_some(), audits, "--pki-dir")?;
        belongs("--advertise-address", self.advertise_address.is_some(), audits, "--pki-dir")?;
        belongs("--root", self.root.is_some(), audits, "--pki-dir")?;
        belongs("--kubernetes-version", self.kubernetes_version.is_some(), audits, "--pki-dir")?;
        belongs("--external-etcd", self.external_etcd, audits, "--pki-dir")?;
        let live = mode == Mode::Connect;
        belongs("--servername", self.servername.is_some(), live, "--connect")?;
        belongs("--cert", self.client_cert.is_some(), live, "--connect")?;
        belongs("--timeout", self.timeout.is_some(), live, "--connect")?;
        for (flag, set) in [("--cn", self.cn.is_some()), ("--org", !self.orgs.is_empty()), ("--each", self.each)] {
            belongs(flag, set, !live, "checking files")?;
        }
        belongs(
            "--strict",
            self.strict,
            mode == Mode::Check,
            "--ca-cert (a check; audits and --connect always exit 6 on warnings)",
        )?;
        let takes_files = matches!(mode, Mode::Check | Mode::Inspect | Mode::Signer | Mode::JoinHash);
        belongs("a FILE argument", !self.inputs.is_empty(), takes_files, "inspecting or checking files")?;
        Ok(mode)
    }
}

/// `--timeout` when not given.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// `--warn-within` when not given: 30 days.
pub const DEFAULT_WARN_WITHIN: i64 = 30 * validity::DAY;
