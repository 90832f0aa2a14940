//! Property tests standing in for fuzzing on stable Rust: every parser that reads untrusted
//! input (the PEM stream, cfssl JSON, CSRs, certificates, keys, kubeconfigs, CSR objects) returns
//! a typed error, never a panic, on arbitrary bytes and on mutations of valid input.
//! `PROPTEST_CASES` sets the number of cases (CI runs the default; raise it for a longer run).

use k8s_pki::cert::Cert;
use k8s_pki::csr::{Csr, build};
use k8s_pki::csrapi::CsrObject;
use k8s_pki::input::Input;
use k8s_pki::key::{Algorithm, PrivateKey};
use k8s_pki::kubeconfig::Kubeconfig;
use k8s_pki::pem::{Block, encode_pem};
use k8s_pki::profile::{Params, find};
use proptest::prelude::*;

fn read_stream(bytes: Vec<u8>) {
    if let Ok(stream) = Input::from_bytes("fuzz", bytes).blocks() {
        for block in stream.take(64) {
            let Ok(block) = block else { break };
            parse_block(&block);
        }
    }
}

fn parse_block(block: &Block) {
    let _ = Csr::from_der(&block.der, "fuzz");
    let _ = Cert::from_der(&block.der, "fuzz");
    let _ = PrivateKey::from_pem_block(&block.label, &block.der, "fuzz");
}

fn valid_csr_der() -> Vec<u8> {
    let params =
        Params { node_name: Some("n1".into()), advertise_address: "10.0.0.10".parse().ok(), ..Params::default() };
    let req = find("etcd-peer").and_then(|p| p.request(&params)).expect("request");
    let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
    build(&req, &key).expect("csr")
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        read_stream(bytes.clone());
        let _ = Kubeconfig::from_slice(&bytes, "fuzz");
        let _ = CsrObject::from_slice(&bytes, "fuzz");
        let _ = Csr::from_der(&bytes, "fuzz");
        let _ = Cert::from_der(&bytes, "fuzz");
        for label in ["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"] {
            let _ = PrivateKey::from_pem_block(label, &bytes, "fuzz");
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(-----BEGIN [A-Z ]{0,20}-----\n)?[A-Za-z0-9+/=:{}\"\\[\\], \n-]{0,2000}(-----END [A-Z ]{0,20}-----\n)?") {
        read_stream(text.clone().into_bytes());
        let _ = Kubeconfig::from_slice(text.as_bytes(), "fuzz");
        let _ = CsrObject::from_slice(text.as_bytes(), "fuzz");
    }

    #[test]
    fn mutated_csrs_are_refused_or_read_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut der = valid_csr_der();
        for (at, x) in flips {
            let i = at % der.len();
            der[i] ^= x | 1;
        }
        let _ = Csr::from_der(&der, "fuzz");
        read_stream(encode_pem("CERTIFICATE REQUEST", &der).into_bytes());
    }

    #[test]
    fn json_items_never_panic(key in ".{0,200}", csr in ".{0,200}") {
        let json = serde_json::json!({"key": key, "csr": csr, "cert": 5});
        read_stream(json.to_string().into_bytes());
    }

    #[test]
    fn kubeconfig_shapes_never_panic(server in ".{0,50}", data in "[A-Za-z0-9+/=]{0,300}") {
        let yaml = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: \"{}\"\n    certificate-authority-data: {data}\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user:\n    client-certificate-data: {data}\n    client-key-data: {data}\n",
            server.replace(['"', '\\'], "")
        );
        if let Ok(kc) = Kubeconfig::from_slice(yaml.as_bytes(), "fuzz") {
            let _ = kc.credentials(None, "fuzz", std::path::Path::new("/nonexistent"));
        }
    }
}

/// Inputs that once broke a parser stay here as regression tests.
#[test]
fn regressions() {
    for bytes in [
        &b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"[..],
        b"-----BEGIN  -----\nAA==\n-----END  -----\n",
        b"{\"key\": \"-----BEGIN EC PRIVATE KEY-----\\nAA==\\n-----END EC PRIVATE KEY-----\\n\"}",
        b"\x30\x80",
        b"kind: Config\ncurrent-context: x\n",
    ] {
        read_stream(bytes.to_vec());
        let _ = Kubeconfig::from_slice(bytes, "r").map(|kc| kc.credentials(None, "r", std::path::Path::new(".")));
    }
}
