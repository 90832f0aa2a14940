//! Interop with openssl both ways: CSRs and keys from openssl signed by us, ours signed by
//! openssl, and a real mutual-TLS handshake between openssl's s_server and s_client.

use std::process::Stdio;

use crate::util::*;

fn p(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().expect("utf8").to_string()
}

#[test]
fn openssl_csr_with_repeated_o_is_signed_with_every_group() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    openssl_ok(dir.path(), &["genrsa", "-out", "u.key", "2048"]);
    openssl_ok(dir.path(), &["req", "-new", "-key", "u.key", "-subj", "/CN=alice/O=a/O=b/O=c", "-out", "u.csr"]);
    run_ok(
        "k8s-sign",
        &["--ca", &p(&dir, "ca"), "--usage", "client", "--in", &p(&dir, "u.csr"), "--cert-out", &p(&dir, "u.crt")],
        b"",
    );
    let subject = openssl_ok(dir.path(), &["x509", "-in", "u.crt", "-noout", "-subject"]);
    assert_eq!(subject.trim(), "subject=CN = alice, O = a, O = b, O = c");
    openssl_ok(dir.path(), &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.crt", "u.crt"]);
}

#[test]
fn multi_valued_rdn_keeps_every_group() {
    // Go tools (kubeadm, cfssl) write the groups as one RDN: O=a+O=b.
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    openssl_ok(dir.path(), &["genrsa", "-out", "u.key", "2048"]);
    openssl_ok(
        dir.path(),
        &["req", "-new", "-key", "u.key", "-multivalue-rdn", "-subj", "/O=a+O=b+O=c/CN=bob", "-out", "u.csr"],
    );
    run_ok(
        "k8s-sign",
        &["--ca", &p(&dir, "ca"), "--usage", "client", "--in", &p(&dir, "u.csr"), "--cert-out", &p(&dir, "u.crt")],
        b"",
    );
    let subject = openssl_ok(dir.path(), &["x509", "-in", "u.crt", "-noout", "-subject", "-nameopt", "RFC2253"]);
    for o in ["O=a", "O=b", "O=c", "CN=bob"] {
        assert!(subject.contains(o), "{o} missing from {subject}");
    }
}

#[test]
fn openssl_signs_our_csr_and_keeps_its_sans() {
    let dir = scratch();
    openssl_ok(
        dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=openssl-ca",
            "-days",
            "30",
        ],
    );
    let csr = run_ok(
        "k8s-csr",
        &["--profile", "etcd-server", "--node-name", "n1", "--advertise-address", "10.0.0.10"],
        &run_ok("k8s-genkey", &[], b""),
    );
    std::fs::write(dir.path().join("e.csr"), blocks_of(&csr, "CERTIFICATE REQUEST")[0].as_bytes()).expect("write");
    openssl_ok(
        dir.path(),
        &[
            "x509",
            "-req",
            "-in",
            "e.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-copy_extensions",
            "copyall",
            "-out",
            "e.crt",
        ],
    );
    let text = openssl_ok(dir.path(), &["x509", "-in", "e.crt", "-noout", "-ext", "subjectAltName,extendedKeyUsage"]);
    assert!(text.contains("DNS:localhost, DNS:n1, IP Address:10.0.0.10, IP Address:127.0.0.1"), "{text}");
    assert!(text.contains("TLS Web Server Authentication, TLS Web Client Authentication"), "{text}");
    openssl_ok(dir.path(), &["verify", "-purpose", "sslserver", "-CAfile", "ca.crt", "e.crt"]);
}

