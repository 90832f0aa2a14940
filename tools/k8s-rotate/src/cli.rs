//! The flags of `k8s-rotate`: the single source of its --help, man page and completions.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

/// Other tools' spellings of these flags (see `k8s_pki_cli::Spelling`).
pub const SPELLINGS: &[k8s_pki_cli::Spelling] = &[];

pub const EXAMPLES: &[k8s_pki_cli::Example] = &[
    (
        "what each step writes and restarts, node by node; nothing is written",
        "k8s-rotate plan --pki-dir /etc/kubernetes --all",
    ),
    ("new CAs and SA key; every trust file becomes old+new", "k8s-rotate prepare --pki-dir /etc/kubernetes --all"),
    (
        "after the restarts prepare listed: new CAs sign, clients are re-issued",
        "k8s-rotate issue --pki-dir /etc/kubernetes --step clients \\\n  --confirm prepare-restarts",
    ),
    (
        "after clients and Pods restarted: server certificates are re-issued",
        "k8s-rotate issue --pki-dir /etc/kubernetes --step servers \\\n  --confirm clients-refreshed",
    ),
    ("the old CAs and SA key leave every trust file", "k8s-rotate distrust --pki-dir /etc/kubernetes"),
    ("the old private keys are deleted", "k8s-rotate finish --pki-dir /etc/kubernetes"),
    ("where the rotation is, for scripts", "k8s-rotate status --pki-dir /etc/kubernetes --format json"),
    ("one step back, from any phase before finish", "k8s-rotate rollback --pki-dir /etc/kubernetes"),
    (
        "a new etcd CA made by the other tools",
        "k8s-genkey | k8s-csr --profile etcd-ca --cn etcd-ca-2027 \\\n  | k8s-sign --self-sign \\\n  | k8s-rotate prepare --target etcd-ca --pki-dir /etc/kubernetes -",
    ),
];

/// Rotate a kubeadm cluster's CAs and service-account key in safe, resumable steps.
///
/// prepare -> issue --step clients -> issue --step servers -> distrust -> finish, recorded in
/// PKI-DIR/pki/rotation.json. Trust files hold old and new CA (signer first) while certificates
/// move over, clients before servers, so nothing a restarting process holds stops verifying.
/// A step is refused (exit 4) unless every certificate from before and after it verifies, with
/// Go's semantics, against every trust file its peers may have loaded, and the previous step's
/// restarts are confirmed; --force REASON overrides and records why. Originals go to
/// PKI-DIR/backup-TIMESTAMP/; an interrupted step finishes when run again. docs/rotation.md has
/// the phases, the files and the restart plan.
#[derive(Parser, Debug)]
#[command(name = "k8s-rotate", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Sub,
}

/// The steps and reports.
#[derive(Subcommand, Debug)]
pub enum Sub {
    /// What every remaining step writes and restarts, in order; writes nothing
    Plan(PlanArgs),
    /// idle -> prepare: a new CA (or SA key) per target; every trust file becomes old+new
    Prepare(PrepareArgs),
    /// prepare -> issue/clients, then issue/clients -> issue/servers: the new CAs sign
    Issue(IssueCmd),
    /// issue/servers -> distrust: the old CAs and SA key leave every trust file
    Distrust(DistrustArgs),
    /// distrust -> done: the old private keys are deleted
    Finish(Common),
    /// Where the rotation is, and what comes next
    Status(Common),
    /// One step back, from any phase before done: the step's backup is put back
    Rollback(Common),
}

/// `plan`'s flags.
#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub choice: Choice,
    /// Plan only up to this step (prepare, clients, servers, distrust, finish)
    #[arg(long, value_enum, value_name = "STEP")]
    pub to: Option<UntilArg>,
    #[command(flatten)]
    pub cluster: ClusterDump,
}

/// `distrust`'s flags.
#[derive(Args, Debug, Clone)]
pub struct DistrustArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub cluster: ClusterDump,
}

/// The cluster's objects, for plan and distrust.
#[derive(Args, Debug, Clone)]
pub struct ClusterDump {
    /// A dump of the cluster's objects (kubectl get configmaps,secrets,pods,
    /// validatingwebhookconfigurations,mutatingwebhookconfigurations,apiservices,
    /// customresourcedefinitions -A -o json); repeat to merge, - is stdin. plan lists the objects
    /// each step needs updated and by whom; distrust refuses while one carries an old CA without
    /// the new one
    #[arg(long = "cluster-dump", value_name = "FILE")]
    pub cluster_dumps: Vec<PathBuf>,
}

