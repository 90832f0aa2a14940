//! Fitting the ecosystem: cfssl/cfssljson both ways, make install into a DESTDIR with man and
//! completions, --version everywhere (the README's snippets and table: readme.rs).

use std::path::Path;
use std::process::Command as StdCommand;

use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

use crate::util::*;

const ADMIN_JSON: &str = r#"{"CN":"admin","key":{"algo":"rsa","size":2048},"hosts":[],
 "names":[{"C":"US","L":"Portland","O":"system:masters","OU":"Kubernetes The Hard Way","ST":"Oregon"},{"O":"ops"}]}"#;

#[test]
fn cfssl_csr_json_in_and_cfssljson_bare_out() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    std::fs::write(dir.path().join("admin-csr.json"), ADMIN_JSON).expect("write");
    let json = s(&dir.path().join("admin-csr.json"));
    // cfssl gencert -ca ca.pem -ca-key ca-key.pem -config ca-config.json -profile kubernetes admin-csr.json | cfssljson -bare admin
    let key = run_ok("k8s-genkey", &["--cfssl", &json], b"");
    assert_eq!(labels(&key), vec!["RSA PRIVATE KEY"], "the key spec is honoured");
    let csr = run_ok("k8s-csr", &["--cfssl", &json], &key);
    let signed = run_ok(
        "k8s-sign",
        &["--ca", &s(&dir.path().join("ca")), "--usage", "client", "--keep-csr", "--format", "json"],
        &csr,
    );
    let status = require("cfssljson", "golang-cfssl")
        .args(["-bare", "admin"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(&signed)?;
            c.wait()
        })
        .expect("cfssljson");
    assert!(status.success());
    for f in ["admin.pem", "admin-key.pem", "admin.csr"] {
        assert!(dir.path().join(f).exists(), "cfssljson wrote {f}");
    }
    let subject = openssl_ok(dir.path(), &["x509", "-in", "admin.pem", "-noout", "-subject"]);
    assert_eq!(
        subject.trim(),
        "subject=C = US, ST = Oregon, L = Portland, O = system:masters, O = ops, OU = Kubernetes The Hard Way, CN = admin"
    );
    openssl_ok(dir.path(), &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.crt", "admin.pem"]);
    let from_key = openssl_ok(dir.path(), &["pkey", "-in", "admin-key.pem", "-pubout"]);
    assert_eq!(from_key, openssl_ok(dir.path(), &["x509", "-in", "admin.pem", "-noout", "-pubkey"]));
}

#[test]
fn cfssl_made_csrs_keep_every_group_through_k8s_sign() {
    // cfssl (Go) writes the groups as one multi-valued RDN: the trap rcgen falls into.
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    std::fs::write(
        dir.path().join("u.json"),
        r#"{"CN":"u","key":{"algo":"ecdsa","size":256},"names":[{"O":"a"},{"O":"b"},{"O":"c"}]}"#,
    )
    .expect("write");
    let generated =
        require("cfssl", "golang-cfssl").args(["genkey", "u.json"]).current_dir(dir.path()).output().expect("cfssl");
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let v: serde_json::Value = serde_json::from_slice(&generated.stdout).expect("json");
    let csr = v["csr"].as_str().expect("csr").to_string();
    let cert = run_ok("k8s-sign", &["--ca", &s(&dir.path().join("ca")), "--usage", "client"], csr.as_bytes());
    std::fs::write(dir.path().join("u.crt"), &cert).expect("write");
    let subject = openssl_ok(dir.path(), &["x509", "-in", "u.crt", "-noout", "-subject", "-nameopt", "RFC2253"]);
    for o in ["O=a", "O=b", "O=c"] {
        assert!(subject.contains(o), "{o} lost: {subject}");
    }
    // And cfssl sign accepts our CSR.
    let ours = run_ok(
        "k8s-csr",
        &["--cn", "x", "--org", "g1", "--org", "g2"],
        &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""),
    );
    std::fs::write(dir.path().join("x.csr"), blocks_of(&ours, "CERTIFICATE REQUEST")[0].as_bytes()).expect("write");
    let signed = require("cfssl", "golang-cfssl")
        .args(["sign", "-ca", "ca.crt", "-ca-key", "ca.key", "x.csr"])
        .current_dir(dir.path())
        .output()
        .expect("cfssl");
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let v: serde_json::Value = serde_json::from_slice(&signed.stdout).expect("json");
    std::fs::write(dir.path().join("x.crt"), v["cert"].as_str().expect("cert")).expect("write");
    let subject = openssl_ok(dir.path(), &["x509", "-in", "x.crt", "-noout", "-subject", "-nameopt", "RFC2253"]);
    assert!(subject.contains("O=g1") && subject.contains("O=g2"), "{subject}");
}

