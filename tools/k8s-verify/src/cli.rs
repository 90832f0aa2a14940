//! The flags of `k8s-verify`: the single source of its --help, man page and completions.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{CommandFactory, Parser, ValueEnum};
use k8s_pki::cmd::verify::{Options, OutputFormat};
use k8s_pki::term::ColorChoice;
use k8s_pki::usage::Usage;

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable text
    Text,
    /// JSON (with --expiry: kubeadm's CertificateExpirationInfo)
    Json,
}

/// When to colour the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal, unless NO_COLOR is set
    Auto,
    /// Always
    Always,
    /// Never
    Never,
}

/// Other tools' spellings of these flags (see `k8s_pki_cli::Spelling`).
pub const SPELLINGS: &[k8s_pki_cli::Spelling] = &[
    k8s_pki_cli::Spelling { theirs: "-CAfile", ours: "--ca-cert", from: "openssl verify" },
    k8s_pki_cli::Spelling { theirs: "-untrusted", ours: "--untrusted", from: "openssl verify" },
    k8s_pki_cli::Spelling { theirs: "-purpose", ours: "--purpose", from: "openssl verify" },
    k8s_pki_cli::Spelling { theirs: "--purpose sslserver", ours: "--purpose server", from: "openssl verify -purpose" },
    k8s_pki_cli::Spelling { theirs: "--purpose sslclient", ours: "--purpose client", from: "openssl verify -purpose" },
    k8s_pki_cli::Spelling { theirs: "--usage", ours: "--purpose", from: "k8s-csr, k8s-sign" },
    k8s_pki_cli::Spelling { theirs: "--cert-dir", ours: "--cert-dir", from: "kubeadm certs check-expiration" },
    k8s_pki_cli::Spelling {
        theirs: "--apiserver-advertise-address",
        ours: "--advertise-address",
        from: "kubeadm init",
    },
    k8s_pki_cli::Spelling { theirs: "--service-dns-domain", ours: "--dns-domain", from: "kubeadm init" },
];

pub const EXAMPLES: &[k8s_pki_cli::Example] = &[
    (
        "check a serving certificate as a client would; openssl verify -purpose",
        "k8s-verify --ca-cert pki/ca.crt --purpose server \\\n  --host 10.0.0.10 --host kubernetes pki/apiserver.crt",
    ),
    (
        "check a kubelet's identity: user system:node:node-1, group system:nodes",
        "k8s-verify --ca-cert pki/ca.crt --purpose client \\\n  --cn system:node:node-1 --org system:nodes kubelet.conf",
    ),
    ("what is this certificate, and what does Kubernetes make of it?", "k8s-verify < pki/apiserver.crt"),
    ("audit a whole control-plane node", "k8s-verify --pki-dir /etc/kubernetes"),
    (
        "is the renewed certificate being served? compared with the file on disk",
        "k8s-verify --connect 10.0.0.10:6443 --servername kubernetes \\\n  --ca-cert pki/ca.crt --pki-dir /etc/kubernetes",
    ),
    (
        "does etcd accept this client certificate?",
        "k8s-verify --connect 127.0.0.1:2379 --ca-cert pki/etcd/ca.crt \\\n  --cert pki/etcd/healthcheck-client.crt \\\n  --key pki/etcd/healthcheck-client.key",
    ),
    ("kubeadm certs check-expiration, for monitoring", "k8s-verify --pki-dir /etc/kubernetes --expiry --format json"),
    ("what breaks on 2027-06-01?", "k8s-verify --pki-dir /etc/kubernetes --at 2027-06-01"),
    (
        "the three-CA wiring as Graphviz DOT (render: dot -Tsvg pki.dot)",
        "k8s-verify --pki-dir /etc/kubernetes --graph dot > pki.dot",
    ),
    ("which component flag reads which file", "k8s-verify --flags --pki-dir /etc/kubernetes"),
    (
        "which cluster objects carry which CA, and which Pods mount them",
        "kubectl get cm,secret,pod,apiservice,crd -A -o json > objects.json && \\\n  kubectl get validatingwebhookconfiguration,mutatingwebhookconfiguration \\\n  -o json > webhooks.json && \\\n  k8s-verify --cluster-dump objects.json --cluster-dump webhooks.json \\\n  --pki-dir /etc/kubernetes",
    ),
];

