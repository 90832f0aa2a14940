//! --explain: the openssl and kubectl commands it prints run as printed and make the same thing.

use std::path::Path;

use crate::util::*;

/// Runs every `$ ` line of an --explain output in `dir` with bash.
fn run_explained(stderr: &[u8], dir: &Path) -> usize {
    let text = String::from_utf8_lossy(stderr);
    let mut n = 0;
    for line in text.lines().filter_map(|l| l.strip_prefix("$ ")) {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(line)
            .current_dir(dir)
            .env("KUBECONFIG", "/dev/null")
            .output()
            .expect("bash");
        assert!(out.status.success(), "{line}\n{}", String::from_utf8_lossy(&out.stderr));
        n += 1;
    }
    n
}

fn explained(name: &str, args: &[&str], stdin: &[u8], dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let out =
        tool(name).args(args).arg("--explain").current_dir(dir).write_stdin(stdin.to_vec()).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.lines().any(|l| l.starts_with("# ")), "prose: {text}");
    (out.stdout, out.stderr)
}

/// Subject, issuer and each extension agree (openssl lists extensions in certificate order,
/// which may differ).
fn same_ext(ours: &Path, theirs: &Path, file: &str) {
    let names = openssl_ok(ours, &["x509", "-in", file, "-noout", "-subject", "-issuer"]);
    assert_eq!(names, openssl_ok(theirs, &["x509", "-in", file, "-noout", "-subject", "-issuer"]), "{file}");
    for ext in ["subjectAltName", "keyUsage", "extendedKeyUsage", "basicConstraints"] {
        let show = |dir: &Path| openssl_ok(dir, &["x509", "-in", file, "-noout", "-ext", ext]);
        assert_eq!(show(ours), show(theirs), "{file}: {ext}");
    }
}