#[test]
fn make_install_into_a_destdir_and_uninstall() {
    let dest = scratch();
    let make = |target: &str| {
        let out = require("make", "make")
            .arg("-C")
            .arg(repo())
            .args([
                target,
                &format!("DESTDIR={}", s(dest.path())),
                "PREFIX=/usr/local",
                &format!("BIN_SRC={}", s(&bin_dir())),
            ])
            .output()
            .expect("make");
        assert!(out.status.success(), "make {target}: {}", String::from_utf8_lossy(&out.stderr));
    };
    make("install");
    let prefix = dest.path().join("usr/local");
    for bin in ["k8s-genkey", "k8s-csr", "k8s-sign", "k8s-kubeconfig", "k8s-verify", "k8s-rotate"] {
        let out = StdCommand::new(prefix.join("bin").join(bin)).arg("--version").output().expect("runs");
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).starts_with(&format!("{bin} ")),
            "{bin} --version"
        );
        assert!(prefix.join(format!("share/man/man1/{bin}.1")).exists());
        assert!(prefix.join(format!("share/bash-completion/completions/{bin}")).exists());
        assert!(prefix.join(format!("share/zsh/site-functions/_{bin}")).exists());
        assert!(prefix.join(format!("share/fish/vendor_completions.d/{bin}.fish")).exists());
    }
    // man finds and renders the installed page.
    let page = require("man", "man-db")
        .env("MANPATH", prefix.join("share/man"))
        .env("MANWIDTH", "80")
        .args(["k8s-sign"])
        .output()
        .expect("man");
    let text = String::from_utf8_lossy(&page.stdout);
    assert!(page.status.success() && text.contains("EXIT STATUS") && text.contains("EXAMPLES"), "{text}");
    make("uninstall");
    let left: Vec<_> = walk(dest.path());
    assert!(left.is_empty(), "uninstall left {left:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn completions_know_the_profiles_and_values() {
    let bash = read(repo().join("completions/k8s-csr.bash"));
    for word in ["apiserver", "etcd-peer", "kubelet-serving", "super-admin"] {
        assert!(bash.contains(word), "{word} missing from bash completion");
    }
    let genkey = read(repo().join("completions/k8s-genkey.fish"));
    assert!(genkey.contains("ecdsa-p384") && genkey.contains("pkcs8"));
    assert!(read(repo().join("completions/_k8s-sign")).contains("auto"));
}

/// notAfter of a certificate file, in seconds since the epoch (openssl's reading).
fn not_after_of(dir: &std::path::Path, file: &str) -> i64 {
    let out = openssl_ok(dir, &["x509", "-in", file, "-noout", "-enddate", "-dateopt", "iso_8601"]);
    let date = out.trim().trim_start_matches("notAfter=").replace(' ', "T");
    date.parse::<jiff::Timestamp>().expect("iso 8601").as_second()
}

