//! Renewal and the external-CA flow: same identity, new key, later expiry; the CA key never
//! on the node; the audit passes afterwards.

use std::path::Path;

use predicates::str::contains;

use crate::util::*;

/// What must survive renewal, as openssl prints it.
fn identity(dir: &Path, cert: &str) -> String {
    openssl_ok(
        dir,
        &[
            "x509",
            "-in",
            cert,
            "-noout",
            "-subject",
            "-ext",
            "subjectAltName,extendedKeyUsage,keyUsage,basicConstraints",
        ],
    )
}

fn pubkey(dir: &Path, cert: &str) -> String {
    openssl_ok(dir, &["x509", "-in", cert, "-noout", "-pubkey"])
}

fn run_script(script: &str, args: &[&str]) -> std::process::Output {
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let script = repo().join("examples").join(script);
    std::process::Command::new("bash").arg(script).args(args).env("PATH", path).output().expect("script")
}

#[test]
fn from_cert_keeps_identity_with_a_new_key_and_later_expiry() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let key = run_ok("k8s-genkey", &[], b"");
    let csr =
        run_ok("k8s-csr", &["--profile", "apiserver", "--node-name", "n1", "--advertise-address", "10.0.0.10"], &key);
    let ca = s(&dir.path().join("ca"));
    run_ok("k8s-sign", &["--ca", &ca, "--days", "10", "--out", &s(&dir.path().join("api"))], &csr);
    let before = identity(dir.path(), "api.crt");
    let old_key = pubkey(dir.path(), "api.crt");
    let renewed = run_ok("k8s-csr", &["--from-cert", &s(&dir.path().join("api.crt"))], &run_ok("k8s-genkey", &[], b""));
    run_ok("k8s-sign", &["--ca", &ca, "--out", &s(&dir.path().join("api")), "--force"], &renewed);
    assert_eq!(identity(dir.path(), "api.crt"), before);
    assert_ne!(pubkey(dir.path(), "api.crt"), old_key, "a new key, as kubeadm certs renew");
    assert!(
        openssl(dir.path(), &["x509", "-in", "api.crt", "-noout", "-checkend", &(300 * 86_400).to_string()])
            .status
            .success()
    );
    // One more SAN (a load balancer), nothing else changed.
    let more = run_ok(
        "k8s-csr",
        &["--from-cert", &s(&dir.path().join("api.crt")), "--san", "10.0.0.100"],
        &run_ok("k8s-genkey", &[], b""),
    );
    let cert = run_ok("k8s-sign", &["--ca", &ca], &more);
    std::fs::write(dir.path().join("lb.crt"), &cert).expect("write");
    let sans = identity(dir.path(), "lb.crt");
    assert!(sans.contains("IP Address:10.0.0.10, IP Address:10.0.0.100"), "{sans}");
    // --reuse-key keeps the old key.
    let same = run_ok(
        "k8s-csr",
        &["--from-cert", &s(&dir.path().join("api.crt")), "--key", &s(&dir.path().join("api.key")), "--reuse-key"],
        b"",
    );
    let cert = run_ok("k8s-sign", &["--ca", &ca], &same);
    std::fs::write(dir.path().join("same.crt"), &cert).expect("write");
    assert_eq!(pubkey(dir.path(), "same.crt"), pubkey(dir.path(), "api.crt"));
    // A key that is not the certificate's is refused.
    let other = dir.path().join("other.key");
    std::fs::write(&other, run_ok("k8s-genkey", &[], b"")).expect("write");
    tool("k8s-csr")
        .args(["--from-cert", &s(&dir.path().join("api.crt")), "--key", &s(&other), "--reuse-key"])
        .assert()
        .code(4)
        .stderr(contains("does not match"));
}

