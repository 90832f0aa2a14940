//! One function per command: what each binary does once its flags are parsed.
//!
//! Each submodule has an `Options` struct (plain data the binary fills from clap) and a
//! `run` function. Warnings go to a callback so the binary decides how to print them.

pub mod csr;
pub mod genkey;
pub mod kubeconfig;
pub mod note;
pub mod rotate;
pub mod sign;
pub mod verify;

pub use note::{Note, Warn};

#[cfg(test)]
mod tests {
    //! The commands called as the binaries call them, through files (stdout is not captured
    //! in unit tests): a CA, a leaf from a profile, and a kubeconfig, each read back.

    use std::path::Path;

    use super::*;
    use crate::cert::Cert;
    use crate::key::{Algorithm, KeyFormat, PrivateKey};
    use crate::kubeadm::profile::Params;
    use crate::sink::{FileTargets, OutputOptions};

    fn out(prefix: &Path) -> OutputOptions {
        OutputOptions {
            files: FileTargets { prefix: Some(prefix.to_path_buf()), ..Default::default() },
            ..Default::default()
        }
    }

    fn quiet() -> impl FnMut(Note<'_>) {
        |_| {}
    }

    fn genkey(prefix: &Path) {
        let opts = genkey::Options {
            algorithm: Algorithm::EcdsaP256,
            key_format: KeyFormat::Traditional,
            public: false,
            input: None,
            count: 1,
            jobs: 1,
            output: out(prefix),
            explain: false,
        };
        let files = genkey::run(&opts, &mut quiet()).expect("genkey");
        assert_eq!(files, vec![prefix.with_extension("key")]);
    }

    fn csr(prefix: &Path, profile: &str) {
        let key = prefix.with_extension("key");
        let params =
            Params { node_name: Some("n1".into()), advertise_address: "10.0.0.10".parse().ok(), ..Params::default() };
        let opts = csr::Options {
            profile: Some(crate::kubeadm::profile::find(profile).expect("profile")),
            params,
            key: Some(key),
            output: OutputOptions {
                files: FileTargets { csr: Some(prefix.with_extension("csr")), ..Default::default() },
                ..Default::default()
            },
            ..csr::Options::default()
        };
        csr::run(&opts, &mut quiet()).expect("csr");
    }

    #[test]
    fn a_ca_a_leaf_and_a_kubeconfig_through_the_commands() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("ca");
        genkey(&ca);
        csr(&ca, "ca");
        let opts = sign::Options {
            with: Some(sign::SignWith::SelfSign { key: Some(ca.with_extension("key")) }),
            input: Some(ca.with_extension("csr")),
            output: OutputOptions {
                files: FileTargets { cert: Some(ca.with_extension("crt")), ..Default::default() },
                ..Default::default()
            },
            ..sign::Options::default()
        };
        sign::run(&opts, &mut quiet()).expect("self-sign");
        let ca_cert = Cert::read_file(&ca.with_extension("crt")).expect("ca.crt");
        assert!(ca_cert.is_ca());
        assert_eq!(ca_cert.subject.cn(), Some("kubernetes"));

        let admin = dir.path().join("admin");
        genkey(&admin);
        csr(&admin, "admin");
        let opts = sign::Options {
            with: Some(sign::SignWith::Ca { cert: ca.with_extension("crt"), key: ca.with_extension("key") }),
            input: Some(admin.with_extension("csr")),
            output: OutputOptions {
                files: FileTargets { cert: Some(admin.with_extension("crt")), ..Default::default() },
                ..Default::default()
            },
            ..sign::Options::default()
        };
        sign::run(&opts, &mut quiet()).expect("sign");
        let cert = Cert::read_file(&admin.with_extension("crt")).expect("admin.crt");
        assert_eq!(cert.subject.orgs(), vec!["kubeadm:cluster-admins"]);
        cert.signed_by(&ca_cert.public_key).expect("signed by the CA");
        let key = PrivateKey::read_file(&admin.with_extension("key")).expect("key");
        assert_eq!(key.public_key(), &cert.public_key);

        let conf = dir.path().join("admin.conf");
        let opts = kubeconfig::Options {
            ca_cert: Some(ca.with_extension("crt")),
            server: Some("https://10.0.0.10:6443".into()),
            cluster_name: "kubernetes".into(),
            embed: true,
            cert: Some(admin.with_extension("crt")),
            key: Some(admin.with_extension("key")),
            out: Some(conf.clone()),
            ..kubeconfig::Options::default()
        };
        assert_eq!(
            kubeconfig::run(&opts, crate::validity::now(), &mut quiet()).expect("kubeconfig"),
            vec![conf.clone()]
        );
        let text = std::fs::read_to_string(&conf).expect("read");
        assert!(text.contains("current-context: kubernetes-admin@kubernetes"), "{text}");
        // Writing again without --force is refused and leaves the file as it was.
        assert_eq!(kubeconfig::run(&opts, crate::validity::now(), &mut quiet()).expect_err("exists").exit_code(), 5);
        assert_eq!(std::fs::read_to_string(&conf).expect("read"), text);
    }
}
