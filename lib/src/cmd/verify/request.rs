//! What `k8s-verify` does, as one typed request: [`Options::mode`] decides the mode once from the
//! flags (two modes, or a flag of another mode, are a usage error), and [`Request::of`] gives
//! that mode its own flags and nothing else; [`Show`] is how the findings are shown, whatever
//! the mode.

use std::path::{Path, PathBuf};

use super::options::{DEFAULT_TIMEOUT, DEFAULT_WARN_WITHIN, Mode, Options, OutputFormat};
use crate::audit::AuditOptions;
use crate::error::Result;
use crate::go_release::GoRelease;
use crate::hostname::Host;
use crate::kubeadm::wiring::GraphFormat;
use crate::term::{Paint, use_color};
use crate::usage::Usage;
use crate::validity;

/// How the findings are shown, and as of when they are judged.
pub(super) struct Show {
    pub format: OutputFormat,
    /// `-v`: passing checks too.
    pub verbose: bool,
    /// `--explain`: the equivalent openssl commands, and who writes what.
    pub explain: bool,
    /// `--at`, or now.
    pub at: i64,
    /// `--warn-within`, in seconds.
    pub warn_within: i64,
    pub paint: Paint,
}

/// The files named on the command line (none: stdin; `-` is stdin too).
pub(super) struct Inputs(pub Vec<PathBuf>);

impl Inputs {
    /// Each input to open: a file, or `None` for stdin.
    pub fn sources(&self) -> Vec<Option<&Path>> {
        if self.0.is_empty() { vec![None] } else { self.0.iter().map(|p| crate::input::named(Some(p))).collect() }
    }
}

/// A kubeadm tree to audit, and how.
pub(super) struct Tree {
    pub dir: PathBuf,
    pub audit: AuditOptions,
}

/// `--ca-cert`, `--purpose`, `--host`, `--cn`, `--org`, `--key`, `--untrusted`, `--each`.
pub(super) struct Check {
    pub inputs: Inputs,
    pub ca_cert: Option<PathBuf>,
    pub untrusted: Vec<PathBuf>,
    pub each: bool,
    pub go: GoRelease,
    pub purposes: Vec<Usage>,
    pub hosts: Vec<Host>,
    pub cn: Option<String>,
    pub orgs: Vec<String>,
    pub key: Option<PathBuf>,
    pub strict: bool,
}

/// `--connect HOST:PORT` or `--kubeconfig FILE`, with what to check of the endpoint.
pub(super) struct Connect {
    pub target: Option<crate::endpoint::Target>,
    pub kubeconfig: Option<PathBuf>,
    pub servername: Option<String>,
    pub client_cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub timeout: std::time::Duration,
    pub ca_cert: Option<PathBuf>,
    pub untrusted: Vec<PathBuf>,
    pub purposes: Vec<Usage>,
    pub hosts: Vec<Host>,
    pub go: GoRelease,
    /// `--pki-dir`: the tree whose file should be serving.
    pub tree: Option<PathBuf>,
    /// `--served-file`: that file, when not the one the certificate and the port point to.
    pub served_file: Option<String>,
}

/// What k8s-verify was asked to do: one mode, with its own flags.
pub(super) enum Request {
    /// `--flags`: the component flags that read each file of the tree (default /etc/kubernetes).
    Flags {
        pki_dir: Option<PathBuf>,
    },
    /// `--graph FORMAT`: the trust graph, with each file's actual signer when a tree is given.
    Graph {
        format: GraphFormat,
        tree: Option<Tree>,
    },
    /// `--pki-dir DIR`: the audit, or with `--expiry` the expiry table.
    Audit {
        tree: Tree,
        expiry: bool,
    },
    /// `--signer NAME`: would that signer accept these CSRs?
    Signer {
        signer: crate::signer::Signer,
        inputs: Inputs,
    },
    Check(Check),
    /// `--join-hash`: each certificate's discovery hash.
    JoinHash {
        inputs: Inputs,
        go: GoRelease,
    },
    Connect(Box<Connect>),
    /// `--cluster-dump FILE`: the trust map, with `--pki-dir` the tree's CAs named.
    TrustMap {
        dumps: Vec<PathBuf>,
        pki_dir: Option<PathBuf>,
    },
    /// No mode flag: what each input holds.
    Inspect {
        inputs: Inputs,
        go: GoRelease,
    },
}

