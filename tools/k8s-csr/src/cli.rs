//! The flags of `k8s-csr`: the single source of its --help, man page and completions.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use k8s_pki::cmd::csr::Options;
use k8s_pki::kubeadm::profile::Params;
use k8s_pki::sink::FileTargets;
use k8s_pki::usage::Usage;
use k8s_pki_cli::{OutputArgs, UsageArg};

/// Other tools' spellings of these flags (see `k8s_pki_cli::Spelling`).
pub const SPELLINGS: &[k8s_pki_cli::Spelling] = &[
    k8s_pki_cli::Spelling { theirs: "-subj", ours: "--subj", from: "openssl req" },
    k8s_pki_cli::Spelling { theirs: "-key", ours: "--key", from: "openssl req" },
    k8s_pki_cli::Spelling { theirs: "-bare", ours: "--bare", from: "cfssljson" },
    k8s_pki_cli::Spelling { theirs: "-hostname", ours: "--san", from: "cfssl gencert" },
    k8s_pki_cli::Spelling { theirs: "--apiserver-cert-extra-sans", ours: "--san", from: "kubeadm init" },
    k8s_pki_cli::Spelling {
        theirs: "--apiserver-advertise-address",
        ours: "--advertise-address",
        from: "kubeadm init",
    },
    k8s_pki_cli::Spelling { theirs: "--service-dns-domain", ours: "--dns-domain", from: "kubeadm init" },
    k8s_pki_cli::Spelling { theirs: "--purpose", ours: "--usage", from: "openssl verify" },
    k8s_pki_cli::Spelling { theirs: "--usage sslserver", ours: "--usage server", from: "openssl verify -purpose" },
    k8s_pki_cli::Spelling {
        theirs: "--usage serverAuth",
        ours: "--usage server",
        from: "x509 EKU names, cfssl's \"server auth\"",
    },
    k8s_pki_cli::Spelling { theirs: "--usage sslclient", ours: "--usage client", from: "openssl verify -purpose" },
    k8s_pki_cli::Spelling {
        theirs: "--usage clientAuth",
        ours: "--usage client",
        from: "x509 EKU names, cfssl's \"client auth\"",
    },
    k8s_pki_cli::Spelling { theirs: "--expiration", ours: "--duration", from: "kubectl (spec.expirationSeconds)" },
];

pub const EXAMPLES: &[k8s_pki_cli::Example] = &[
    (
        "a CA; openssl req -x509 -new -key ca.key -subj /CN=kubernetes -days 3650",
        "k8s-genkey | k8s-csr --profile ca --cn kubernetes \\\n  | k8s-sign --self-sign --out pki/ca",
    ),
    (
        "the API server's certificate with kubeadm's SANs",
        "k8s-genkey | k8s-csr --profile apiserver --node-name node-1 \\\n    --advertise-address 10.0.0.10 | k8s-sign --ca pki/ca --out pki/apiserver",
    ),
    (
        "a user in two groups; openssl req -new -subj /CN=bob/O=dev/O=ops",
        "k8s-genkey | k8s-csr --cn bob --org dev --org ops --usage client \\\n  | k8s-sign --ca pki/ca --out bob",
    ),
    (
        "a CSR for an existing key, to carry to an offline CA",
        "k8s-csr --key node.key --profile kubelet --node-name node-1 \\\n  --csr-out node.csr",
    ),
    (
        "the certificates API: the manifest to the cluster, the key in alice.key",
        "k8s-genkey | k8s-csr --cn alice --org dev --out alice --manifest \\\n    --signer kubernetes.io/kube-apiserver-client | kubectl apply -f -",
    ),
    ("see every profile's CN, groups, usages and kubeadm file", "k8s-csr --list-profiles"),
];

/// Make a certificate signing request from a private key.
///
/// Reads private keys from stdin (or --key FILE) and writes each key followed by its CSR, so
/// the key travels down the pipe to k8s-sign. The subject, SANs and usages come from a
/// kubeadm --profile, from flags, or both (flags override the profile's CN, O and usages and
/// add SANs).
#[derive(Parser, Debug)]
#[command(name = "k8s-csr", version)]
pub struct Cli {
    /// Start from a kubeadm identity (see --list-profiles)
    #[arg(short, long, value_name = "NAME", value_parser = k8s_pki_cli::profile_parser(), help_heading = "Profile")]
    pub profile: Option<&'static k8s_pki::kubeadm::profile::Profile>,

