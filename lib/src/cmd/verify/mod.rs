//! `k8s-verify`: check certificates against a CA, purpose, hosts and identity; inspect what a
//! certificate, CSR, key or kubeconfig holds; audit a whole kubeadm PKI directory; check CSRs
//! against a signer's rules; show the wiring of the three CAs.
//!
//! What it does is one [`Mode`], decided once from the flags by [`Options::mode`] (flags that
//! select two modes, or that belong to another mode, are a usage error), and run as one typed
//! request holding that mode's flags only (`request.rs`). One module per mode.

mod audit;
mod check;
mod cluster;
mod connect;
mod inspect;
mod options;
mod request;
mod signer;

pub use options::{Mode, Options, OutputFormat};
use request::Request;

use crate::error::{Error, Result};

/// Runs k8s-verify. Findings go to stdout; the result says whether they held.
pub fn run(opts: &Options, note: crate::cmd::note::Warn<'_>) -> Result<()> {
    let (request, show) = Request::of(opts)?;
    match request {
        Request::Flags { pki_dir } => audit::flags(pki_dir.as_deref(), &show),
        Request::Graph { format, tree } => audit::graph(tree.as_ref(), format),
        Request::Audit { tree, expiry } => audit::run(&tree, expiry, &show, note),
        Request::Signer { signer, inputs } => signer::run(&signer, &inputs),
        Request::JoinHash { inputs, go } => {
            let items = inspect::read_items(&inputs, go)?;
            let lines: String = items
                .iter()
                .filter_map(|i| if let inspect::Item::Cert(c, ..) = i { Some(c.join_hash() + "\n") } else { None })
                .collect();
            if lines.is_empty() {
                return Err(Error::input("input", "no certificate"));
            }
            crate::sink::print(&lines)
        }
        Request::Connect(c) => connect::run(&c, &show),
        Request::TrustMap { dumps, pki_dir } => cluster::run(&dumps, pki_dir.as_deref(), &show, note),
        Request::Inspect { inputs, go } => inspect::run(&inputs, go, &show),
        Request::Check(c) => check::run(&c, &show, note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubeadm::wiring::GraphFormat;

    fn opts() -> Options {
        Options { service_cidr: Default::default(), dns_domain: "cluster.local".into(), ..Options::default() }
    }

    #[test]
    fn each_mode_is_chosen_by_its_flags() {
        assert_eq!(opts().mode().ok(), Some(Mode::Inspect));
        assert_eq!(Options { inputs: vec!["a.crt".into()], ..opts() }.mode().ok(), Some(Mode::Inspect));
        assert_eq!(Options { flags: true, pki_dir: Some("t".into()), ..opts() }.mode().ok(), Some(Mode::Flags));
        let graph = Options { graph: Some(GraphFormat::Dot), pki_dir: Some("t".into()), ..opts() };
        assert_eq!(graph.mode().ok(), Some(Mode::Graph(GraphFormat::Dot)));
        let audit = Options { pki_dir: Some("t".into()), expiry: true, node_name: Some("n".into()), ..opts() };
        assert_eq!(audit.mode().ok(), Some(Mode::Audit));
        assert_eq!(
            Options { signer: Some(crate::signer::Signer::KubeletServing), ..opts() }.mode().ok(),
            Some(Mode::Signer)
        );
        assert_eq!(Options { hosts: vec!["h".parse().expect("host")], ..opts() }.mode().ok(), Some(Mode::Check));
    }

    #[test]
    fn two_modes_are_a_usage_error_naming_both() {
        let cases = [
            (
                Options { pki_dir: Some("t".into()), ca_cert: Some("ca.crt".into()), ..opts() },
                ["--ca-cert", "--pki-dir"],
            ),
            (Options { flags: true, graph: Some(GraphFormat::Dot), ..opts() }, ["--flags", "--graph"]),
            (
                Options { signer: Some(crate::signer::Signer::KubeletServing), cn: Some("a".into()), ..opts() },
                ["--signer", "--cn"],
            ),
            (
                Options { signer: Some(crate::signer::Signer::KubeletServing), pki_dir: Some("t".into()), ..opts() },
                ["--signer", "--pki-dir"],
            ),
        ];
        for (o, flags) in cases {
            let err = o.mode().expect_err("conflict");
            assert_eq!(err.exit_code(), 2);
            for flag in flags {
                assert!(err.to_string().contains(flag), "{err}");
            }
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn a_flag_of_another_mode_is_a_usage_error() {
        let err = Options { expiry: true, ..opts() }.mode().expect_err("needs --pki-dir");
        assert_eq!(err.to_string(), "--expiry goes with --pki-dir");
        let err = Options { node_name: Some("n".into()), hosts: vec!["h".parse().expect("host")], ..opts() }
            .mode()
            .expect_err("x");
        assert_eq!(err.to_string(), "--node-name goes with --pki-dir, not with --host");
        let err = Options { pki_dir: Some("t".into()), inputs: vec!["a".into()], ..opts() }.mode().expect_err("x");
        assert!(err.to_string().contains("FILE"), "{err}");
        let graph = Options { graph: Some(GraphFormat::Dot), expiry: true, pki_dir: Some("t".into()), ..opts() };
        assert!(graph.mode().is_err());
    }
}
