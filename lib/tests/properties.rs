//! Property tests standing in for fuzzing on stable Rust: every parser that reads untrusted
//! input (the PEM stream, cfssl JSON, CSRs, certificates, keys, kubeconfigs, CSR objects) returns
//! a typed error, never a panic, on arbitrary bytes and on mutations of valid input.
//! Round trips check what is kept: a key through PEM, every O and SAN of a CSR in order, any
//! UTF-8 subject; a mutated CSR is refused or reads as exactly what was signed.
//! `PROPTEST_CASES` sets the number of cases: `make test` (and so CI) runs 3000, the Makefile's
//! default; plain `cargo test` runs proptest's 256. Raise it for a longer run.

use std::net::IpAddr;
use std::sync::OnceLock;

use k8s_pki::cert::Cert;
use k8s_pki::csr::{Csr, build};
use k8s_pki::csrapi::CsrObject;
use k8s_pki::input::Input;
use k8s_pki::key::{Algorithm, KeyFormat, PrivateKey};
use k8s_pki::kubeadm::profile::{Params, find};
use k8s_pki::kubeconfig::Kubeconfig;
use k8s_pki::name::Subject;
use k8s_pki::pem::PemReader;
use k8s_pki::pem::{Block, encode_pem};
use k8s_pki::request::Request;
use k8s_pki::san::San;
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

fn valid_request() -> Request {
    let params =
        Params { node_name: Some("n1".into()), advertise_address: "10.0.0.10".parse().ok(), ..Params::default() };
    find("etcd-peer").and_then(|p| p.request(&params)).expect("request")
}

fn valid_csr_der() -> Vec<u8> {
    let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
    build(&valid_request(), &key).expect("csr")
}

/// One key per algorithm for the whole run (RSA generation is slow).
fn key(alg: Algorithm) -> &'static PrivateKey {
    static KEYS: OnceLock<Vec<(Algorithm, PrivateKey)>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [Algorithm::Rsa2048, Algorithm::EcdsaP256, Algorithm::EcdsaP384]
            .into_iter()
            .map(|a| (a, PrivateKey::generate(a).expect("key")))
            .collect()
    });
    keys.iter().find(|(a, _)| *a == alg).map(|(_, k)| k).expect("generated")
}

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![Just(Algorithm::Rsa2048), Just(Algorithm::EcdsaP256), Just(Algorithm::EcdsaP384)]
}

/// DNS names as k8s-csr accepts them: lower-case labels, optionally a leading `*.`.
fn dns_name() -> impl Strategy<Value = String> {
    (any::<bool>(), proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", 1..4))
        .prop_map(|(wild, labels)| format!("{}{}", if wild && labels.len() > 1 { "*." } else { "" }, labels.join(".")))
}

fn san() -> impl Strategy<Value = San> {
    prop_oneof![
        dns_name().prop_map(San::Dns),
        any::<[u8; 4]>().prop_map(|b| San::Ip(IpAddr::from(b))),
        any::<[u8; 16]>().prop_map(|b| San::Ip(IpAddr::from(b))),
    ]
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
    fn mutated_csrs_are_refused_or_read_as_signed(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let original = valid_csr_der();
        let mut der = original.clone();
        for (at, x) in flips {
            let i = at % der.len();
            der[i] ^= x | 1;
        }
        // The signature covers what is read: a changed CSR is refused, or (a change outside
        // the signed part that still parses) reads as exactly what was signed.
        if let Ok(csr) = Csr::from_der(&der, "fuzz") {
            let signed = Csr::from_der(&original, "original").expect("the original reads");
            prop_assert_eq!(csr.request, signed.request);
            prop_assert_eq!(csr.public_key, signed.public_key);
        }
        read_stream(encode_pem("CERTIFICATE REQUEST", &der).into_bytes());
    }

    #[test]
    fn keys_round_trip_through_pem(alg in algorithm(), pkcs8 in any::<bool>()) {
        let key = key(alg);
        let format = if pkcs8 { KeyFormat::Pkcs8 } else { KeyFormat::Traditional };
        let pem = key.to_pem(format).expect("encode");
        let mut reader = PemReader::new(pem.as_bytes(), "pem");
        let block = reader.next_block().expect("reads").expect("one block");
        prop_assert!(reader.next_block().expect("end").is_none());
        let back = PrivateKey::from_pem_block(&block.label, &block.der, "pem").expect("decodes");
        prop_assert_eq!(back.public_key(), key.public_key());
        prop_assert_eq!(back.algorithm(), alg);
        let again = back.to_pem(format).expect("encode");
        prop_assert_eq!(again.as_str(), pem.as_str());
    }

    #[test]
    fn csrs_keep_every_group_and_san_in_order(
        cn in "[a-z][a-z0-9:.-]{0,30}",
        orgs in proptest::collection::vec("[a-zA-Z0-9:._ -]{1,20}", 0..6),
        sans in proptest::collection::vec(san(), 0..8),
    ) {
        let mut req = Request { subject: Subject::new(Some(&cn), &orgs), ..Request::default() };
        req.add_sans(sans);
        let der = build(&req, key(Algorithm::EcdsaP256)).expect("builds");
        let csr = Csr::from_der(&der, "roundtrip").expect("reads back");
        prop_assert_eq!(csr.request.subject.orgs(), orgs);
        prop_assert_eq!(csr.request.subject.cn(), Some(cn.as_str()));
        prop_assert_eq!(&csr.request.sans, &req.sans);
    }

    #[test]
    fn any_utf8_subject_round_trips(cn in "\\PC{1,64}", org in "\\PC{1,64}") {
        let req = Request { subject: Subject::new(Some(&cn), std::slice::from_ref(&org)), ..Request::default() };
        let der = build(&req, key(Algorithm::EcdsaP256)).expect("any non-empty UTF-8 subject is encoded");
        let csr = Csr::from_der(&der, "utf8").expect("reads back");
        prop_assert_eq!(csr.request.subject, req.subject);
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
            let _ = kc.credentials(None, "fuzz", Some(std::path::Path::new("/nonexistent")));
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
        let _ = Kubeconfig::from_slice(bytes, "r").map(|kc| kc.credentials(None, "r", Some(std::path::Path::new("."))));
    }
}
