//! What the signer refuses to issue whatever the CSR says (#15's low-severity wrong answers):
//! a CSR that names nobody, a CA under a CA that may not have one, a CA request quietly turned
//! into a leaf, SAN types and usages `--from-cert` cannot carry.

use std::path::Path;

use predicates::str::contains;

use crate::hostile::sign_object;
use crate::util::*;

fn sign(dir: &Path, args: &[&str], csr: &str) -> assert_cmd::assert::Assert {
    tool("k8s-sign").current_dir(dir).args(args).args(["--in", csr]).assert()
}

#[test]
fn a_csr_that_names_nobody_is_refused() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    openssl_ok(d, &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.key"]);
    openssl_ok(d, &["req", "-new", "-key", "k.key", "-subj", "/", "-out", "empty.csr"]);
    sign(d, &["--ca", "ca", "--usage", "client"], "empty.csr")
        .code(4)
        .stderr(contains("the CSR has an empty subject and no subjectAltName: it names nobody (RFC 5280 4.1.2.6)"));
    // A SAN alone is a name.
    openssl_ok(
        d,
        &["req", "-new", "-key", "k.key", "-subj", "/", "-addext", "subjectAltName=DNS:a.example", "-out", "san.csr"],
    );
    sign(d, &["--ca", "ca", "--usage", "server"], "san.csr").success();
}