    /// List the profiles with their CN, groups, usages and kubeadm file, then exit
    /// (with --format json: one object per profile, for scripts)
    #[arg(long, help_heading = "Profile")]
    pub list_profiles: bool,

    /// Node name (CN of etcd and kubelet certs, a SAN of the API server's); must equal the
    /// name the node registers with
    #[arg(long, value_name = "NAME", value_parser = k8s_pki_cli::node_name_parser, help_heading = "Profile")]
    pub node_name: Option<String>,

    /// The node's IP: the API server's advertise address, etcd's listen address, the kubelet's IP
    #[arg(
        long,
        value_name = "IP",
        visible_alias = "apiserver-advertise-address",
        alias = "node-ip",
        help_heading = "Profile"
    )]
    pub advertise_address: Option<IpAddr>,

    /// Service CIDR; its first address (the `kubernetes` service) goes into the API server's SANs
    #[arg(long, value_name = "CIDR", default_value = "10.96.0.0/12", help_heading = "Profile")]
    pub service_cidr: k8s_pki::san::ServiceCidr,

    /// Cluster DNS domain, for kubernetes.default.svc.DOMAIN
    #[arg(
        long,
        value_name = "DOMAIN",
        default_value = "cluster.local",
        visible_alias = "service-dns-domain",
        help_heading = "Profile"
    )]
    pub dns_domain: String,

    /// Control-plane endpoint, HOST[:PORT] as kubeadm takes it (a load balancer's name, an IPv4
    /// address, or [IPv6]:PORT); its host is added to the API server's SANs
    #[arg(long, value_name = "HOST[:PORT]", value_parser = k8s_pki_cli::endpoint_parser, help_heading = "Profile")]
    pub control_plane_endpoint: Option<k8s_pki::kubeadm::control_plane::Endpoint>,

    /// The kubeadm release whose subjects to write (1.28 to 1.33; v1.31 and 1.31.2 also work;
    /// default: the newest). 1.28 puts O=system:masters in admin and the apiserver and etcd
    /// client certificates and has no super-admin (docs/kubeadm.md, the release table)
    #[arg(long, value_name = "VERSION", value_parser = k8s_pki_cli::release_parser, help_heading = "Profile")]
    pub kubernetes_version: Option<&'static k8s_pki::kubeadm::release::Release>,

    /// Common name: the Kubernetes user name
    #[arg(long, value_name = "NAME", help_heading = "Subject")]
    pub cn: Option<String>,

    /// Organization: a Kubernetes group; repeat for more groups (all are kept, in order)
    #[arg(long = "org", short = 'O', value_name = "GROUP", help_heading = "Subject")]
    pub orgs: Vec<String>,

    /// Whole subject in openssl's syntax, e.g. /CN=alice/O=dev/O=ops
    #[arg(long, value_name = "SUBJECT", help_heading = "Subject")]
    pub subj: Option<String>,

    /// Subject alternative name: DNS name or IP (v4 or v6, told apart automatically); repeat,
    /// or separate with commas
    #[arg(
        long = "san",
        value_name = "NAME|IP",
        value_delimiter = ',',
        visible_alias = "apiserver-cert-extra-sans",
        help_heading = "Subject"
    )]
    pub sans: Vec<k8s_pki::san::San>,

    /// Requested usage; repeat for both (the signer may decide otherwise)
    #[arg(
        short,
        long = "usage",
        value_enum,
        value_name = "USAGE",
        visible_alias = "purpose",
        help_heading = "Subject"
    )]
    pub usages: Vec<UsageArg>,

    /// Request no usages, as kubeadm certs generate-csr does for an external CA: the signer
    /// applies the profile's (k8s-sign --profile auto)
    #[arg(long, conflicts_with_all = ["usages", "is_ca", "signer"], help_heading = "Subject")]
    pub no_usages: bool,

    /// Ask for a CA certificate (basicConstraints CA:TRUE; cfssl's is_ca); implied by --profile ca
    #[arg(long, help_heading = "Subject")]
    pub is_ca: bool,

    /// Certificates API signer this CSR is for: sets its default usages and checks its rules
    /// (kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet,
    /// kubernetes.io/kubelet-serving, or DOMAIN/NAME)
    #[arg(long, value_name = "NAME", help_heading = "Certificates API")]
    pub signer: Option<k8s_pki::signer::Signer>,

    /// Print a certificates.k8s.io/v1 CertificateSigningRequest for kubectl apply -f - (YAML; JSON
    /// with --format json); the key and CSR are kept in --out PREFIX files, never printed
    #[arg(long, help_heading = "Certificates API")]
    pub manifest: bool,

    /// With --manifest: metadata.name (default: the CN made a valid object name)
    #[arg(long, value_name = "NAME", help_heading = "Certificates API")]
    pub name: Option<String>,

    /// With --manifest: the validity asked for, spec.expirationSeconds (at least 10m; e.g. 24h,
    /// 30d, 1y; --expiration, kubectl's field name, is an alias)
    #[arg(long, value_name = "SPAN", visible_alias = "expiration", help_heading = "Certificates API")]
    pub duration: Option<k8s_pki::validity::Duration>,

    /// With --manifest: the validity asked for, in days (spec.expirationSeconds)
    #[arg(long, value_name = "N", conflicts_with = "duration", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Certificates API")]
    pub days: Option<u32>,

    /// Take the subject (CN, names) and hosts (SANs) from a cfssl CSR JSON file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["profile", "from_cert"], help_heading = "Subject")]
    pub cfssl: Option<PathBuf>,

    /// Private key file; stdin is then not read and only the CSR is written. With --from-cert:
    /// the old key, checked against the certificate and used only with --reuse-key
    #[arg(short, long, value_name = "FILE", help_heading = "Input")]
    pub key: Option<PathBuf>,

    /// Renew: copy the subject, SANs and usages of this certificate (from kubeadm, openssl or
    /// us); flags may change them (e.g. --san adds one). The new key comes from stdin
    #[arg(long, value_name = "CERT", conflicts_with = "profile", help_heading = "Renewal")]
    pub from_cert: Option<PathBuf>,

    /// With --from-cert: keep the old key (--key) instead of a fresh one
    #[arg(long, requires_all = ["from_cert", "key"], help_heading = "Renewal")]
    pub reuse_key: bool,

    /// With --from-cert: refuse (exit 4) unless the certificate was issued by this CA (a file,
    /// a bundle mid-rotation), so that a renewal re-issues only what the CA issued
    #[arg(long, value_name = "CA_CERT", requires = "from_cert", help_heading = "Renewal")]
    pub issued_by: Option<PathBuf>,

    /// Read the key stream from FILE instead of stdin
    #[arg(short = 'i', long = "in", value_name = "FILE", help_heading = "Input")]
    pub input: Option<PathBuf>,

    /// Write the CSR to FILE instead of stdout
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub csr_out: Option<PathBuf>,

    /// Write the private key to FILE (0600) instead of stdout
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub key_out: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub explain: k8s_pki_cli::ExplainArgs,
}