#[test]
fn cfssl_signing_config_profiles_sign_as_cfssl_does() {
    let dir = scratch();
    let d = dir.path();
    let config = r#"{"signing":{"default":{"expiry":"168h"},"profiles":{
        "kubernetes":{"usages":["signing","key encipherment","server auth","client auth"],"expiry":"8760h"},
        "intermediate":{"usages":["cert sign","crl sign"],"expiry":"43800h",
            "ca_constraint":{"is_ca":true,"max_path_len":0,"max_path_len_zero":true}},
        "short":{"usages":["signing","client auth"],"expiry":"10h","ocsp_url":"http://ocsp.example"}}}}"#;
    std::fs::write(d.join("ca-config.json"), config).expect("config");
    std::fs::write(d.join("ca-csr.json"), r#"{"CN":"kubernetes","key":{"algo":"ecdsa","size":256}}"#).expect("ca");
    std::fs::write(d.join("x-csr.json"), r#"{"CN":"x","hosts":["x.example"],"key":{"algo":"ecdsa","size":256}}"#)
        .expect("x");
    let cfssl = |script: &str| {
        require("cfssl", "golang-cfssl");
        let out = script_in(d, script, &[]);
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    cfssl("cfssl gencert -initca ca-csr.json | cfssljson -bare ca");
    // Each extension on its own: the two tools write them in different orders (docs/kubeadm.md
    // section 11).
    // cfssl leaves a CA profile's certificate without the CSR's SANs; k8s-sign copies them (Go
    // ignores a CA's SANs), so those are compared for the leaf profiles only.
    let ext = |file: &str, names: &[&str]| {
        names.iter().map(|name| openssl_ok(d, &["x509", "-in", file, "-noout", "-ext", name])).collect::<String>()
    };
    for profile in ["kubernetes", "intermediate", "short"] {
        cfssl(&format!(
            "cfssl gencert -ca ca.pem -ca-key ca-key.pem -config ca-config.json -profile {profile} x-csr.json \
             | cfssljson -bare theirs-{profile}"
        ));
        // The same command in cfssl's words, Go's -flag=value form included; a profile that
        // grants a CA needs --allow-ca, as every way of issuing one does here.
        let allow_ca = if profile == "intermediate" { " --allow-ca" } else { "" };
        let ours = cfssl(&format!(
            "k8s-genkey --cfssl x-csr.json | k8s-csr --cfssl x-csr.json \
             | k8s-sign -ca ca.pem -ca-key ca-key.pem -config=ca-config.json -profile={profile}{allow_ca} --format json \
             | cfssljson -bare ours-{profile}"
        ));
        let (theirs_file, ours_file) = (format!("theirs-{profile}.pem"), format!("ours-{profile}.pem"));
        let names: &[&str] = match profile {
            "intermediate" => &["basicConstraints", "extendedKeyUsage"],
            _ => &["basicConstraints", "extendedKeyUsage", "subjectAltName"],
        };
        assert_eq!(ext(&ours_file, names), ext(&theirs_file, names), "{profile}: {names:?} as cfssl's");
        // cfssl counts the expiry from its 5-minute backdated start, k8s-sign from now.
        let drift = not_after_of(d, &ours_file) - not_after_of(d, &theirs_file);
        assert!((0..=6 * 60).contains(&drift), "{profile}: notAfter {drift}s from cfssl's");
        let warnings = String::from_utf8_lossy(&ours.stderr);
        match profile {
            "intermediate" => assert!(
                warnings.contains("cfssl profile intermediate: key usages are kubeadm's (digital signature, key encipherment, cert sign), not crl sign"),
                "{warnings}"
            ),
            "short" => assert!(
                warnings.contains("cfssl config: \"ocsp_url\" of profile short is not applied by k8s-sign"),
                "{warnings}"
            ),
            _ => assert!(warnings.is_empty(), "{warnings}"),
        }
    }
    openssl_ok(d, &["verify", "-CAfile", "ca.pem", "-untrusted", "ours-intermediate.pem", "ours-kubernetes.pem"]);
    // Where cfssl signs silently with its default profile, k8s-sign names the profiles it has.
    let csr = run_ok("k8s-csr", &["--cn", "x", "--san", "x.example"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    tool("k8s-sign")
        .current_dir(d)
        .args(["--ca-cert", "ca.pem", "--ca-key", "ca-key.pem", "--config", "ca-config.json", "--profile", "kubrnetes"])
        .write_stdin(csr.clone())
        .assert()
        .code(2)
        .stderr(contains(
            "ca-config.json has no profile 'kubrnetes' (it has: intermediate, kubernetes, short); cfssl would sign with the default profile instead",
        ));
    // The default profile grants no usage: cfssl refuses too ("no key usage available").
    tool("k8s-sign")
        .current_dir(d)
        .args(["--ca-cert", "ca.pem", "--ca-key", "ca-key.pem", "--config", "ca-config.json"])
        .write_stdin(csr.clone())
        .assert()
        .code(3)
        .stderr(contains("profile default grants no server auth or client auth (cfssl: no key usage available)"));
    // Without --config, --profile is kubeadm's.
    tool("k8s-sign")
        .current_dir(d)
        .args(["--ca-cert", "ca.pem", "--ca-key", "ca-key.pem", "--profile", "kubernetes"])
        .write_stdin(csr)
        .assert()
        .code(2)
        .stderr(contains("unknown profile 'kubernetes'").and(contains("(a cfssl profile goes with --config FILE)")));
}

#[test]
fn cfssl_initca_ca_object_and_cfssljson_names_as_cfssl_writes_them() {
    let dir = scratch();
    let d = dir.path();
    let run = |script: &str| {
        require("cfssl", "golang-cfssl");
        let out = script_in(d, script, &[]);
        assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let cases = [
        // (the "ca" object, what k8s-csr warns about, if anything)
        (r#"{"expiry":"87600h","pathlen":1}"#, None),
        (r#"{"expiry":"87600h","pathlen":0,"pathlenzero":true}"#, None),
        (r#"{"expiry":"87600h","pathlen":0}"#, Some("add \"pathlenzero\": true for a CA that may sign no CA")),
        (r#"{"pathlen":2,"backdate":"1h"}"#, Some("ca-csr.json: fields not applied: \"ca\".\"backdate\", \"extra\"")),
    ];
    for (i, (ca, warning)) in cases.iter().enumerate() {
        let extra = if i == 3 { r#","extra":true"# } else { "" };
        let json = format!(r#"{{"CN":"kubernetes","key":{{"algo":"ecdsa","size":256}},"ca":{ca}{extra}}}"#);
        std::fs::write(d.join("ca-csr.json"), json).expect("csr json");
        run(&format!("rm -f theirs{i}* ours{i}*; cfssl gencert -initca ca-csr.json | cfssljson -bare theirs{i}"));
        // cfssljson's names without cfssljson: NAME.pem, NAME-key.pem and NAME.csr.
        let stderr = run(&format!(
            "k8s-genkey --cfssl ca-csr.json | k8s-csr --cfssl ca-csr.json \
             | k8s-sign --self-sign --cfssl ca-csr.json -bare ours{i}"
        ));
        for suffix in [".pem", "-key.pem", ".csr"] {
            assert!(d.join(format!("ours{i}{suffix}")).exists(), "{ca}: ours{i}{suffix}");
        }
        let (theirs, ours) = (format!("theirs{i}.pem"), format!("ours{i}.pem"));
        let bc = |file: &str| openssl_ok(d, &["x509", "-in", file, "-noout", "-ext", "basicConstraints"]);
        assert_eq!(bc(&ours), bc(&theirs), "{ca}: basicConstraints as cfssl's");
        let drift = not_after_of(d, &ours) - not_after_of(d, &theirs);
        assert!((0..=6 * 60).contains(&drift), "{ca}: notAfter {drift}s from cfssl's");
        match warning {
            Some(w) => assert!(stderr.contains(w), "{ca}: {stderr}"),
            None => assert!(stderr.is_empty(), "{ca}: {stderr}"),
        }
        // The CSR asks for what the certificate holds (cfssl's appendCAInfoToCSR).
        let req = openssl_ok(d, &["req", "-in", &format!("ours{i}.csr"), "-noout", "-text"]);
        let want = bc(&theirs).lines().last().map(str::trim).unwrap_or_default().to_string();
        assert!(req.contains(&want), "{ca}: the CSR asks for {want}:\n{req}");
    }
    // --days overrides the expiry; a leaf signed under pathlen 0 verifies, --drop-csr keeps no CSR.
    run("k8s-genkey --cfssl ca-csr.json | k8s-csr --cfssl ca-csr.json \
         | k8s-sign --self-sign --cfssl ca-csr.json --days 30 --bare short");
    let shorter = not_after_of(d, "ours3.pem") - not_after_of(d, "short.pem");
    assert!((shorter - (43800 * 3600 - 30 * 86400)).abs() < 600, "--days 30, not cfssl's 43800h: {shorter}s");
    run("k8s-genkey | k8s-csr --cn u --usage client \
         | k8s-sign --ca-cert ours1.pem --ca-key ours1-key.pem --bare leaf --drop-csr");
    assert!(!d.join("leaf.csr").exists(), "--drop-csr writes no leaf.csr");
    openssl_ok(d, &["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ours1.pem", "leaf.pem"]);
    // With pathlen 0, the CA signs no CA (k8s-sign refuses, as Go's verifier would fail it).
    tool("k8s-sign")
        .current_dir(d)
        .args(["--ca-cert", "ours1.pem", "--ca-key", "ours1-key.pem", "--allow-ca"])
        .write_stdin(run_ok("k8s-csr", &["--profile", "ca", "--cn", "sub"], &run_ok("k8s-genkey", &[], b"")))
        .assert()
        .code(4)
        .stderr(contains("the signing CA has pathLenConstraint 0: it may not issue another CA"));
}