#[test]
fn the_explained_openssl_workflow_makes_the_same_certificates() {
    let ours = scratch();
    let theirs = scratch();
    // 1. Keys.
    let (_, err) = explained("k8s-genkey", &["--out", "ca"], b"", ours.path());
    assert_eq!(run_explained(&err, theirs.path()), 1);
    assert!(read(theirs.path().join("ca.key")).starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let (_, err) = explained("k8s-genkey", &["--algo", "ecdsa", "--out", "api", "--public"], b"", ours.path());
    assert_eq!(run_explained(&err, theirs.path()), 2);
    assert!(read(theirs.path().join("api.key")).starts_with("-----BEGIN EC PRIVATE KEY-----"));
    assert!(theirs.path().join("api.pub").exists());
    // Use the same keys on both sides from here, so the certificates can be compared.
    for f in ["ca.key", "api.key"] {
        std::fs::copy(ours.path().join(f), theirs.path().join(f)).expect("copy");
    }
    // 2. The CA: CSR, then self-signed.
    let (_, err) =
        explained("k8s-csr", &["--key", "ca.key", "--profile", "ca", "--csr-out", "ca.csr"], b"", ours.path());
    assert_eq!(run_explained(&err, theirs.path()), 1);
    let (_, err) = explained(
        "k8s-sign",
        &["--self-sign", "--key", "ca.key", "--in", "ca.csr", "--cert-out", "ca.crt"],
        b"",
        ours.path(),
    );
    assert_eq!(run_explained(&err, theirs.path()), 1);
    same_ext(ours.path(), theirs.path(), "ca.crt");
    // Both sides now share the CA, so the leaf is judged against one CA.
    std::fs::copy(ours.path().join("ca.crt"), theirs.path().join("ca.crt")).expect("copy");
    // 3. A leaf with SANs and both usages.
    let csr_args = [
        "--key",
        "api.key",
        "--profile",
        "etcd-peer",
        "--node-name",
        "n1",
        "--advertise-address",
        "10.0.0.10",
        "--csr-out",
        "api.csr",
    ];
    let (_, err) = explained("k8s-csr", &csr_args, b"", ours.path());
    assert_eq!(run_explained(&err, theirs.path()), 1);
    let (_, err) = explained("k8s-sign", &["--ca", "ca", "--in", "api.csr", "--cert-out", "api.crt"], b"", ours.path());
    assert_eq!(run_explained(&err, theirs.path()), 1);
    same_ext(ours.path(), theirs.path(), "api.crt");
    // What openssl decides itself, not what the explained command hands it (the serial is
    // passed with -set_serial, so comparing it would prove nothing): the key identifiers it
    // hashes from the keys, and the lifetime it computes from -days.
    for ext in ["subjectKeyIdentifier", "authorityKeyIdentifier"] {
        let show = |d: &Path| openssl_ok(d, &["x509", "-in", "api.crt", "-noout", "-ext", ext]);
        assert!(show(theirs.path()).contains(':'), "openssl wrote a {ext}");
        assert_eq!(show(ours.path()), show(theirs.path()), "{ext}");
    }
    let lifetime = |d: &Path| {
        let dates = openssl_ok(d, &["x509", "-in", "api.crt", "-noout", "-startdate", "-enddate"]);
        let epoch = |prefix: &str| -> i64 {
            let line = dates.lines().find_map(|l| l.strip_prefix(prefix)).expect("date line");
            let out = std::process::Command::new("date").args(["-u", "-d", line, "+%s"]).output().expect("date");
            String::from_utf8_lossy(&out.stdout).trim().parse().expect("epoch")
        };
        epoch("notAfter=") - epoch("notBefore=")
    };
    let (a, b) = (lifetime(ours.path()), lifetime(theirs.path()));
    assert!((a - b).abs() <= 600, "lifetimes differ: ours {a} s, openssl's {b} s");
    openssl_ok(theirs.path(), &["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "ca.crt", "api.crt"]);
}

#[test]
fn the_explained_kubectl_commands_make_the_same_kubeconfig() {
    let ours = scratch();
    make_ca(ours.path(), "ca", "kubernetes");
    issue(ours.path(), "ca", "admin", &["--profile", "admin"]);
    let (_, err) = explained(
        "k8s-kubeconfig",
        &[
            "--ca-cert",
            "ca.crt",
            "--cert",
            "admin.crt",
            "--key",
            "admin.key",
            "--server",
            "https://10.0.0.10:6443",
            "--out",
            "admin.conf",
        ],
        b"",
        ours.path(),
    );
    let theirs = scratch();
    for f in ["ca.crt", "admin.crt", "admin.key"] {
        std::fs::copy(ours.path().join(f), theirs.path().join(f)).expect("copy");
    }
    assert_eq!(run_explained(&err, theirs.path()), 4);
    let view = |d: &Path| {
        let out = kubectl()
            .args(["--kubeconfig", "admin.conf", "config", "view", "--raw", "-o", "json"])
            .current_dir(d)
            .output()
            .expect("kubectl");
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v.as_object_mut().expect("object").remove("preferences");
        v
    };
    assert_eq!(view(ours.path()), view(theirs.path()));
}

#[test]
fn verify_explains_with_openssl_verify() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    issue(dir.path(), "ca", "srv", &["--cn", "srv", "--san", "srv.example,10.1.2.3", "--usage", "server"]);
    let (_, err) = explained(
        "k8s-verify",
        &["--ca-cert", "ca.crt", "--purpose", "server", "--host", "10.1.2.3", "--host", "srv.example", "srv.crt"],
        b"",
        dir.path(),
    );
    assert_eq!(run_explained(&err, dir.path()), 1);
}

#[test]
fn the_explained_kubectl_commands_merge_as_k8s_kubeconfig_merges() {
    let ours = scratch();
    make_ca(ours.path(), "ca", "kubernetes");
    issue(ours.path(), "ca", "admin", &["--profile", "admin"]);
    issue(ours.path(), "ca", "alice", &["--cn", "alice", "--org", "dev", "--usage", "client"]);
    let base = ["--ca-cert", "ca.crt", "--server", "https://10.0.0.10:6443"];
    let admin = [&base[..], &["--cert", "admin.crt", "--key", "admin.key", "--out", "base.conf"]].concat();
    explained("k8s-kubeconfig", &admin, b"", ours.path());
    let theirs = scratch();
    for f in ["ca.crt", "alice.crt", "alice.key", "base.conf"] {
        std::fs::copy(ours.path().join(f), theirs.path().join(f)).expect("copy");
    }
    let view = |d: &Path, file: &str| {
        let out = kubectl()
            .args(["--kubeconfig", file, "config", "view", "--raw", "-o", "json"])
            .current_dir(d)
            .output()
            .expect("kubectl");
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v.as_object_mut().expect("object").remove("preferences");
        v
    };
    // Into a new file: a copy, then set-cluster, set-credentials, set-context; no use-context.
    let alice = [&base[..], &["--cert", "alice.crt", "--key", "alice.key", "--merge", "base.conf"]].concat();
    let (_, err) = explained("k8s-kubeconfig", &[&alice[..], &["--out", "merged.conf"]].concat(), b"", ours.path());
    assert_eq!(run_explained(&err, theirs.path()), 4);
    let merged = view(ours.path(), "merged.conf");
    assert_eq!(merged["current-context"], "kubernetes-admin@kubernetes", "as kubectl config set-context leaves it");
    assert_eq!(merged, view(theirs.path(), "merged.conf"));
    // Back into the file itself, switching context: the same commands on it, and use-context.
    let (_, err) =
        explained("k8s-kubeconfig", &[&alice[..], &["--in-place", "--use-context"]].concat(), b"", ours.path());
    assert_eq!(run_explained(&err, theirs.path()), 4);
    let merged = view(ours.path(), "base.conf");
    assert_eq!(merged["current-context"], "alice@kubernetes");
    assert_eq!(merged, view(theirs.path(), "base.conf"));
}

/// In a pipe, `k8s-csr --explain`'s `$ ` line reads the key from stdin and writes the CSR to
/// stdout as k8s-csr does, so it runs as printed with the same key piped into it and makes the
/// same request (subject and extensions), for plain and hostile subjects.
#[test]
fn the_explained_csr_of_a_pipe_runs_in_the_pipe() {
    let dir = scratch();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    for args in [
        &["--cn", "alice", "--org", "dev", "--usage", "client"][..],
        &["--cn", "a b/c=d+e", "--org", "x,y", "--san", "10.0.0.1,node-1", "--usage", "server"],
        &["--cn", "$(touch PWNED)'\"", "--usage", "client"],
    ] {
        let (csr, err) = explained("k8s-csr", args, &key, dir.path());
        let line =
            String::from_utf8_lossy(&err).lines().find_map(|l| l.strip_prefix("$ ").map(str::to_string)).expect("$");
        assert!(line.contains("-key /dev/stdin") && !line.contains(" -out "), "{line}");
        let theirs = std::process::Command::new("bash")
            .arg("-c")
            .arg(&line)
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().expect("stdin").write_all(&key)?;
                child.wait_with_output()
            })
            .expect("bash");
        assert!(theirs.status.success(), "{line}: {}", String::from_utf8_lossy(&theirs.stderr));
        assert!(!dir.path().join("PWNED").exists(), "{line}");
        let ours_csr = blocks_of(&csr, "CERTIFICATE REQUEST").concat();
        std::fs::write(dir.path().join("ours.csr"), ours_csr).expect("write");
        std::fs::write(dir.path().join("theirs.csr"), &theirs.stdout).expect("write");
        let show =
            |f: &str| openssl_ok(dir.path(), &["req", "-in", f, "-noout", "-subject", "-text", "-nameopt", "RFC2253"]);
        let pick = |text: String| -> Vec<String> {
            text.lines()
                .filter(|l| {
                    l.starts_with("subject=") || l.contains("DNS:") || l.contains("IP Address") || l.contains("TLS Web")
                })
                .map(|l| l.trim().to_string())
                .collect()
        };
        assert_eq!(pick(show("ours.csr")), pick(show("theirs.csr")), "{args:?}");
    }
}