/// A step, as `plan --to` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UntilArg {
    /// idle -> prepare
    Prepare,
    /// prepare -> issue/clients
    Clients,
    /// issue/clients -> issue/servers
    Servers,
    /// issue/servers -> distrust
    Distrust,
    /// distrust -> done
    Finish,
}

/// `prepare`'s flags.
#[derive(Args, Debug, Clone)]
pub struct PrepareArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub choice: Choice,
    #[command(flatten)]
    pub new: New,
}

/// `issue`'s flags.
#[derive(Args, Debug, Clone)]
pub struct IssueCmd {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub issue: IssueArgs,
}

/// Flags every subcommand takes.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// The directory holding pki/ and the kubeconfigs (/etc/kubernetes)
    #[arg(long, value_name = "DIR")]
    pub pki_dir: PathBuf,
    /// Show what the step would write and restart; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Overrides the step's gate, recorded in rotation.json with REASON
    #[arg(long, value_name = "REASON")]
    pub force: Option<String>,
    /// The operator's word that the previous step's restarts were done (prepare-restarts,
    /// clients-refreshed), or, for distrust, that each kubelet's own client certificate on its
    /// node is signed by the new CA (kubelet-clients-renewed)
    #[arg(long, value_name = "WHAT")]
    pub confirm: Vec<String>,
    /// Only what node NAME needs: the shared files and nodes/NAME/, its restarts
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
    /// Output format of plan, status and each step's report
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    #[command(flatten)]
    pub explain: k8s_pki_cli::ExplainArgs,
}

/// What to rotate.
#[derive(Args, Debug, Clone)]
pub struct Choice {
    /// Rotate the three CAs and the service-account key
    #[arg(long)]
    pub all: bool,
    /// Rotate this one (repeatable)
    #[arg(long, value_enum, value_name = "TARGET")]
    pub target: Vec<TargetArg>,
}

/// How new CAs and keys are made.
#[derive(Args, Debug, Clone)]
pub struct New {
    /// The new CA (certificate and key, as k8s-sign --self-sign writes them) from FILE; - is stdin
    #[arg(value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// CN of the new CA (default: kubeadm's CN and @ and the Unix time, e.g. kubernetes@1795000000)
    #[arg(long, value_name = "CN", conflicts_with = "same_cn")]
    pub cn: Option<String>,
    /// Keep the old CA's CN (Go's messages then cannot tell old and new apart)
    #[arg(long)]
    pub same_cn: bool,
    /// Lifetime of new CAs, days (default 3650, kubeadm's)
    #[arg(long, value_name = "N", allow_negative_numbers = true, conflicts_with = "duration")]
    pub days: Option<i64>,
    /// Lifetime of new CAs as a duration: 87600h, 10y
    #[arg(long, value_name = "SPAN")]
    pub duration: Option<k8s_pki::validity::Duration>,
    /// Key algorithm of new CAs and keys (default: the old key's)
    #[arg(long, value_enum, value_name = "ALGO")]
    pub algo: Option<AlgoArg>,
    /// Least time between the new SA key starting to sign and distrust (kubelets refresh
    /// tokens within 24h)
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub sa_min_soak: String,
}

/// `issue`'s flags.
#[derive(Args, Debug, Clone)]
pub struct IssueArgs {
    /// Which certificates: clients first, then servers
    #[arg(long, value_enum)]
    pub step: StepArg,
    /// Keep each certificate's key (default: a fresh key of the same algorithm)
    #[arg(long)]
    pub keep_keys: bool,
    /// Lifetime of re-issued certificates, days (default 365, kubeadm's)
    #[arg(long, value_name = "N", allow_negative_numbers = true, conflicts_with = "duration")]
    pub days: Option<i64>,
    /// Lifetime of re-issued certificates as a duration: 8760h, 1y, 90d
    #[arg(long, value_name = "SPAN")]
    pub duration: Option<k8s_pki::validity::Duration>,
}

/// `--step`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StepArg {
    /// Client certificates and kubeconfigs; the new CAs and SA key start signing
    Clients,
    /// Server certificates (etcd peers too)
    Servers,
}

/// `--target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// The cluster CA (pki/ca)
    Ca,
    /// The etcd CA (pki/etcd/ca)
    EtcdCa,
    /// The front-proxy CA (pki/front-proxy-ca)
    FrontProxyCa,
    /// The service-account key (pki/sa.key, pki/sa.pub)
    Sa,
}

/// `--algo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AlgoArg {
    /// RSA 2048 (kubeadm's default)
    Rsa2048,
    /// RSA 3072
    Rsa3072,
    /// RSA 4096
    Rsa4096,
    /// ECDSA P-256
    EcdsaP256,
    /// ECDSA P-384
    EcdsaP384,
}

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Human-readable text
    Text,
    /// JSON
    Json,
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
