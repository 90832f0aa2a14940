//! The flags of `k8s-kubeconfig`: the single source of its --help, man page and completions.

use std::path::PathBuf;

use clap::{ArgAction, CommandFactory, Parser};
use k8s_pki::cmd::kubeconfig::{Mode, Options};
use k8s_pki::sink::{FileTargets, OutputOptions};
use k8s_pki_cli::FormatArg;

/// Other tools' spellings of these flags (see `k8s_pki_cli::Spelling`).
pub const SPELLINGS: &[k8s_pki_cli::Spelling] = &[
    k8s_pki_cli::Spelling { theirs: "--certificate-authority", ours: "--ca-cert", from: "kubectl config set-cluster" },
    k8s_pki_cli::Spelling { theirs: "--client-certificate", ours: "--cert", from: "kubectl config set-credentials" },
    k8s_pki_cli::Spelling { theirs: "--client-key", ours: "--key", from: "kubectl config set-credentials" },
    k8s_pki_cli::Spelling { theirs: "--embed-certs", ours: "--embed", from: "kubectl config set-cluster" },
    k8s_pki_cli::Spelling {
        theirs: "--apiserver-advertise-address",
        ours: "--advertise-address",
        from: "kubeadm init",
    },
];

pub const EXAMPLES: &[k8s_pki_cli::Example] = &[
    (
        "admin.conf in one pipe; kubectl config set-cluster, set-credentials ...",
        "k8s-genkey | k8s-csr --profile admin | k8s-sign --ca pki/ca \\\n  | k8s-kubeconfig --ca-cert pki/ca.crt --server https://10.0.0.10:6443 \\\n      --out admin.conf",
    ),
    (
        "a kubelet.conf from files already on disk",
        "k8s-kubeconfig --ca-cert pki/ca.crt --cert kubelet.crt --key kubelet.key \\\n  --server https://10.0.0.10:6443 --out kubelet.conf",
    ),
    (
        "add a user to a kubeconfig, as kubectl config set-credentials does",
        "k8s-kubeconfig --ca-cert pki/ca.crt --server https://10.0.0.10:6443 \\\n  --merge ~/.kube/config --out config.new < alice.pem",
    ),
    (
        "the same, written back to the file, switching to alice's context",
        "k8s-kubeconfig --ca-cert pki/ca.crt --server https://10.0.0.10:6443 \\\n  --merge ~/.kube/config --in-place --use-context < alice.pem",
    ),
    (
        "renew admin.conf's client certificate in place (kubeadm certs renew)",
        "k8s-kubeconfig --renew /etc/kubernetes/admin.conf \\\n  --ca /etc/kubernetes/pki/ca",
    ),
    (
        "kubeadm certs generate-csr's csr/admin.conf (key only) and its CSR",
        "k8s-genkey | k8s-csr --profile admin --no-usages \\\n  | k8s-kubeconfig --partial --advertise-address 10.0.0.10 \\\n      --out csr/admin.conf",
    ),
    (
        "the credentials inside a kubeconfig, as PEM: key, client certificate, CA",
        "k8s-kubeconfig --extract < admin.conf | openssl x509 -noout -subject",
    ),
];

/// Turn a client certificate and its key into a kubeconfig that kubectl accepts.
///
/// Reads the certificate and key from stdin (the stream k8s-sign writes, PEM or JSON) or from
/// --cert/--key, checks that the key matches, that the certificate chains to --ca-cert and
/// is allowed for client auth, and writes YAML as kubectl does: one cluster, one user named
/// after the certificate's CN, one context USER@CLUSTER set as current.
#[derive(Parser, Debug)]
#[command(name = "k8s-kubeconfig", version)]
pub struct Cli {
    /// The cluster CA certificate (pki/ca.crt), embedded as certificate-authority-data
    #[arg(long, value_name = "FILE", visible_alias = "certificate-authority")]
    pub ca_cert: Option<PathBuf>,

    /// API server URL
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,