/// Check certificates, inspect them, or audit a whole kubeadm PKI.
///
/// With --ca-cert, --purpose, --host, --cn, --org or --key: checks every certificate in the
/// input (PEM, cfssl JSON, or a kubeconfig's client certificate) and says, for every defect,
/// what a Go component (kube-apiserver, kubelet, etcd) would log. Path validation follows Go's
/// crypto/x509 (docs/verification.md). With --pki-dir: audits a directory laid out like /etc/kubernetes against
/// kubeadm's certificate set. With neither: prints a readable summary of each certificate,
/// CSR, key or kubeconfig, including the user and groups kube-apiserver would see. Output is
/// text unless --format json, whether or not stdout is a terminal.
#[derive(Parser, Debug)]
#[command(name = "k8s-verify", version)]
pub struct Cli {
    /// Files to read: certificates, CSRs, keys, kubeconfigs (default: stdin; - is stdin). When
    /// checking, each input is one chain as a server sends it: its first certificate is checked,
    /// the ones after it are intermediates (--each checks every certificate on its own)
    #[arg(value_name = "FILE")]
    pub inputs: Vec<PathBuf>,

    /// The CA the certificates must chain to; a bundle of several CAs trusts each of them
    #[arg(long, value_name = "FILE", help_heading = "Checks")]
    pub ca_cert: Option<PathBuf>,

    /// The CA as PREFIX, meaning PREFIX.crt (as k8s-sign --ca PREFIX names PREFIX.crt and
    /// PREFIX.key; the key is not needed to verify)
    #[arg(long, value_name = "PREFIX", conflicts_with = "ca_cert", help_heading = "Checks")]
    pub ca: Option<PathBuf>,

    /// Intermediate CA certificates offered for every chain (openssl's -untrusted); repeat
    #[arg(long, value_name = "FILE", help_heading = "Checks")]
    pub untrusted: Vec<PathBuf>,

    /// Check every certificate of the inputs on its own, not the first of each input with the
    /// rest as its chain
    #[arg(long, help_heading = "Checks")]
    pub each: bool,

    /// Follow this Go release's crypto/x509 (19 to 24 for go1.19 to go1.24; Kubernetes 1.33 is
    /// built with go1.24): SHA-1 messages, RSA key minimum, policy extensions
    #[arg(long, value_name = "MINOR", default_value_t = 24, value_parser = clap::value_parser!(u32).range(19..=24), hide = true, conflicts_with = "cluster_dumps")]
    pub go_release: u32,

    /// Required usage; repeat for both
    #[arg(long = "purpose", value_enum, value_name = "PURPOSE", visible_alias = "usage", help_heading = "Checks")]
    pub purposes: Vec<k8s_pki_cli::UsageArg>,

    /// A name or IP a TLS client would dial; must be in the SANs (repeat, or separate with commas)
    #[arg(long = "host", value_name = "NAME|IP", value_delimiter = ',', help_heading = "Checks")]
    pub hosts: Vec<k8s_pki::hostname::Host>,

    /// Required CN (the Kubernetes user name)
    #[arg(long, value_name = "NAME", help_heading = "Checks")]
    pub cn: Option<String>,

    /// Required O values (Kubernetes groups); repeat; all and only these, in any order
    #[arg(long = "org", short = 'O', value_name = "GROUP", help_heading = "Checks")]
    pub orgs: Vec<String>,

    /// The private key that must match the certificate; with --connect, the client key
    #[arg(long, value_name = "FILE", help_heading = "Checks")]
    pub key: Option<PathBuf>,

    /// Check CSRs (PEM, or CertificateSigningRequest objects) against this certificates API signer's
    /// rules, as kube-controller-manager applies them
    #[arg(long, value_name = "NAME", help_heading = "Checks")]
    pub signer: Option<k8s_pki::signer::Signer>,

    /// Print each certificate's kubeadm join discovery hash (sha256:HEX of its public key), the
    /// value kubeadm join --discovery-token-ca-cert-hash takes; give it pki/ca.crt
    #[arg(long)]
    pub join_hash: bool,

    /// Map which cluster objects carry which CA, from kubectl get ... -A -o json output
    /// (ConfigMaps, Secrets, Pods, webhook configurations, APIServices, CRDs, ClusterTrustBundles):
    /// each CA by its key, the fields holding it, the Pods mounting them; repeat to merge dumps
    /// (- is stdin, once); with --pki-dir, the tree's CAs are named and its rotation judged
    #[arg(long = "cluster-dump", value_name = "FILE", help_heading = "Cluster")]
    pub cluster_dumps: Vec<PathBuf>,