#[test]
fn a_certificate_made_by_openssl_renews() {
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
            "-addext",
            "keyUsage=critical,keyCertSign,digitalSignature",
        ],
    );
    openssl_ok(
        dir.path(),
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "u.key",
            "-subj",
            "/CN=system:node:w1/O=system:nodes",
            "-addext",
            "subjectAltName=DNS:w1,IP:10.1.0.5",
            "-addext",
            "extendedKeyUsage=serverAuth,clientAuth",
            "-out",
            "u.csr",
        ],
    );
    openssl_ok(
        dir.path(),
        &[
            "x509",
            "-req",
            "-in",
            "u.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "5",
            "-copy_extensions",
            "copyall",
            "-out",
            "u.crt",
        ],
    );
    let renewed = run_ok("k8s-csr", &["--from-cert", &s(&dir.path().join("u.crt"))], &run_ok("k8s-genkey", &[], b""));
    let cert = run_ok(
        "k8s-sign",
        &["--ca-cert", &s(&dir.path().join("ca.crt")), "--ca-key", &s(&dir.path().join("ca.key")), "--days", "20"],
        &renewed,
    );
    std::fs::write(dir.path().join("new.crt"), &cert).expect("write");
    let old = identity(dir.path(), "u.crt");
    let new = identity(dir.path(), "new.crt");
    for line in [
        "subject=CN = system:node:w1, O = system:nodes",
        "DNS:w1, IP Address:10.1.0.5",
        "TLS Web Server Authentication, TLS Web Client Authentication",
    ] {
        assert!(old.contains(line) && new.contains(line), "{line}\nold: {old}\nnew: {new}");
    }
}

#[test]
fn renewing_a_whole_tree_keeps_everything_but_keys_and_dates() {
    let (_keep, out) = copy_of_demo();
    let leaves =
        ["pki/apiserver.crt", "pki/etcd/peer.crt", "pki/front-proxy-client.crt", "pki/apiserver-etcd-client.crt"];
    let before: Vec<(String, String)> = leaves.iter().map(|c| (identity(&out, c), pubkey(&out, c))).collect();
    let serial = |f: &str| openssl_ok(&out, &["x509", "-in", f, "-noout", "-serial"]);
    let ca_before = serial("pki/ca.crt");
    let admin_serial_before =
        String::from_utf8(run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&out.join("admin.conf"))], b""))
            .expect("pem");
    // Keys of other kinds than the default: renewal keeps each one's algorithm and size.
    let kinds = [
        ("pki/apiserver", "--algo ecdsa", "ASN1 OID: prime256v1"),
        ("pki/etcd/peer", "--algo ecdsa --bits 384", "ASN1 OID: secp384r1"),
        ("pki/front-proxy-client", "--bits 3072", "Public-Key: (3072 bit)"),
    ];
    for (stem, algo, _) in kinds {
        let ca = if stem.contains("etcd") {
            "pki/etcd/ca"
        } else if stem.contains("front") {
            "pki/front-proxy-ca"
        } else {
            "pki/ca"
        };
        let made = pipe(
            &format!(
                "cd \"$1\" && k8s-genkey {algo} | k8s-csr --from-cert {stem}.crt | k8s-sign --ca {ca} --out {stem} --force"
            ),
            &[&out],
        );
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    }
    let key_text = |stem: &str| openssl_ok(&out, &["x509", "-noout", "-text", "-in", &format!("{stem}.crt")]);
    let kubelet_conf = std::fs::read(out.join("kubelet.conf")).expect("kubelet.conf");
    // Only what expires within 30 days: nothing on a fresh tree.
    let res = run_script("renew-pki.sh", &[&s(&out), "--within", "30"]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(String::from_utf8_lossy(&res.stdout).contains("renewed 0 certificates"));
    // admin.conf trusting another CA than pki/ca.crt: renewal embeds pki/ca.crt again.
    let admin = std::fs::read_to_string(out.join("admin.conf")).expect("admin.conf");
    let b64 = |p: &str| {
        let out = pipe("base64 -w0 < \"$1\"", &[&out.join(p)]);
        String::from_utf8(out.stdout).expect("base64")
    };
    std::fs::write(out.join("admin.conf"), admin.replace(&b64("pki/ca.crt"), &b64("pki/front-proxy-ca.crt")))
        .expect("write");
    // Everything.
    let res = run_script("renew-pki.sh", &[&s(&out)]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&res.stderr));
    // 7 leaves + 4 kubeconfigs of the control plane (not kubelet.conf: the kubelet rotates its
    // own), and per extra node (node-2, node-3) etcd server and peer and the kubelet serving
    // certificate; node-1's serving cert too.
    assert!(stdout.contains("renewed 18 certificates"), "{stdout}");
    assert!(stdout.contains("25 files: 25 ok"), "the audit passes after renewal:\n{stdout}");
    assert_eq!(
        std::fs::read(out.join("kubelet.conf")).expect("kubelet.conf"),
        kubelet_conf,
        "kubelet.conf is left alone"
    );
    for (stem, _, kind) in kinds {
        assert!(key_text(stem).contains(kind), "{stem} keeps its kind of key ({kind})");
    }
    assert!(
        std::fs::read_to_string(out.join("admin.conf")).expect("admin").contains(&b64("pki/ca.crt")),
        "admin.conf embeds pki/ca.crt"
    );
    // Which process reads each renewed file, from the component flags.
    for line in [
        "  pki/apiserver.crt: restart kube-apiserver (--tls-cert-file, --tls-private-key-file)",
        "  pki/etcd/peer.crt: restart etcd (--peer-cert-file, --peer-key-file)",
        "  nodes/node-2/pki/etcd/server.crt: restart on node-2 etcd (--cert-file, --key-file)",
        "  controller-manager.conf: restart kube-controller-manager (--kubeconfig)",
        "  admin.conf: nothing to restart (kubectl and other clients read it on each run)",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in\n{stdout}");
    }
    // --kubelet renews kubelet.conf too (each node's), and says the kubelet reads it.
    let res = run_script("renew-pki.sh", &[&s(&out), "--kubelet"]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&res.stderr));
    assert!(stdout.contains("renewed 21 certificates"), "{stdout}");
    assert!(stdout.lines().any(|l| l == "  kubelet.conf: restart kubelet (--kubeconfig)"), "{stdout}");
    assert_ne!(std::fs::read(out.join("kubelet.conf")).expect("kubelet.conf"), kubelet_conf);
    for (c, (id, key)) in leaves.iter().zip(&before) {
        assert_eq!(&identity(&out, c), id, "{c}: identity kept");
        assert_ne!(&pubkey(&out, c), key, "{c}: new key");
    }
    assert_eq!(serial("pki/ca.crt"), ca_before, "CAs are never renewed");
    let admin_after =
        String::from_utf8(run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&out.join("admin.conf"))], b""))
            .expect("pem");
    assert_ne!(admin_after, admin_serial_before);
    let backups: Vec<_> = std::fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("backup-"))
        .collect();
    assert_eq!(backups.len(), 2, "one per run");
    let backup = backups[0].path();
    assert!(backup.join("pki/apiserver.crt").exists() && backup.join("pki/etcd/peer.key").exists(), "leaf backups");
    let conf_backups = std::fs::read_dir(&backup)
        .expect("b")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("admin.conf.bak-"))
        .count();
    assert_eq!(conf_backups, 1, "admin.conf backup");
}