    /// Without --server: this node's address; the server is the one kubeadm writes for the
    /// certificate's identity (admin and super-admin: the control-plane endpoint;
    /// controller-manager and scheduler: https://IP:6443; kubelet: by release)
    #[arg(
        long,
        value_name = "IP",
        conflicts_with = "server",
        visible_alias = "apiserver-advertise-address",
        help_heading = "kubeadm's servers"
    )]
    pub advertise_address: Option<std::net::IpAddr>,

    /// The load balancer's or DNS name's HOST[:PORT] (default port 6443); without it, the
    /// control-plane endpoint is https://ADVERTISE:6443
    #[arg(long, value_name = "HOST[:PORT]", value_parser = k8s_pki_cli::endpoint_parser, requires = "advertise_address", help_heading = "kubeadm's servers")]
    pub control_plane_endpoint: Option<k8s_pki::kubeadm::control_plane::Endpoint>,

    /// The kubeadm release to follow (1.28 to 1.33; default: the newest). With
    /// --advertise-address, its servers: before 1.33 kubelet.conf points at the control-plane
    /// endpoint, from 1.33 at the local API server. With --renew, where the new certificate
    /// starts: at the CA's NotBefore before 1.31, five minutes ago from 1.31
    #[arg(long, value_name = "VERSION", value_parser = k8s_pki_cli::release_parser, help_heading = "kubeadm's servers")]
    pub kubernetes_version: Option<&'static k8s_pki::kubeadm::release::Release>,

    /// Name to check the API server's certificate against, when the URL's host is not in its SANs
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,

    /// Cluster name
    #[arg(long, value_name = "NAME", default_value = "kubernetes")]
    pub cluster_name: String,

    /// User name (default: the certificate's CN)
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Context name (default USER@CLUSTER); with --extract, the context to read (default: current)
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,

    /// Embed certificates and key as base64 data; --embed=false writes the paths of --ca-cert, --cert, --key
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", visible_alias = "embed-certs")]
    pub embed: bool,

    /// Client certificate file, instead of stdin
    #[arg(long, value_name = "FILE", visible_alias = "client-certificate", help_heading = "Input")]
    pub cert: Option<PathBuf>,

    /// Client private key file, instead of stdin
    #[arg(long, value_name = "FILE", visible_alias = "client-key", help_heading = "Input")]
    pub key: Option<PathBuf>,

    /// Read the stream (or, with --extract, the kubeconfig) from FILE instead of stdin
    #[arg(short = 'i', long = "in", value_name = "FILE", help_heading = "Input")]
    pub input: Option<PathBuf>,

    /// Add the cluster, user and context to this existing kubeconfig (replacing entries of the
    /// same name, keeping their other fields) and write the result to stdout, --out, or back to
    /// FILE with --in-place (or --out FILE); current-context stays unless --use-context
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub merge: Option<PathBuf>,

    /// With --merge: write the result back to the merged file (atomically, 0600)
    #[arg(long, requires = "merge", conflicts_with = "out", help_heading = "Output")]
    pub in_place: bool,

    /// With --merge: make the new context current (kubectl config use-context); a new
    /// kubeconfig's one context is always current
    #[arg(long, requires = "merge", help_heading = "Output")]
    pub use_context: bool,

    /// Read a kubeconfig and write its credentials as PEM: key, client certificate, CA
    #[arg(long, conflicts_with_all = ["merge", "server", "cert", "key"])]
    pub extract: bool,

    /// Re-issue the client certificate of this kubeconfig with the same identity and a fresh key,
    /// signed by the CA (--ca or --ca-cert/--ca-key); the old file is kept as FILE.bak-TIMESTAMP
    #[arg(long, value_name = "FILE", conflicts_with_all = ["extract", "merge", "server"], help_heading = "Renewal")]
    pub renew: Option<PathBuf>,

    /// Finish a kubeconfig that kubeadm certs generate-csr wrote (it holds the key only): put
    /// the signed --cert and the --ca-cert into it, in place, after checking them
    #[arg(long, value_name = "FILE", conflicts_with_all = ["extract", "merge", "server", "renew", "key"], requires_all = ["cert", "ca_cert"], help_heading = "External CA")]
    pub complete: Option<PathBuf>,

    /// Write what kubeadm certs generate-csr writes for an external CA, from the key and CSR on
    /// stdin (pipe k8s-csr): --out FILE holding the key and the server only, and FILE.csr
    #[arg(long, conflicts_with_all = ["extract", "merge", "renew", "complete", "cert", "key", "ca_cert", "ca"], requires = "out", help_heading = "External CA")]
    pub partial: bool,

    /// With --renew: the CA as PREFIX.crt and PREFIX.key
    #[arg(long, value_name = "PREFIX", conflicts_with_all = ["ca_cert", "ca_key"], help_heading = "Renewal")]
    pub ca: Option<PathBuf>,

    /// With --renew: the CA private key
    #[arg(long, value_name = "FILE", help_heading = "Renewal")]
    pub ca_key: Option<PathBuf>,

    /// With --renew: validity in days (default 365)
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with = "duration",
        help_heading = "Renewal"
    )]
    pub days: Option<i64>,

    /// With --renew: validity as a duration: 8760h, 1y, 90d
    #[arg(long, value_name = "SPAN", help_heading = "Renewal")]
    pub duration: Option<k8s_pki::validity::Duration>,

    /// With --renew: keep the old key instead of generating a new one
    #[arg(long, requires = "renew", help_heading = "Renewal")]
    pub reuse_key: bool,

    /// With --renew: re-issue a client certificate that the CA did not issue (renewal otherwise
    /// refuses it, exit 4); REASON is said in the warning
    #[arg(long, value_name = "REASON", requires = "renew", help_heading = "Renewal")]
    pub foreign_issuer: Option<String>,

    /// With --renew: the CA that issued the old client certificate, when it is not the signing
    /// CA (a CA rotation re-issues under the new CA what the old one issued)
    #[arg(
        long,
        value_name = "CA_CERT",
        requires = "renew",
        conflicts_with = "foreign_issuer",
        help_heading = "Renewal"
    )]
    pub issued_by: Option<PathBuf>,

    /// With --renew: cut a certificate that would outlive its CA to the CA's expiry (default: warn)
    #[arg(long, requires = "renew", help_heading = "Renewal")]
    pub clamp: bool,

    /// Write to FILE (mode 0600, atomically) instead of stdout; with --extract, the credentials
    /// as PEM (key, client certificate, CA)
    #[arg(short = 'o', long, value_name = "FILE", help_heading = "Output")]
    pub out: Option<PathBuf>,

    /// With --extract: output format on stdout
    #[arg(long, value_enum, default_value = "pem", help_heading = "Output")]
    pub format: FormatArg,

    /// Replace an existing file, keeping the old one as FILE.bak-TIMESTAMP (said on stderr);
    /// allow a kubeconfig holding a key to be printed to a terminal
    #[arg(short = 'f', long, help_heading = "Output")]
    pub force: bool,

    #[command(flatten)]
    pub explain: k8s_pki_cli::ExplainArgs,
}

