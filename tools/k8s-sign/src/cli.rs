//! The flags of `k8s-sign`: the single source of its --help, man page and completions.

use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use k8s_pki::cmd::sign::{Options, SignWith};
use k8s_pki::sink::FileTargets;
use k8s_pki::usage::Usage;
use k8s_pki_cli::{OutputArgs, UsageArg, with_suffix};

/// Other tools' spellings of these flags (see `k8s_pki_cli::Spelling`).
pub const SPELLINGS: &[k8s_pki_cli::Spelling] = &[
    k8s_pki_cli::Spelling { theirs: "-CA", ours: "--ca-cert", from: "openssl x509 -req" },
    k8s_pki_cli::Spelling { theirs: "-CAkey", ours: "--ca-key", from: "openssl x509 -req" },
    k8s_pki_cli::Spelling { theirs: "-ca", ours: "--ca-cert", from: "cfssl gencert" },
    k8s_pki_cli::Spelling { theirs: "-ca-key", ours: "--ca-key", from: "cfssl gencert" },
    k8s_pki_cli::Spelling { theirs: "-config", ours: "--config", from: "cfssl gencert" },
    k8s_pki_cli::Spelling { theirs: "-profile", ours: "--profile", from: "cfssl gencert" },
    k8s_pki_cli::Spelling { theirs: "-bare", ours: "--bare", from: "cfssljson" },
    k8s_pki_cli::Spelling { theirs: "-days", ours: "--days", from: "openssl x509 -req" },
    k8s_pki_cli::Spelling { theirs: "-in", ours: "--in", from: "openssl x509 -req" },
    k8s_pki_cli::Spelling { theirs: "-signkey", ours: "--self-sign --key", from: "openssl x509 -req" },
    k8s_pki_cli::Spelling { theirs: "--purpose", ours: "--usage", from: "openssl verify" },
    k8s_pki_cli::Spelling { theirs: "--usage sslserver", ours: "--usage server", from: "openssl verify -purpose" },
    k8s_pki_cli::Spelling { theirs: "--usage clientAuth", ours: "--usage client", from: "x509 EKU names" },
];

pub const EXAMPLES: &[k8s_pki_cli::Example] = &[
    (
        "a self-signed CA, 10 years; openssl req -x509 -new -subj /CN=kubernetes",
        "k8s-genkey | k8s-csr --profile ca --cn kubernetes \\\n  | k8s-sign --self-sign --out pki/ca",
    ),
    (
        "openssl x509 -req -CA ca.crt -CAkey ca.key -days 365 -extfile san.cnf",
        "k8s-sign --ca pki/ca --days 365 --in apiserver.csr \\\n  --cert-out pki/apiserver.crt",
    ),
    (
        "a CSR from someone else: the signer decides usages and validity",
        "k8s-sign --ca pki/ca --profile admin --days 30 < alice.csr > alice.crt",
    ),
    (
        "kubeadm's external CA: the node's CSRs in one batch, kubeadm's usages",
        "k8s-sign --ca pki/ca --profile auto --beside \\\n  node/pki/apiserver.csr node/admin.conf.csr",
    ),
    (
        "batch: many CSRs in, as many certificates out, in order",
        "cat csrs/*.csr | k8s-sign --ca pki/ca --usage client > certs.pem",
    ),
];

/// Sign certificate signing requests with a CA, or self-sign a new CA.
///
/// Reads a stream of PEM blocks: every CSR is checked (its own signature first) and replaced
/// by a certificate; every other block (the private key above all) passes through. The CA
/// key must match the CA certificate, the CA must be a CA and in date.
#[derive(Parser, Debug)]
#[command(name = "k8s-sign", version)]
pub struct Cli {
    /// CA certificate and key as PREFIX.crt and PREFIX.key (kubeadm's naming)
    #[arg(long, value_name = "PREFIX", conflicts_with_all = ["ca_cert", "ca_key"], help_heading = "Signer")]
    pub ca: Option<PathBuf>,