#[test]
fn external_ca_round_trip_without_the_ca_key_on_the_node() {
    let dir = scratch();
    let ca = dir.path().join("ca");
    let node = dir.path().join("node");
    for (profile, prefix) in [("ca", "pki/ca"), ("etcd-ca", "pki/etcd/ca"), ("front-proxy-ca", "pki/front-proxy-ca")] {
        let csr = run_ok("k8s-csr", &["--profile", profile], &run_ok("k8s-genkey", &[], b""));
        run_ok("k8s-sign", &["--self-sign", "--out", &s(&ca.join(prefix))], &csr);
    }
    let res = run_script("external-ca.sh", &["csrs", &s(&node), "node-1", "10.0.0.10"]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    assert!(node.join("pki/apiserver.csr").exists() && node.join("admin.conf.csr").exists());
    assert!(
        !node.join("pki/ca.key").exists() && !node.join("pki/ca.crt").exists(),
        "no CA on the node while it makes CSRs"
    );
    // Like kubeadm's (pki_helpers.go NewCSR): no usages requested, files 0600.
    let csr = openssl_ok(&node, &["req", "-noout", "-text", "-in", "pki/etcd/peer.csr"]);
    assert!(!csr.contains("Extended Key Usage") && !csr.contains("Key Usage"), "{csr}");
    use std::os::unix::fs::PermissionsExt;
    for f in ["pki/etcd/peer.csr", "pki/etcd/peer.key", "admin.conf.csr"] {
        assert_eq!(std::fs::metadata(node.join(f)).expect(f).permissions().mode() & 0o777, 0o600, "{f}");
    }
    // Each kubeconfig as kubeadm certs generate-csr writes it (createKubeConfigAndCSR): the key and
    // the server only, byte for byte the YAML of clientcmd's CreateWithCerts with an empty CA and
    // certificate (docs/kubeadm.md section 9), beside NAME.conf.csr; no NAME.conf.key.
    assert!(!node.join("scheduler.conf.key").exists());
    let creds = run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&node.join("scheduler.conf"))], b"");
    let key = String::from_utf8(creds).expect("utf-8");
    assert!(key.starts_with("-----BEGIN") && !key.contains("CERTIFICATE"), "the key only: {key}");
    let key_b64 = String::from_utf8(
        pipe("k8s-kubeconfig --extract --in \"$1\" | base64 -w0", &[node.join("scheduler.conf")]).stdout,
    )
    .expect("base64");
    let kubeadms = format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.10:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: system:kube-scheduler\n  name: system:kube-scheduler@kubernetes\ncurrent-context: system:kube-scheduler@kubernetes\nkind: Config\npreferences: {{}}\nusers:\n- name: system:kube-scheduler\n  user:\n    client-key-data: {}\n",
        key_b64
    );
    assert_eq!(read(node.join("scheduler.conf")), kubeadms);
    let csr = openssl_ok(&node, &["req", "-noout", "-subject", "-in", "scheduler.conf.csr"]);
    assert!(csr.contains("CN = system:kube-scheduler"), "{csr}");
    for f in ["scheduler.conf", "scheduler.conf.csr"] {
        assert_eq!(std::fs::metadata(node.join(f)).expect(f).permissions().mode() & 0o777, 0o600, "{f}");
    }
    let res = run_script("external-ca.sh", &["sign", &s(&ca), &s(&node)]);
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    // Completing with a certificate from the wrong CA is refused, and says why.
    let wrong = tool("k8s-kubeconfig")
        .arg("--complete")
        .arg(node.join("scheduler.conf"))
        .arg("--cert")
        .arg(node.join("scheduler.conf.crt"))
        .arg("--ca-cert")
        .arg(ca.join("pki/etcd/ca.crt"))
        .output()
        .expect("k8s-kubeconfig");
    assert_eq!(wrong.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("was not signed by"), "{wrong:?}");
    let res = run_script("external-ca.sh", &["finish", &s(&node), "10.0.0.10"]);
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(res.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&res.stderr));
    assert!(stdout.contains("16 files: 16 ok"), "{stdout}");
    for key in ["pki/ca.key", "pki/etcd/ca.key", "pki/front-proxy-ca.key"] {
        assert!(!node.join(key).exists(), "{key} must never reach the node");
    }
    // kubeadm's partial scheduler.conf was completed in place: its key, the signed certificate.
    let creds = run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&node.join("scheduler.conf"))], b"");
    assert!(String::from_utf8_lossy(&creds).contains(key.trim()), "the key is kept");
    let completed = tool("k8s-kubeconfig")
        .args(["--complete", &s(&node.join("scheduler.conf")), "--cert", &s(&node.join("pki/apiserver.crt"))])
        .args(["--ca-cert", &s(&node.join("pki/ca.crt"))])
        .output()
        .expect("k8s-kubeconfig");
    assert_eq!(completed.status.code(), Some(2), "a complete kubeconfig is renewed, not completed");
    assert!(
        String::from_utf8_lossy(&completed.stderr)
            .contains("already holds a client certificate; renew it with k8s-kubeconfig --renew"),
        "{completed:?}"
    );
    // The signer chose kubeadm's usages: etcd peer is server+client, admin client only.
    let peer = identity(&node, "pki/etcd/peer.crt");
    assert!(peer.contains("TLS Web Server Authentication, TLS Web Client Authentication"), "{peer}");
}

#[test]
fn profile_auto_refuses_unknown_identities() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let csr = run_ok("k8s-csr", &["--cn", "alice"], &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""));
    tool("k8s-sign")
        .args(["--ca", &s(&dir.path().join("ca")), "--profile", "auto"])
        .write_stdin(csr)
        .assert()
        .code(4)
        .stderr(contains("none of kubeadm's identities"));
}