impl Cli {
    /// The options for `k8s_pki::cmd::kubeconfig::run`.
    /// The one mode the flags choose (clap has refused two).
    fn mode(&self) -> Mode {
        match (&self.renew, &self.complete) {
            (Some(path), _) => Mode::Renew(path.clone()),
            (_, Some(path)) => Mode::Complete(path.clone()),
            _ if self.extract => Mode::Extract,
            _ if self.partial => Mode::Partial,
            _ => Mode::Build,
        }
    }

    pub fn options(&self) -> Options {
        let prefixed = |suffix: &str| self.ca.as_ref().map(|p| k8s_pki_cli::with_suffix(p, suffix));
        Options {
            ca_cert: prefixed(".crt").or_else(|| self.ca_cert.clone()),
            ca_key: prefixed(".key").or_else(|| self.ca_key.clone()),
            mode: self.mode(),
            days: self.days,
            duration: self.duration.clone(),
            reuse_key: self.reuse_key,
            foreign_issuer: self.foreign_issuer.clone(),
            issued_by: self.issued_by.clone(),
            clamp: self.clamp,
            explain: self.explain.explain,
            server: self.server.clone(),
            endpoints: self.advertise_address.map(|advertise| k8s_pki::kubeadm::control_plane::Endpoints {
                advertise,
                control_plane: self.control_plane_endpoint.clone(),
            }),
            release: self.kubernetes_version,
            tls_server_name: self.tls_server_name.clone(),
            cluster_name: self.cluster_name.clone(),
            user: self.user.clone(),
            context: self.context.clone(),
            embed: self.embed,
            cert: self.cert.clone(),
            key: self.key.clone(),
            input: self.input.clone(),
            merge: self.merge.clone(),
            in_place: self.in_place,
            use_context: self.use_context,
            out: self.out.clone(),
            force: self.force,
            extract_output: OutputOptions {
                format: self.format.into(),
                files: FileTargets::default(),
                force: self.force,
                key_file_flags: Some("--out FILE"),
            },
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