    /// CA certificate file
    #[arg(long, value_name = "FILE", requires = "ca_key", help_heading = "Signer")]
    pub ca_cert: Option<PathBuf>,

    /// CA private key file
    #[arg(long, value_name = "FILE", requires = "ca_cert", help_heading = "Signer")]
    pub ca_key: Option<PathBuf>,

    /// Self-sign each CSR with its own key (from the stream, or --key): makes a root CA
    #[arg(long, conflicts_with_all = ["ca", "ca_cert", "ca_key"], help_heading = "Signer")]
    pub self_sign: bool,

    /// With --self-sign: the key, from a file instead of the stream
    #[arg(short, long, value_name = "FILE", requires = "self_sign", help_heading = "Signer")]
    pub key: Option<PathBuf>,

    /// Validity in days from now (default 365; 3650 for a CA)
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        conflicts_with = "duration",
        help_heading = "Validity"
    )]
    pub days: Option<i64>,

    /// Validity as a duration: 8760h, 365d, 1y, 90m
    #[arg(long, value_name = "SPAN", help_heading = "Validity")]
    pub duration: Option<k8s_pki::validity::Duration>,

    /// Start of validity (YYYY-MM-DD or RFC 3339; default now - 5 minutes, for clock skew)
    #[arg(long, value_name = "DATE", value_parser = k8s_pki::validity::parse_date, help_heading = "Validity")]
    pub not_before: Option<k8s_pki::validity::Moment>,

    /// End of validity (YYYY-MM-DD or RFC 3339), instead of --days
    #[arg(long, value_name = "DATE", value_parser = k8s_pki::validity::parse_date, conflicts_with_all = ["days", "duration"], help_heading = "Validity")]
    pub not_after: Option<k8s_pki::validity::Moment>,

    /// Set NotBefore as this kubeadm release does (1.28 to 1.33; default: the newest): 1.28 to
    /// 1.30 start a certificate at its CA's NotBefore, 1.31 and later 5 minutes before now
    #[arg(long, value_name = "VERSION", value_parser = k8s_pki_cli::release_parser, conflicts_with = "not_before", help_heading = "Validity")]
    pub kubernetes_version: Option<&'static k8s_pki::kubeadm::release::Release>,

    /// Cut a certificate that would outlive its CA to the CA's expiry (default: warn)
    #[arg(long, help_heading = "Validity")]
    pub clamp: bool,

    /// Grant these usages whatever the CSR asked for; repeat for both
    #[arg(short, long = "usage", value_enum, value_name = "USAGE", visible_alias = "purpose", help_heading = "Policy")]
    pub usages: Vec<UsageArg>,

    /// Grant the usages of a kubeadm profile (see k8s-csr --list-profiles); "auto" picks the
    /// profile of each CSR's identity (CN and O), for CSRs that request no usages. With --config:
    /// a profile of that file
    #[arg(short, long, value_name = "NAME", value_parser = k8s_pki_cli::ProfileName, help_heading = "Policy")]
    pub profile: Option<String>,

    /// cfssl's signing config (ca-config.json): sign with its --profile NAME (default: its
    /// default profile), taking the usages, expiry and ca_constraint; --days/--duration override
    /// the expiry, and fields k8s-sign does not apply are named in a warning
    #[arg(long, value_name = "FILE", conflicts_with_all = ["usages", "signer", "self_sign"], help_heading = "Policy")]
    pub config: Option<PathBuf>,

    /// With --self-sign: a cfssl CSR JSON whose "ca" object sets the new CA's lifetime ("expiry";
    /// cfssl's 43800h when absent) and path length ("pathlen", "pathlenzero"), as cfssl gencert
    /// -initca reads them; --days/--duration override the expiry
    #[arg(long, value_name = "FILE", requires = "self_sign", conflicts_with_all = ["config", "profile"], help_heading = "Policy")]
    pub cfssl: Option<PathBuf>,

    /// Sign as kube-controller-manager's signer NAME would (kubernetes.io/kube-apiserver-client,
    /// kubernetes.io/kube-apiserver-client-kubelet or kubernetes.io/kubelet-serving; another name
    /// is refused): its rules (refused in its words), usages
    /// from the request, validity from spec.expirationSeconds (default 1 year) clamped to the CA;
    /// reads a CertificateSigningRequest object (kubectl get csr -o json|yaml) or PEM, and writes
    /// the object back with status.certificate set
    #[arg(long, value_name = "NAME", value_parser = k8s_pki::signer::built_in, conflicts_with_all = ["self_sign", "profile", "usages"], help_heading = "Certificates API")]
    pub signer: Option<k8s_pki::signer::Signer>,

    /// Allow a CSR that asks for CA:TRUE (an intermediate CA)
    #[arg(long, help_heading = "Policy")]
    pub allow_ca: bool,

    /// Read the stream from FILE instead of stdin
    #[arg(short = 'i', long = "in", value_name = "FILE", help_heading = "Input")]
    pub input: Option<PathBuf>,

    /// CSR files to sign in one batch (instead of stdin)
    #[arg(value_name = "CSR", conflicts_with = "input", help_heading = "Input")]
    pub files: Vec<PathBuf>,

    /// Write each certificate beside its CSR file (x.csr -> x.crt), all or none
    #[arg(long, requires = "files", conflicts_with_all = ["out", "bare", "cert_out", "key_out"], help_heading = "Output")]
    pub beside: bool,

    /// Keep each CSR in the output stream, before its certificate (the default with --format json
    /// and --bare, as cfssl gencert's JSON carries it and cfssljson writes NAME.csr)
    #[arg(long, help_heading = "Output")]
    pub keep_csr: bool,

    /// Leave each CSR out of the output, also with --format json and --bare
    #[arg(long, conflicts_with = "keep_csr", help_heading = "Output")]
    pub drop_csr: bool,

    /// Write the certificate to FILE instead of stdout
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub cert_out: Option<PathBuf>,

    /// Write the private key passing through to FILE (0600) instead of stdout
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub key_out: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub explain: k8s_pki_cli::ExplainArgs,
}