    /// Audit a kubeadm directory holding pki/ and the kubeconfigs (e.g. /etc/kubernetes); with
    /// --connect, compare what the endpoint serves with the file that should serve it; with
    /// --cluster-dump, name the tree's CAs in the map
    #[arg(long, value_name = "DIR", help_heading = "Audit")]
    pub pki_dir: Option<PathBuf>,

    /// kubeadm's --cert-dir (e.g. /etc/kubernetes/pki): audits the tree it is the pki/ of, as
    /// --pki-dir of its parent
    #[arg(long, value_name = "DIR", value_parser = k8s_pki_cli::cert_dir_parser, conflicts_with = "pki_dir", help_heading = "Audit")]
    pub cert_dir: Option<PathBuf>,

    /// Connect to a live endpoint (HOST:PORT, or https://HOST:PORT), show the chain it serves and
    /// check it as a Go client would: --host defaults to HOST, --purpose to server
    #[arg(long, value_name = "HOST:PORT", help_heading = "Live endpoint")]
    pub connect: Option<k8s_pki::endpoint::Target>,

    /// The TLS server name to send and check, when not HOST (e.g. --connect 10.0.0.10:6443
    /// --servername kubernetes)
    #[arg(long, value_name = "NAME", help_heading = "Live endpoint")]
    pub servername: Option<String>,

    /// A client certificate for mutual TLS (its chain, and its key unless --key; - is stdin);
    /// says whether the server accepted it
    #[arg(long = "cert", value_name = "FILE", help_heading = "Live endpoint")]
    pub client_cert: Option<PathBuf>,

    /// With --connect and --pki-dir: the file of the tree that should be serving (e.g.
    /// pki/etcd/server.crt), instead of the one the served certificate and the port point to
    #[arg(long, value_name = "REL", requires = "pki_dir", requires = "connect", value_parser = k8s_pki::served::parse_rel, help_heading = "Live endpoint")]
    pub served_file: Option<String>,

    /// A kubeconfig: its current context supplies the server (unless --connect), the CA (unless
    /// --ca-cert) and the client identity (unless --cert)
    #[arg(long, value_name = "FILE", help_heading = "Live endpoint")]
    pub kubeconfig: Option<PathBuf>,

    /// Give up on the endpoint after this long (connect and handshake) [default: 5s]
    #[arg(long, value_name = "SPAN", value_parser = k8s_pki::validity::parse_timeout, help_heading = "Live endpoint")]
    pub timeout: Option<std::time::Duration>,

    /// With --pki-dir: the node name (default: read from pki/apiserver.crt)
    #[arg(long, value_name = "NAME", value_parser = k8s_pki_cli::node_name_parser, help_heading = "Audit")]
    pub node_name: Option<String>,

    /// With --pki-dir: a copy of the node's file system; absolute paths in kubeconfigs (kubelet.conf's
    /// /var/lib/kubelet/pki/kubelet-client-current.pem) are read under it
    #[arg(long, value_name = "DIR", help_heading = "Audit")]
    pub root: Option<PathBuf>,

    /// With --pki-dir: the advertise address (default: read from pki/apiserver.crt)
    #[arg(long, value_name = "IP", visible_alias = "apiserver-advertise-address", help_heading = "Audit")]
    pub advertise_address: Option<IpAddr>,

    /// With --pki-dir: the kubeadm release the tree must match (1.28 to 1.33; default: told by the
    /// groups of admin.conf and the apiserver and etcd client certificates, else the newest)
    #[arg(long, value_name = "VERSION", value_parser = k8s_pki_cli::release_parser, help_heading = "Audit")]
    pub kubernetes_version: Option<&'static k8s_pki::kubeadm::release::Release>,

    /// With --pki-dir: the cluster's etcd is external (kubeadm's etcd.external): no etcd
    /// certificate is expected and --expiry lists none, as kubeadm's does (default: external when
    /// manifests/ holds kube-apiserver.yaml and no etcd.yaml)
    #[arg(long, help_heading = "Audit")]
    pub external_etcd: bool,