impl Request {
    /// The request the flags make, and how to show its findings.
    pub fn of(opts: &Options) -> Result<(Request, Show)> {
        let mode = opts.mode()?;
        let at = opts.at.map_or_else(validity::now, |t| t.as_second());
        let warn_within = match &opts.warn_within {
            Some(d) => d.seconds_from(at)?,
            None => DEFAULT_WARN_WITHIN,
        };
        let paint = Paint::new(opts.format == OutputFormat::Text && use_color(opts.color));
        let show = Show { format: opts.format, verbose: opts.verbose, explain: opts.explain, at, warn_within, paint };
        let inputs = || Inputs(opts.inputs.clone());
        let tree = || opts.pki_dir.clone().map(|dir| Tree { dir, audit: audit_options(opts, at, warn_within) });
        let request = match (mode, tree()) {
            (Mode::Flags, _) => Request::Flags { pki_dir: opts.pki_dir.clone() },
            (Mode::Graph(format), tree) => Request::Graph { format, tree },
            (Mode::Audit, Some(tree)) => Request::Audit { tree, expiry: opts.expiry },
            (Mode::Signer, _) => match &opts.signer {
                Some(signer) => Request::Signer { signer: signer.clone(), inputs: inputs() },
                None => return Err(crate::error::Error::internal("the signer mode without --signer")),
            },
            (Mode::JoinHash, _) => Request::JoinHash { inputs: inputs(), go: opts.go },
            (Mode::Connect, _) => Request::Connect(Box::new(connect(opts))),
            (Mode::TrustMap, _) => {
                Request::TrustMap { dumps: opts.cluster_dumps.clone(), pki_dir: opts.pki_dir.clone() }
            }
            (Mode::Inspect, _) => Request::Inspect { inputs: inputs(), go: opts.go },
            (Mode::Check, _) => Request::Check(check(opts)),
            (Mode::Audit, None) => return Err(crate::error::Error::internal("the audit mode without --pki-dir")),
        };
        Ok((request, show))
    }
}

fn check(opts: &Options) -> Check {
    Check {
        inputs: Inputs(opts.inputs.clone()),
        ca_cert: opts.ca_cert.clone(),
        untrusted: opts.untrusted.clone(),
        each: opts.each,
        go: opts.go,
        purposes: opts.purposes.clone(),
        hosts: opts.hosts.clone(),
        cn: opts.cn.clone(),
        orgs: opts.orgs.clone(),
        key: opts.key.clone(),
        strict: opts.strict,
    }
}

fn connect(opts: &Options) -> Connect {
    Connect {
        target: opts.connect.clone(),
        kubeconfig: opts.kubeconfig.clone(),
        servername: opts.servername.clone(),
        client_cert: opts.client_cert.clone(),
        key: opts.key.clone(),
        timeout: opts.timeout.unwrap_or(DEFAULT_TIMEOUT),
        ca_cert: opts.ca_cert.clone(),
        untrusted: opts.untrusted.clone(),
        purposes: opts.purposes.clone(),
        hosts: opts.hosts.clone(),
        go: opts.go,
        tree: opts.pki_dir.clone(),
        served_file: opts.served_file.clone(),
    }
}

/// The audit's options from k8s-verify's.
fn audit_options(opts: &Options, at: i64, warn_within: i64) -> AuditOptions {
    AuditOptions {
        node_name: opts.node_name.clone(),
        advertise_address: opts.advertise_address,
        service_cidr: opts.service_cidr.clone(),
        dns_domain: opts.dns_domain.clone(),
        at,
        warn_within,
        root: opts.root.clone(),
        release: opts.kubernetes_version,
        external_etcd: opts.external_etcd,
    }
}