impl Cli {
    /// The options for `k8s_pki::cmd::sign::run`.
    pub fn options(&self) -> k8s_pki::Result<Options> {
        // clap keeps --ca, --ca-cert/--ca-key (together) and --self-sign (with --key) apart.
        let with = match (&self.ca, &self.ca_cert, &self.ca_key) {
            _ if self.self_sign => Some(SignWith::SelfSign { key: self.key.clone() }),
            (Some(prefix), ..) => {
                Some(SignWith::Ca { cert: with_suffix(prefix, ".crt"), key: with_suffix(prefix, ".key") })
            }
            (None, Some(cert), Some(key)) => Some(SignWith::Ca { cert: cert.clone(), key: key.clone() }),
            _ => None,
        };
        let files = FileTargets { cert: self.cert_out.clone(), key: self.key_out.clone(), ..FileTargets::default() };
        Ok(Options {
            with,
            days: self.days,
            duration: self.duration.clone(),
            not_before: self.not_before,
            not_after: self.not_after,
            release: self.kubernetes_version,
            usages: self.usages.iter().map(|u| Usage::from(*u)).collect(),
            profile: match (&self.config, &self.profile) {
                (None, Some(name)) => Some(k8s_pki_cli::profile_choice(name)?),
                _ => None,
            },
            cfssl: match &self.config {
                Some(path) => Some(k8s_pki::cfssl_signing::read(path, self.profile.as_deref())?),
                None => None,
            },
            initca: match &self.cfssl {
                Some(path) => Some(k8s_pki::cfssl::CsrJson::read(path)?.initca(&path.display().to_string())?),
                None => None,
            },
            allow_ca: self.allow_ca,
            clamp: self.clamp,
            keep_csr: self.keep_csr
                || (!self.drop_csr
                    && (self.output.format == k8s_pki_cli::FormatArg::Json || self.output.bare.is_some())),
            input: self.input.clone(),
            files: self.files.clone(),
            beside: self.beside,
            output: self.output.options(files),
            explain: self.explain.explain,
            signer: self.signer.clone(),
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