#[test]
fn a_ca_request_is_never_silently_issued_as_a_leaf() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let csr = run_ok("k8s-csr", &["--profile", "ca", "--cn", "sub"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    std::fs::write(d.join("sub.csr"), &csr).expect("write");
    sign(d, &["--ca", "ca", "--usage", "client"], "sub.csr")
        .code(4)
        .stderr(contains("the CSR asks to be a CA (CA:TRUE), and the usages given would issue it as a leaf"));
    let out =
        tool("k8s-sign").current_dir(d).args(["--ca", "ca", "--allow-ca", "--in", "sub.csr"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(d.join("sub.crt"), &out.stdout).expect("write");
    assert!(openssl_ok(d, &["x509", "-in", "sub.crt", "-noout", "-ext", "basicConstraints"]).contains("CA:TRUE"));
}

#[test]
fn the_signer_says_when_a_csr_object_asking_for_a_ca_gets_a_leaf() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let object = run_ok(
        "k8s-csr",
        &[
            "--out",
            &s(&d.join("alice")),
            "--profile",
            "ca",
            "--cn",
            "alice",
            "--signer",
            "kubernetes.io/kube-apiserver-client",
            "--usage",
            "client",
            "--manifest",
        ],
        &key,
    );
    sign_object(d, String::from_utf8_lossy(&object).into_owned())
        .success()
        .stderr(contains("issued as a leaf (CA:FALSE), as kube-controller-manager's signer does"));
}

#[test]
fn a_ca_with_path_length_zero_issues_no_ca() {
    let dir = scratch();
    let d = dir.path();
    openssl_ok(d, &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "root.key"]);
    openssl_ok(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "root.key",
            "-subj",
            "/CN=root",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE,pathlen:0",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            "root.crt",
        ],
    );
    let csr = run_ok("k8s-csr", &["--profile", "ca", "--cn", "sub"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    std::fs::write(d.join("sub.pem"), &csr).expect("write");
    sign(d, &["--ca-cert", "root.crt", "--ca-key", "root.key", "--allow-ca"], "sub.pem")
        .code(4)
        .stderr(contains("pathLenConstraint 0: it may not issue another CA"))
        .stderr(contains("'x509: too many intermediates for path length constraint'"));
    // What Go says about a chain through such a CA, made here with openssl.
    std::fs::write(d.join("sub.key"), blocks_of(&csr, "EC PRIVATE KEY").concat()).expect("write");
    std::fs::write(d.join("sub.csr"), blocks_of(&csr, "CERTIFICATE REQUEST").concat()).expect("write");
    std::fs::write(d.join("ext.cnf"), "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n")
        .expect("write");
    openssl_ok(
        d,
        &[
            "x509", "-req", "-in", "sub.csr", "-CA", "root.crt", "-CAkey", "root.key", "-days", "10", "-extfile",
            "ext.cnf", "-out", "sub.crt",
        ],
    );
    run_ok(
        "k8s-sign",
        &[
            "--ca-cert",
            &s(&d.join("sub.crt")),
            "--ca-key",
            &s(&d.join("sub.key")),
            "--out",
            &s(&d.join("leaf")),
            "--days",
            "5",
        ],
        &run_ok("k8s-csr", &["--cn", "leaf", "--usage", "client"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b"")),
    );
    let chain = read(d.join("leaf.crt")) + &read(d.join("sub.crt"));
    std::fs::write(d.join("chain.crt"), chain).expect("write");
    let out = assert_cmd::Command::new(go_helper("x509check"))
        .write_stdin(format!("{} {} client\n", s(&d.join("chain.crt")), s(&d.join("root.crt"))))
        .output()
        .expect("x509check");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "x509: too many intermediates for path length constraint");
}

#[test]
fn from_cert_says_what_it_cannot_carry_over() {
    let dir = scratch();
    let d = dir.path();
    openssl_ok(d, &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.key"]);
    std::fs::write(
        d.join("ext.cnf"),
        "[req]\ndistinguished_name=empty\n[empty]\n[x]\nsubjectAltName=DNS:a.example,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:u@example,dirName:dn\nextendedKeyUsage=serverAuth,codeSigning\n[dn]\nCN=inner\n",
    )
    .expect("write");
    openssl_ok(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "k.key",
            "-subj",
            "/CN=odd",
            "-days",
            "5",
            "-config",
            "ext.cnf",
            "-extensions",
            "x",
            "-out",
            "odd.crt",
        ],
    );
    let out = tool("k8s-csr")
        .current_dir(d)
        .args(["--from-cert", "odd.crt"])
        .write_stdin(run_ok("k8s-genkey", &["--algo", "ecdsa"], b""))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    for dropped in [
        "odd.crt: not copied to the CSR: subjectAltName otherName 1.3.6.1.4.1.311.20.2.3",
        "not copied to the CSR: subjectAltName directoryName",
        "not copied to the CSR: extended key usage 1.3.6.1.5.5.7.3.3 (codeSigning)",
    ] {
        assert!(err.contains(dropped), "{dropped}: {err}");
    }
    // What is carried over is still there.
    std::fs::write(d.join("new.csr"), &out.stdout).expect("write");
    let text = openssl_ok(d, &["req", "-in", "new.csr", "-noout", "-text"]);
    assert!(text.contains("DNS:a.example") && text.contains("TLS Web Server Authentication"), "{text}");
}

#[test]
fn ten_thousand_sans_verify_as_go_verifies_them() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let sans: Vec<String> = (0..10_000).map(|i| format!("DNS:host-{i}.example")).collect();
    std::fs::write(
        d.join("ext.cnf"),
        format!("[req]\ndistinguished_name=e\n[e]\n[x]\nsubjectAltName={}\n", sans.join(",")),
    )
    .expect("write");
    openssl_ok(d, &["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "k.key"]);
    openssl_ok(
        d,
        &[
            "req", "-new", "-key", "k.key", "-subj", "/CN=many", "-config", "ext.cnf", "-reqexts", "x", "-out",
            "many.csr",
        ],
    );
    // Signed by openssl and by k8s-sign: both verify for the last name, as Go says.
    openssl_ok(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "many.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-copy_extensions",
            "copy",
            "-days",
            "365",
            "-out",
            "ossl.crt",
        ],
    );
    sign(d, &["--ca", "ca", "--usage", "server", "--out", "ours"], "many.csr").success();
    for cert in ["ossl.crt", "ours.crt"] {
        run_ok(
            "k8s-verify",
            &["--ca-cert", &s(&d.join("ca.crt")), "--host", "host-9999.example", &s(&d.join(cert))],
            b"",
        );
        let go = assert_cmd::Command::new(go_helper("x509check"))
            .write_stdin(format!("{} {} server host-9999.example\n", s(&d.join(cert)), s(&d.join("ca.crt"))))
            .output()
            .expect("x509check");
        assert_eq!(String::from_utf8_lossy(&go.stdout).trim(), "OK", "{cert}");
        // A name it lacks: one bounded line, not 10,000 names.
        let out = tool("k8s-verify")
            .args(["--ca-cert", &s(&d.join("ca.crt")), "--host", "absent.example", &s(&d.join(cert))])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        let line = text.lines().find(|l| l.contains("not valid for absent.example")).expect("host line");
        assert!(line.contains("and 9980 more") && line.len() < 2000, "{line}");
    }
}