impl Cli {
    /// The options for `k8s_pki::cmd::csr::run`.
    pub fn options(&self) -> k8s_pki::Result<Options> {
        let files = FileTargets { csr: self.csr_out.clone(), key: self.key_out.clone(), ..FileTargets::default() };
        Ok(Options {
            profile: self.profile,
            params: Params {
                node_name: self.node_name.clone(),
                advertise_address: self.advertise_address,
                service_cidr: self.service_cidr.clone(),
                dns_domain: self.dns_domain.clone(),
                control_plane_endpoint: self.control_plane_endpoint.clone(),
                release: self.kubernetes_version.unwrap_or_else(k8s_pki::kubeadm::release::newest),
            },
            subj: self.subj.clone(),
            cn: self.cn.clone(),
            orgs: self.orgs.clone(),
            sans: self.sans.clone(),
            usages: self.usages.iter().map(|u| Usage::from(*u)).collect(),
            no_usages: self.no_usages,
            ca: self.is_ca,
            key: self.key.clone(),
            from_cert: self.from_cert.clone(),
            reuse_key: self.reuse_key,
            issued_by: self.issued_by.clone(),
            input: self.input.clone(),
            output: self.output.options(files),
            explain: self.explain.explain,
            signer: self.signer.clone(),
            manifest: self.manifest,
            name: self.name.clone(),
            expiration: match self.days {
                Some(days) => Some(format!("{days}d").parse().map_err(k8s_pki::Error::usage)?),
                None => self.duration.clone(),
            },
            manifest_json: self.output.format == k8s_pki_cli::FormatArg::Json,
            cfssl: self.cfssl.clone(),
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