    /// Service CIDR, for the API server's service IP
    #[arg(
        long,
        value_name = "CIDR",
        default_value = "10.96.0.0/12",
        conflicts_with = "cluster_dumps",
        help_heading = "Audit"
    )]
    pub service_cidr: k8s_pki::san::ServiceCidr,

    /// Cluster DNS domain
    #[arg(
        long,
        value_name = "DOMAIN",
        default_value = "cluster.local",
        visible_alias = "service-dns-domain",
        conflicts_with = "cluster_dumps",
        help_heading = "Audit"
    )]
    pub dns_domain: String,

    /// With --pki-dir: print when each certificate expires, like kubeadm certs check-expiration
    #[arg(long, help_heading = "Audit")]
    pub expiry: bool,

    /// Evaluate everything as of this date (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_name = "DATE", value_parser = k8s_pki::validity::parse_date, conflicts_with = "cluster_dumps")]
    pub at: Option<k8s_pki::validity::Moment>,

    /// Warn about certificates expiring within this long (e.g. 30d, 720h)
    #[arg(long, value_name = "SPAN", default_value = "30d", conflicts_with = "cluster_dumps")]
    pub warn_within: k8s_pki::validity::Duration,

    /// A check of certificates exits 6 on warnings too (something expires within --warn-within,
    /// a certificate outlives its CA), as --pki-dir and --connect always do: for health checks.
    /// Without it a valid chain exits 0, warnings printed, as openssl verify does
    #[arg(long)]
    pub strict: bool,

    /// Output format
    #[arg(long, value_enum, default_value = "text", help_heading = "Output")]
    pub format: FormatArg,

    /// Colour the text output
    #[arg(long, value_enum, default_value = "auto", help_heading = "Output")]
    pub color: ColorArg,

    /// Show passing checks too
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,

    /// Print the trust graph: which CA signs which file (from --pki-dir when given, marking a
    /// file signed by the wrong CA), and which component flag reads which file
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Learn")]
    pub graph: Option<GraphArg>,

    /// Print the kube-apiserver, controller-manager, scheduler, kubelet and etcd flags that point
    /// at each file of the PKI (under --pki-dir, default /etc/kubernetes)
    #[arg(long, help_heading = "Learn")]
    pub flags: bool,

    #[command(flatten)]
    pub explain: k8s_pki_cli::ExplainArgs,
}

/// Graph formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphArg {
    /// Graphviz DOT (render with dot -Tsvg)
    Dot,
    /// Mermaid flowchart (renders in Markdown on most forges)
    Mermaid,
}

impl Cli {
    /// The options for `k8s_pki::cmd::verify::run`.
    pub fn options(&self) -> Options {
        Options {
            inputs: self.inputs.clone(),
            ca_cert: self.ca_cert.clone().or_else(|| self.ca.as_ref().map(|p| k8s_pki_cli::with_suffix(p, ".crt"))),
            untrusted: self.untrusted.clone(),
            each: self.each,
            go: k8s_pki::go_release::GoRelease { minor: self.go_release },
            purposes: self.purposes.iter().map(|p| Usage::from(*p)).collect(),
            hosts: self.hosts.clone(),
            cn: self.cn.clone(),
            orgs: self.orgs.clone(),
            key: self.key.clone(),
            cluster_dumps: self.cluster_dumps.clone(),
            pki_dir: self.pki_dir.clone().or_else(|| self.cert_dir.clone()),
            served_file: self.served_file.clone(),
            node_name: self.node_name.clone(),
            kubernetes_version: self.kubernetes_version,
            external_etcd: self.external_etcd,
            advertise_address: self.advertise_address,
            root: self.root.clone(),
            service_cidr: self.service_cidr.clone(),
            dns_domain: self.dns_domain.clone(),
            expiry: self.expiry,
            at: self.at,
            warn_within: Some(self.warn_within.clone()),
            strict: self.strict,
            format: match self.format {
                FormatArg::Text => OutputFormat::Text,
                FormatArg::Json => OutputFormat::Json,
            },
            color: match self.color {
                ColorArg::Auto => ColorChoice::Auto,
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
            },
            verbose: self.verbose,
            graph: self.graph.map(|g| match g {
                GraphArg::Dot => k8s_pki::kubeadm::wiring::GraphFormat::Dot,
                GraphArg::Mermaid => k8s_pki::kubeadm::wiring::GraphFormat::Mermaid,
            }),
            flags: self.flags,
            explain: self.explain.explain,
            signer: self.signer.clone(),
            join_hash: self.join_hash,
            connect: self.connect.clone(),
            servername: self.servername.clone(),
            client_cert: self.client_cert.clone(),
            kubeconfig: self.kubeconfig.clone(),
            timeout: self.timeout,
        }
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
