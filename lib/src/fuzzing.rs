//! What each fuzz target does with its bytes (fuzz/fuzz_targets/*.rs call these), kept here so
//! that `make test` replays every kept corpus file and every crash ever found
//! (lib/tests/fuzz_corpus.rs) through exactly the code the fuzzer ran.

use crate::cert::Cert;
use crate::csr::Csr;
use crate::input::Input;
use crate::key::PrivateKey;
use crate::verify::{Expect, check, describe_sans};

/// A fuzz target: its name (fuzz/Cargo.toml, fuzz/corpus/NAME) and what it does with its bytes.
pub type Target = (&'static str, fn(&[u8]));

/// The targets by name.
pub const TARGETS: &[Target] = &[
    ("stream", stream),
    ("csr_der", csr_der),
    ("cert_der", cert_der),
    ("private_key", private_key),
    ("kubeconfig", kubeconfig),
    ("csr_object", csr_object),
    ("cluster_dump", cluster_dump),
];

/// The input stream every tool reads: PEM blocks, or cfssl-style JSON items when it starts
/// with `{`; each block parsed as what it may be.
pub fn stream(data: &[u8]) {
    let Ok(stream) = Input::from_bytes("fuzz", data.to_vec()).blocks() else { return };
    for block in stream.take(64) {
        let Ok(block) = block else { break };
        let _ = Csr::from_der(&block.der, "fuzz");
        let _ = Cert::from_der(&block.der, "fuzz");
        let _ = PrivateKey::from_pem_block(&block.label, &block.der, "fuzz");
    }
}

/// A CSR's DER as k8s-sign reads what users send: parsed, its signature checked.
pub fn csr_der(data: &[u8]) {
    let _ = Csr::from_der(data, "fuzz");
}

/// A certificate's DER as k8s-verify and the audit read trees copied off nodes: parsed, then
/// checked as a leaf and as its own root, its SANs described.
pub fn cert_der(data: &[u8]) {
    let Ok(cert) = Cert::from_der(data, "fuzz") else { return };
    let _ = check(&cert, &Expect::default());
    let _ = check(&cert, &Expect { roots: std::slice::from_ref(&cert), ..Expect::default() });
    let _ = describe_sans(&cert);
    let _ = cert.signed_by(&cert.public_key);
}

/// A private key in every form the tools read: the first byte picks the PEM label.
pub fn private_key(data: &[u8]) {
    const LABELS: &[&str] =
        &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY"];
    let Some((first, der)) = data.split_first() else { return };
    let Some(label) = LABELS.get(usize::from(*first) % LABELS.len()) else { return };
    let _ = PrivateKey::from_pem_block(label, der, "fuzz");
}

/// A kubeconfig from a colleague (YAML or JSON): parsed within bounds, its credentials read
/// back as from stdin (no file is ever opened), written again.
pub fn kubeconfig(data: &[u8]) {
    let Ok(kc) = crate::kubeconfig::Kubeconfig::from_slice(data, "fuzz") else { return };
    let _ = kc.credentials(None, "fuzz", None);
    let _ = kc.to_yaml();
}

/// A CertificateSigningRequest object (YAML or JSON), as `k8s-sign --signer` reads it.
pub fn csr_object(data: &[u8]) {
    let _ = crate::csrapi::CsrObject::from_slice(data, "fuzz");
}

/// A cluster dump as `k8s-verify --cluster-dump` reads it: parsed within its bounds, then mapped
/// (every field decoded, every embedded kubeconfig read, every Pod's mounts matched).
pub fn cluster_dump(data: &[u8]) {
    crate::trust_map::dump::reset();
    let Ok(items) = crate::trust_map::dump::parse(data, "fuzz") else { return };
    let objects = crate::trust_map::dump::Objects::from_items(items, "fuzz");
    if let Ok(mut map) = crate::trust_map::build(&objects, None) {
        map.judge_rotation();
        let _ = crate::trust_map::render::json(&map);
        let _ = crate::trust_map::render::text(&map, true, &crate::term::Paint::new(false));
    }
}
