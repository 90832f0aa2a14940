//! Why certificates are read with x509-parser although x509-cert writes them (lib/Cargo.toml).
//!
//! Kubernetes reads certificates with Go's crypto/x509, which accepts encodings that the
//! `der` crate behind x509-cert refuses. A tool that says what a Go component would say must
//! read what Go reads, and check signatures over the bytes as read. Each case below is a
//! certificate Go's parser accepts (the citation is Go's crypto/x509/parser.go, go1.19
//! through go1.24) that x509-cert refuses, or reads but cannot give back byte for byte (it
//! keeps no raw TBS or raw names), while our reader (x509-parser) keeps the bytes. When
//! x509-cert changes on one of them, the test fails and the choice in Cargo.toml is worth
//! revisiting.

use der::Decode;
use k8s_pki::cert::Cert;
use k8s_pki::key::{Algorithm, PrivateKey};

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn atv(value: &str) -> Vec<u8> {
    // id-at-organizationName, UTF8String
    seq(&[tlv(0x06, &[0x55, 0x04, 0x0a]), tlv(0x0c, value.as_bytes())])
}

const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];

struct Parts {
    serial: Vec<u8>,
    subject: Vec<u8>,
    extensions: Vec<Vec<u8>>,
}

impl Default for Parts {
    fn default() -> Self {
        Parts { serial: vec![0x01, 0x02], subject: seq(&[tlv(0x31, &atv("x"))]), extensions: Vec::new() }
    }
}

/// A signed certificate (self-signed, ECDSA P-256) with the given odd parts.
fn cert(parts: Parts) -> Vec<u8> {
    let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
    let alg = seq(&[tlv(0x06, ECDSA_SHA256)]);
    let mut tbs = vec![
        tlv(0xa0, &tlv(0x02, &[2])),
        tlv(0x02, &parts.serial),
        alg.clone(),
        parts.subject.clone(),
        seq(&[tlv(0x17, b"250101000000Z"), tlv(0x17, b"350101000000Z")]),
        parts.subject,
        key.public_key().spki_der().to_vec(),
    ];
    if !parts.extensions.is_empty() {
        tbs.push(tlv(0xa3, &seq(&parts.extensions)));
    }
    let tbs = seq(&tbs);
    let signature = key.sign(&tbs).expect("sign");
    let mut bits = vec![0u8];
    bits.extend(signature);
    seq(&[tbs, alg, tlv(0x03, &bits)])
}

fn x509_cert_reads(der: &[u8]) -> bool {
    x509_cert::Certificate::from_der(der).is_ok()
}

/// Whether x509-cert, reading and re-encoding, gives back the bytes the signature covers (it
/// keeps no raw TBS; Go's RawTBSCertificate, RawSubject and RawIssuer are the bytes as read).
fn x509_cert_round_trips(der: &[u8]) -> bool {
    use der::Encode;
    x509_cert::Certificate::from_der(der).ok().and_then(|c| c.to_der().ok()).as_deref() == Some(der)
}

/// Go: parser.go parseCertificate reads the serial with ReadASN1Integer into a big.Int, no
/// length limit (RFC 5280's 20 octets is not enforced). x509-cert caps it at 21 octets.
#[test]
fn a_serial_longer_than_20_octets() {
    let der = cert(Parts { serial: [0x01; 24].to_vec(), ..Parts::default() });
    assert!(!x509_cert_reads(&der), "x509-cert now reads long serials");
    let ours = Cert::from_der(&der, "t").expect("x509-parser reads it");
    assert_eq!(ours.serial.len(), 24);
}

/// Go: parser.go parseName reads each RDN's SET with ReadASN1(SET) and its members in the
/// order they are encoded; it never checks DER's sorted order of SET OF, and keeps the raw
/// subject (chain building compares it byte for byte). x509-cert reads it but re-encodes it
/// sorted, so neither the subject nor the signed TBS it would give back are the bytes read.
#[test]
fn a_multi_valued_rdn_out_of_der_order() {
    let (a, b) = (atv("a"), atv("b"));
    assert!(a < b);
    let subject = seq(&[tlv(0x31, &[b, a].concat())]);
    let der = cert(Parts { subject, ..Parts::default() });
    assert!(x509_cert_reads(&der) && !x509_cert_round_trips(&der), "x509-cert now keeps unsorted SETs as read");
    let ours = Cert::from_der(&der, "t").expect("x509-parser reads it");
    assert_eq!(ours.subject.orgs(), vec!["b", "a"], "kept in encoded order, as Go keeps it");
}

/// Go: parser.go parseExtension reads `critical` with ReadOptionalASN1Boolean, so an explicit
/// FALSE (a DEFAULT value DER says to omit) is accepted. (openssl writes it this way when told
/// `critical` is false explicitly; some HSM-backed CAs do too.) x509-cert reads it and drops
/// it on re-encoding: a signature check over its TBS would fail.
#[test]
fn an_extension_with_explicit_critical_false() {
    let eku = seq(&[tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02])]);
    let ext = seq(&[tlv(0x06, &[0x55, 0x1d, 0x25]), tlv(0x01, &[0x00]), tlv(0x04, &eku)]);
    let der = cert(Parts { extensions: vec![ext], ..Parts::default() });
    let ours = Cert::from_der(&der, "t").expect("x509-parser reads it");
    assert_eq!(ours.ext.usages, vec![k8s_pki::usage::Usage::Client]);
    assert!(ours.signed_by(&ours.public_key).is_ok(), "the signed bytes are the bytes read");
    assert!(x509_cert_reads(&der) && !x509_cert_round_trips(&der), "x509-cert now keeps an explicit FALSE as read");
}