/// A SAN openssl's extension syntax would split (a URI holding commas, from a CSR openssl made
/// with a config section) gets no `$ ` line that would make a different certificate: the
/// explanation says why instead.
#[test]
fn a_san_openssl_cannot_say_on_one_line_gets_no_openssl_line() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "ca");
    let conf = "[req]\ndistinguished_name=dn\nreq_extensions=ext\n[dn]\n[ext]\nsubjectAltName=@alt\n[alt]\nURI.1=https://x/a,DNS:evil.example,IP:1.2.3.4\n";
    std::fs::write(d.join("req.cnf"), conf).expect("write");
    openssl_ok(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "u.key",
            "-subj",
            "/CN=u",
            "-config",
            "req.cnf",
            "-out",
            "u.csr",
        ],
    );
    let (_, err) =
        explained("k8s-sign", &["--ca", "ca", "--usage", "client", "--in", "u.csr", "--cert-out", "u.crt"], b"", d);
    let text = String::from_utf8_lossy(&err);
    assert!(!text.lines().any(|l| l.starts_with("$ openssl x509")), "{text}");
    assert!(
        text.contains("# no one-line openssl x509 -req makes this")
            && text.contains("URI:https://x/a,DNS:evil.example"),
        "{text}"
    );
    // The certificate holds the one URI, as the CSR asked.
    let sans = openssl_ok(d, &["x509", "-in", "u.crt", "-noout", "-ext", "subjectAltName"]);
    assert!(sans.contains("URI:https://x/a,DNS:evil.example,IP:1.2.3.4") && !sans.contains("IP Address"), "{sans}");
}