#[test]
fn keys_from_openssl_in_every_format_are_accepted() {
    let dir = scratch();
    openssl_ok(dir.path(), &["genrsa", "-out", "p8.key", "2048"]); // OpenSSL 3: PKCS#8
    openssl_ok(dir.path(), &["genrsa", "-traditional", "-out", "p1.key", "2048"]); // PKCS#1
    openssl_ok(dir.path(), &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec8.key"]);
    openssl_ok(dir.path(), &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sec1.key"]);
    openssl_ok(dir.path(), &["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "sec1-384.key"]);
    make_ca(dir.path(), "ca", "kubernetes");
    for key in ["p8.key", "p1.key", "ec8.key", "sec1.key", "sec1-384.key"] {
        let csr = run_ok("k8s-csr", &["--key", &p(&dir, key), "--cn", key, "--usage", "client"], b"");
        let cert = run_ok("k8s-sign", &["--ca", &p(&dir, "ca")], &csr);
        std::fs::write(dir.path().join("c.crt"), &cert).expect("write");
        openssl_ok(dir.path(), &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.crt", "c.crt"]);
        // The certificate holds that key: openssl's public keys agree.
        let from_key = openssl_ok(dir.path(), &["pkey", "-in", key, "-pubout"]);
        let from_cert = openssl_ok(dir.path(), &["x509", "-in", "c.crt", "-noout", "-pubkey"]);
        assert_eq!(from_key, from_cert, "{key}");
    }
    // openssl can also be the CA: its CA key and cert sign our CSRs.
    openssl_ok(
        dir.path(),
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "p1.key",
            "-subj",
            "/CN=openssl-ca",
            "-days",
            "30",
            "-addext",
            "keyUsage=critical,keyCertSign,digitalSignature",
            "-out",
            "oca.crt",
        ],
    );
    let csr = run_ok("k8s-csr", &["--cn", "x", "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    let cert = run_ok("k8s-sign", &["--ca-cert", &p(&dir, "oca.crt"), "--ca-key", &p(&dir, "p1.key")], &csr);
    std::fs::write(dir.path().join("x.crt"), &cert).expect("write");
    openssl_ok(dir.path(), &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "oca.crt", "x.crt"]);
}

/// Runs one s_client request against an s_server that requires a client cert from ca.crt;
/// returns s_client's stdout and stderr (where a TLS alert from the server is reported).
fn mtls(dir: &tempfile::TempDir, client: &str, tls12: bool) -> (String, String) {
    let port = free_port();
    let accept = format!("127.0.0.1:{port}");
    let server = require("openssl", "openssl")
        .args(["s_server", "-accept", &accept, "-cert", "server.crt", "-key", "server.key", "-CAfile", "ca.crt"])
        .args(["-Verify", "1", "-verify_return_error", "-www"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("s_server");
    let _server = Daemon(server);
    wait_for_port(&format!("127.0.0.1:{}", port));
    let mut args = vec![
        "s_client",
        "-connect",
        &accept,
        "-CAfile",
        "ca.crt",
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
        "-quiet",
    ];
    let (crt, key) = (format!("{client}.crt"), format!("{client}.key"));
    args.extend(["-cert", &crt, "-key", &key]);
    if tls12 {
        args.push("-tls1_2");
    }
    let mut cmd = std::process::Command::new("timeout");
    cmd.arg("15").arg("openssl").args(&args).current_dir(dir.path());
    let out = assert_cmd::Command::from_std(cmd).write_stdin("GET / HTTP/1.0\r\n\r\n").output().expect("s_client");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn mutual_tls_with_openssl_s_server_and_s_client() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    make_ca(dir.path(), "evil-ca", "kubernetes");
    issue(
        dir.path(),
        "ca",
        "server",
        &["--cn", "localhost", "--san", "localhost", "--san", "127.0.0.1", "--usage", "server"],
    );
    issue(dir.path(), "ca", "alice", &["--cn", "alice", "--org", "dev", "--usage", "client"]);
    issue(dir.path(), "evil-ca", "mallory", &["--cn", "mallory", "--usage", "client"]);
    // A server cert is no client cert.
    issue(dir.path(), "ca", "wrong-usage", &["--cn", "srv2", "--usage", "server"]);
    for tls12 in [false, true] {
        let (ok, err) = mtls(&dir, "alice", tls12);
        assert!(
            ok.contains("Client certificate") && ok.contains("CN=alice"),
            "alice rejected (tls1.2={tls12}):\n{ok}\n{err}"
        );
        // Rejections for the right reason: the server's alert, not a server that never answered.
        let (bad, err) = mtls(&dir, "mallory", tls12);
        assert!(!bad.contains("Client certificate"), "a client from another CA was accepted (tls1.2={tls12}):\n{bad}");
        assert!(err.contains("alert unknown ca"), "mallory: expected the server's 'unknown ca' alert:\n{err}");
        let (bad, err) = mtls(&dir, "wrong-usage", tls12);
        assert!(
            !bad.contains("Client certificate"),
            "a server-only cert was accepted as a client (tls1.2={tls12}):\n{bad}"
        );
        assert!(
            err.contains("alert unsupported certificate"),
            "wrong-usage: expected the server's 'unsupported certificate' alert:\n{err}"
        );
    }
}
