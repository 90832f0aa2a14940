//! kubeadm releases as data (`--kubernetes-version`): a tree built as kubeadm 1.28 wrote it
//! audits clean, is recognised as 1.28, keeps its groups through fixes and renewal, and is
//! told apart from the newest release when that is asked for.

use std::path::Path;

use crate::util::*;

fn orgs_of_kubeconfig(conf: &Path) -> Vec<String> {
    let out = tool("k8s-verify").arg(conf).args(["--format", "json"]).output().expect("k8s-verify");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inspect json");
    let cert = v.as_array().and_then(|a| a.iter().find(|i| i["kind"] == "certificate")).cloned().unwrap_or_default();
    cert["subject"]["o"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_kubeadm_1_28_tree_is_built_audited_fixed_and_renewed_as_1_28() {
    let dir = scratch();
    let out = dir.path().join("cluster");
    let script = repo().join("examples/kubeadm-pki.sh");
    let built = pipe("K8S_VERSION=1.28 \"$1\" \"$2\" 'node-1 node-2' 10.0.0.10", &[script.as_path(), out.as_path()]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    assert!(!out.join("super-admin.conf").exists(), "kubeadm 1.28 has no super-admin.conf");
    assert_eq!(orgs_of_kubeconfig(&out.join("admin.conf")), ["system:masters"]);
    // Audited as 1.28 without being told: no failure, no warning.
    let audit = |extra: &[&str]| {
        let res = tool("k8s-verify").arg("--pki-dir").arg(&out).args(extra).output().expect("k8s-verify");
        (res.status.code(), String::from_utf8_lossy(&res.stdout).into_owned())
    };
    let (code, text) = audit(&[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.lines().next().unwrap_or("").contains("kubeadm 1.28, detected from the groups of pki/apiserver-kubelet-client.crt, pki/etcd/healthcheck-client.crt, pki/apiserver-etcd-client.crt, admin.conf)"), "{text}");
    // Against the newest release: each 1.28 group is named, as a warning.
    let (code, text) = audit(&["--kubernetes-version", "v1.33.1"]);
    assert_eq!(code, Some(6), "{text}");
    assert!(
        text.contains(
            "o: groups [system:masters] are what kubeadm 1.28 wrote; kubeadm 1.33 writes [kubeadm:cluster-admins]"
        ),
        "{text}"
    );
    assert!(
        text.contains("o: groups [system:masters] are what kubeadm 1.28 wrote; kubeadm 1.33 writes none"),
        "{text}"
    );
    // A lost admin.conf: the fix line re-creates it with 1.28's groups, and runs as printed.
    std::fs::remove_file(out.join("admin.conf")).expect("rm");
    let v: serde_json::Value = serde_json::from_slice(
        &tool("k8s-verify").arg("--pki-dir").arg(&out).args(["--format", "json"]).output().expect("audit").stdout,
    )
    .expect("audit json");
    let fix =
        v["files"].as_array().expect("files").iter().find(|f| f["path"] == "admin.conf").expect("admin.conf")["fix"]
            .as_str()
            .expect("a fix line")
            .to_string();
    assert!(fix.contains("k8s-csr --profile admin --kubernetes-version 1.28"), "{fix}");
    let ran = pipe(&fix, &[] as &[&str]);
    assert!(ran.status.success(), "{fix}: {}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(orgs_of_kubeconfig(&out.join("admin.conf")), ["system:masters"]);
    assert_eq!(audit(&[]).0, Some(0));
    // make renew keeps each certificate's subject: still 1.28's.
    let renew = repo().join("examples/renew-pki.sh");
    let renewed = pipe("\"$1\" \"$2\"", &[renew.as_path(), out.as_path()]);
    assert!(renewed.status.success(), "{}", String::from_utf8_lossy(&renewed.stderr));
    assert_eq!(orgs_of_kubeconfig(&out.join("admin.conf")), ["system:masters"]);
    let (code, text) = audit(&[]);
    assert_eq!(code, Some(0), "{text}");
    // ... and starts each renewed certificate at its CA's NotBefore, as kubeadm 1.28's
    // `certs renew` does (pkiutil NewSignedCert), read by openssl.
    let start = |pem: &[u8]| {
        let dir = scratch();
        std::fs::write(dir.path().join("c.pem"), pem).expect("write");
        openssl_ok(dir.path(), &["x509", "-in", "c.pem", "-noout", "-startdate"])
    };
    let file = |rel: &str| std::fs::read(out.join(rel)).expect("read");
    for (leaf, ca) in [("pki/apiserver.crt", "pki/ca.crt"), ("pki/front-proxy-client.crt", "pki/front-proxy-ca.crt")]
        .into_iter()
        .chain([("pki/etcd/server.crt", "pki/etcd/ca.crt")])
    {
        assert_eq!(start(&file(leaf)), start(&file(ca)), "{leaf}");
    }
    let admin = run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&out.join("admin.conf"))], b"");
    let admin_cert = blocks_of(&admin, "CERTIFICATE").into_iter().next().expect("client certificate");
    assert_eq!(start(admin_cert.as_bytes()), start(&file("pki/ca.crt")), "admin.conf");
    // A rotation of the 1.28 tree starts the leaves it re-issues at the new CA's NotBefore.
    let rotate = |args: &[&str]| {
        let res = tool("k8s-rotate").args(args).arg("--pki-dir").arg(&out).output().expect("k8s-rotate");
        assert!(res.status.success(), "{args:?}: {}", String::from_utf8_lossy(&res.stderr));
    };
    rotate(&["prepare", "--target", "ca"]);
    rotate(&["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    let admin = run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&out.join("admin.conf"))], b"");
    let admin_cert = blocks_of(&admin, "CERTIFICATE").into_iter().next().expect("client certificate");
    assert_eq!(start(admin_cert.as_bytes()), start(&file("pki/rotation/ca.new.crt")), "admin.conf after clients");
    // The newest release backdates five minutes instead: the same renewal, told so, does not
    // start at the CA's NotBefore.
    let conf = scratch();
    let copy = conf.path().join("admin.conf");
    std::fs::copy(demo_pki().join("admin.conf"), &copy).expect("copy");
    let ca = s(&demo_pki().join("pki/ca"));
    for (version, at_ca) in [("1.28", true), ("1.33", false)] {
        run_ok("k8s-kubeconfig", &["--renew", &s(&copy), "--ca", &ca, "--kubernetes-version", version], b"");
        let pem = run_ok("k8s-kubeconfig", &["--extract", "--in", &s(&copy)], b"");
        let cert = blocks_of(&pem, "CERTIFICATE").into_iter().next().expect("client certificate");
        assert_eq!(start(cert.as_bytes()) == start(&std::fs::read(demo_pki().join("pki/ca.crt")).expect("ca")), at_ca);
    }
}

#[test]
fn the_release_is_named_as_users_write_it_and_limits_the_profiles() {
    let list = |v: &str| {
        String::from_utf8(run_ok("k8s-csr", &["--list-profiles", "--kubernetes-version", v], b"")).expect("utf8")
    };
    let old = list("1.28");
    assert!(!old.contains("\nsuper-admin "), "{old}");
    let admin = old.lines().find(|l| l.starts_with("admin ")).expect("admin row");
    assert!(admin.contains("system:masters"), "{admin}");
    assert!(list("v1.29.4").contains("\nsuper-admin "));
    let out = tool("k8s-csr")
        .args(["--profile", "super-admin", "--kubernetes-version", "1.28"])
        .write_stdin(Vec::new())
        .output()
        .expect("k8s-csr");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubeadm 1.28 does not write profile 'super-admin'"));
    let out = tool("k8s-csr").args(["--list-profiles", "--kubernetes-version", "1.27"]).output().expect("k8s-csr");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("not a release this version follows (1.28, 1.29, 1.30, 1.31, 1.32, 1.33)")
    );
}

/// Each kubeconfig's server as kubeadm writes it, per release, behind a load balancer and on an
/// IPv6 node; leaves start when their CA started up to 1.30, five minutes ago from 1.31.
#[test]
fn kubeconfig_servers_and_not_before_follow_the_release() {
    let dir = scratch();
    let script = repo().join("examples/kubeadm-pki.sh");
    let build = |name: &str, env: &str, ip: &str| {
        let out = dir.path().join(name);
        let built = pipe(&format!("{env} \"$1\" \"$2\" 'node-1 node-2' {ip}"), &[script.as_path(), out.as_path()]);
        assert!(built.status.success(), "{name}: {}", String::from_utf8_lossy(&built.stderr));
        out
    };
    // kubectl reads the server as written: an IPv6 host stays in brackets.
    let server = |conf: &Path| {
        let out = kubectl()
            .arg("--kubeconfig")
            .arg(conf)
            .args(["config", "view", "-o", "jsonpath={.clusters[0].cluster.server}"])
            .output()
            .expect("kubectl");
        assert!(out.status.success(), "kubectl: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let lb = build("lb-1.32", "CONTROL_PLANE_ENDPOINT=lb.example:8443 K8S_VERSION=1.32", "10.0.0.10");
    let local = "https://10.0.0.10:6443";
    for (file, want) in [
        ("admin.conf", "https://lb.example:8443"),
        ("super-admin.conf", "https://lb.example:8443"),
        ("kubelet.conf", "https://lb.example:8443"),
        ("nodes/node-2/kubelet.conf", "https://lb.example:8443"),
        ("controller-manager.conf", local),
        ("scheduler.conf", local),
    ] {
        assert_eq!(server(&lb.join(file)), want, "1.32 behind lb.example:8443: {file}");
    }
    let sans =
        openssl_ok(dir.path(), &["x509", "-noout", "-ext", "subjectAltName", "-in", &s(&lb.join("pki/apiserver.crt"))]);
    assert!(sans.contains("DNS:lb.example"), "the endpoint is a SAN: {sans}");
    // 1.33: kubelet.conf at the node's own API server; IPv6 in brackets.
    let v6 = build("v6-1.33", "CONTROL_PLANE_ENDPOINT='[fd00::100]:6443'", "fd00::10");
    for (file, want) in [
        ("admin.conf", "https://[fd00::100]:6443"),
        ("kubelet.conf", "https://[fd00::10]:6443"),
        ("nodes/node-2/kubelet.conf", "https://[fd00::11]:6443"),
        ("scheduler.conf", "https://[fd00::10]:6443"),
    ] {
        assert_eq!(server(&v6.join(file)), want, "1.33 on fd00::10: {file}");
    }
    let sans =
        openssl_ok(dir.path(), &["x509", "-noout", "-ext", "subjectAltName", "-in", &s(&v6.join("pki/apiserver.crt"))]);
    assert!(sans.contains("IP Address:FD00:0:0:0:0:0:0:100"), "{sans}");
    // NotBefore: the CA's up to 1.30 (lb-1.32 is from 1.31 on: five minutes before now).
    let start = |tree: &Path, file: &str| {
        openssl_ok(dir.path(), &["x509", "-noout", "-startdate", "-in", &s(&tree.join(file))])
    };
    let old = build("1.30", "K8S_VERSION=1.30", "10.0.0.10");
    for file in ["pki/apiserver.crt", "pki/etcd/peer.crt"] {
        let ca = if file.contains("etcd") { "pki/etcd/ca.crt" } else { "pki/ca.crt" };
        assert_eq!(start(&old, file), start(&old, ca), "1.30: {file} starts with its CA");
    }
    let signed = tool("k8s-sign")
        .args(["--kubernetes-version", "1.30", "--not-before", "2026-01-01", "--ca"])
        .arg(old.join("pki/ca"))
        .output()
        .expect("k8s-sign");
    assert_eq!(signed.status.code(), Some(2), "--not-before and --kubernetes-version conflict");
}

/// The first line where two descriptions differ, with its file, for a readable failure.
fn first_difference(ours: &str, theirs: &str) -> Option<String> {
    let mut file = "";
    for (a, b) in ours.lines().zip(theirs.lines()) {
        if a.starts_with("== ") {
            file = a;
        }
        if a != b {
            return Some(format!("in {file}:\n  ours:    {a}\n  kubeadm: {b}"));
        }
    }
    (ours.lines().count() != theirs.lines().count()).then(|| "one tree has more files".to_string())
}

#[test]
fn kubeadms_generation_code_in_go_and_our_pipes_write_the_same_tree_for_every_release() {
    // tests/go/kubeadmref.go follows kubeadm's own generation code (pki_helpers.go, certlist.go,
    // kubeconfig.go, clientcmd's YAML) with Go's crypto/x509; its describer prints both trees
    // field by field: subjects and O order, SANs in order, key usage bits, EKUs, basic
    // constraints, criticality, validity length and backdating, key type and PEM encoding, file
    // and directory modes, kubeconfig YAML with names, servers and what each data field holds.
    // Only keys, serial values and exact times may differ, and the describer leaves them out.
    let kubeadmref = go_helper("kubeadmref");
    let script = repo().join("examples/kubeadm-pki.sh");
    let dir = scratch();
    // One release each, with the endpoints kubeadm users write: none, a DNS name, a name with a
    // port, an IP, and IPv6 advertise addresses.
    for (minor, cpe, ip) in [
        ("28", "", "10.0.0.10"),
        ("29", "lb.example.com", "10.0.0.10"),
        ("30", "lb.example.com:8443", "10.0.0.10"),
        ("31", "192.168.1.5", "10.0.0.10"),
        ("32", "lb.example.com", "fd00::10"),
        ("33", "[fd00::1]:6443", "fd00::10"),
    ] {
        let (reference, ours) = (dir.path().join(format!("kubeadm-{minor}")), dir.path().join(format!("ours-{minor}")));
        let generated = std::process::Command::new(&kubeadmref)
            .args(["gen", "-out", &s(&reference), "-minor", minor, "-node", "node-1", "-advertise", ip, "-cpe", cpe])
            .output()
            .expect("kubeadmref gen");
        assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
        let built = script_in(
            dir.path(),
            &format!("\"{}\" \"{}\" node-1 {ip} >/dev/null", s(&script), s(&ours)),
            &[("K8S_VERSION", format!("1.{minor}")), ("CONTROL_PLANE_ENDPOINT", cpe.to_string())],
        );
        assert!(built.status.success(), "1.{minor}: {}", String::from_utf8_lossy(&built.stderr));
        let describe = |tree: &Path| {
            let out = std::process::Command::new(&kubeadmref).arg("describe").arg(tree).output().expect("describe");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).expect("utf-8")
        };
        let (theirs, mine) = (describe(&reference), describe(&ours));
        assert!(theirs.contains("== pki/etcd/peer.crt 0644") && theirs.contains("client-key-data: <PEM"), "{theirs}");
        if let Some(difference) = first_difference(&mine, &theirs) {
            panic!("kubeadm 1.{minor} (endpoint {cpe:?}, advertise {ip}): {difference}");
        }
        // kubeadm's own tree audits clean: no failure, no warning, and 1.28's groups are told.
        let audit = tool("k8s-verify").arg("--pki-dir").arg(&reference).output().expect("k8s-verify");
        let text = String::from_utf8_lossy(&audit.stdout);
        assert_eq!(audit.status.code(), Some(0), "1.{minor}: {text}");
        assert!(text.contains(" 0 warnings, 0 missing, 0 failed"), "1.{minor}: {text}");
        assert_eq!(text.contains("kubeadm 1.28, detected"), minor == "28", "1.{minor}: {text}");
        // Our renewal of kubeadm's own tree keeps every field kubeadm's tree has (the backups
        // aside), as kubeadm certs renew does.
        if minor == "28" || minor == "33" {
            let renewed = script_in(
                dir.path(),
                &format!("\"{}\" \"{}\" >/dev/null", s(&script.with_file_name("renew-pki.sh")), s(&reference)),
                &[],
            );
            assert!(renewed.status.success(), "1.{minor}: {}", String::from_utf8_lossy(&renewed.stderr));
            let after = without_backups(&describe(&reference));
            assert!(description_has_backup(&describe(&reference)), "renew-pki.sh kept backups");
            if let Some(difference) = first_difference(&after, &theirs) {
                panic!("kubeadm 1.{minor} tree renewed by renew-pki.sh: {difference}");
            }
        }
    }
}

fn description_has_backup(description: &str) -> bool {
    description.lines().any(|l| l.starts_with("== backup-"))
}

/// A description without the `backup-*/` directories a renewal leaves.
fn without_backups(description: &str) -> String {
    let mut keep = true;
    let mut out = String::new();
    for line in description.lines() {
        if let Some(header) = line.strip_prefix("== ") {
            keep = !header.starts_with("backup-");
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