/// The prose follows the certificate's role: a CA's CN and SAN are not a user name or a
/// Service name, and a serving certificate's CN is not what clients check.
#[test]
fn explanations_follow_the_profiles_role() {
    let dir = scratch();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let (_, ca) = explained("k8s-csr", &["--profile", "ca"], &key, dir.path());
    let ca = String::from_utf8_lossy(&ca).into_owned();
    assert!(
        ca.contains("#   CN=kubernetes: the CA's name") && ca.contains("#   SAN DNS:kubernetes: a CA's SAN"),
        "{ca}"
    );
    assert!(!ca.contains("user name") && !ca.contains("in-cluster Service"), "{ca}");
    let args = ["--profile", "apiserver", "--node-name", "cp", "--advertise-address", "10.0.0.10"];
    let (_, api) = explained("k8s-csr", &args, &key, dir.path());
    let api = String::from_utf8_lossy(&api).into_owned();
    assert!(api.contains("#   CN=kube-apiserver: the certificate's name; TLS clients check the SANs"), "{api}");
    let (_, client) = explained("k8s-csr", &["--cn", "alice", "--usage", "client"], &key, dir.path());
    assert!(
        String::from_utf8_lossy(&client).contains("kube-apiserver reads a client certificate's CN as the user name")
    );
}

/// Each SAN a profile makes is explained by the flag that made it, and that is checked by
/// changing the flag: the SAN the explanation pins on it leaves the CSR (read by openssl), while
/// a SAN pinned on no flag stays whatever the flags say.
#[test]
fn each_san_is_explained_by_the_rule_that_made_it() {
    let dir = scratch();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let base: Vec<(&str, &str, &str)> = vec![
        // (flag, value, another value)
        ("--node-name", "n1", "n2"),
        ("--advertise-address", "10.0.0.10", "10.0.0.11"),
        ("--control-plane-endpoint", "lb.example:6443", "lb2.example:6443"),
        ("--service-cidr", "10.96.0.0/12", "10.100.0.0/16"),
        ("--dns-domain", "cluster.local", "example.org"),
        ("--san", "10.0.0.99", "10.0.0.98"),
    ];
    let sans_of = |profile: &str, change: Option<&str>| -> Vec<String> {
        let mut args = vec!["--profile".to_string(), profile.to_string()];
        for (flag, value, other) in &base {
            args.extend([flag.to_string(), if change == Some(*flag) { other } else { value }.to_string()]);
        }
        std::fs::write(
            dir.path().join("req.csr"),
            run_ok("k8s-csr", &args.iter().map(String::as_str).collect::<Vec<_>>(), &key),
        )
        .expect("write");
        let text = openssl_ok(dir.path(), &["req", "-in", "req.csr", "-noout", "-text"]);
        let line = text.lines().skip_while(|l| !l.contains("Subject Alternative Name")).nth(1).unwrap_or_default();
        line.split(", ").map(|s| s.trim().replace("IP Address:", "IP:").replace("0:0:0:0:0:0:0:1", "::1")).collect()
    };
    for profile in ["apiserver", "etcd-server", "etcd-peer", "kubelet-serving"] {
        let mut args = vec!["--profile", profile];
        for (flag, value, _) in &base {
            args.extend([*flag, *value]);
        }
        let out = tool("k8s-csr").args(&args).arg("--explain").write_stdin(key.clone()).output().expect("runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        let all = sans_of(profile, None);
        let explained: Vec<(&str, &str)> =
            text.lines().filter_map(|l| l.strip_prefix("#   SAN ")).filter_map(|l| l.split_once(": ")).collect();
        assert_eq!(explained.len(), all.len(), "{profile}: one line per SAN {all:?}:\n{text}");
        for (san, why) in explained {
            assert!(all.iter().any(|s| s == san), "{profile}: {san} is in the CSR {all:?}");
            let flags: Vec<&str> = base.iter().map(|b| b.0).filter(|f| why.contains(&format!("({f}"))).collect();
            assert!(flags.len() <= 1, "{profile}: {san}: one rule: {why}");
            for (flag, ..) in &base {
                let after = sans_of(profile, Some(flag));
                let made_by_it = flags.contains(flag);
                assert_eq!(
                    !after.iter().any(|s| s == san),
                    made_by_it,
                    "{profile}: {san} explained as \"{why}\"; changing {flag} gives {after:?}"
                );
            }
        }
    }
}
