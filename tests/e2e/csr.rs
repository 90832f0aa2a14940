//! k8s-csr: subjects, SANs and usages by hand or by kubeadm profile, checked by openssl on
//! the signed certificate (one test per profile, row for row with shared/kubeadm-pki.md).

use predicates::str::contains;

use crate::util::*;

const NODE: &[&str] = &["--node-name", "node-1", "--advertise-address", "10.0.0.10"];

/// What openssl says about a certificate: subject, SANs, EKU, CA flag.
struct Seen {
    subject: String,
    sans: String,
    eku: String,
    ca: bool,
}

fn seen(dir: &std::path::Path, cert: &str) -> Seen {
    let subject = openssl_ok(dir, &["x509", "-in", cert, "-noout", "-subject"]);
    let ext =
        openssl_ok(dir, &["x509", "-in", cert, "-noout", "-ext", "subjectAltName,extendedKeyUsage,basicConstraints"]);
    let value_after = |header: &str| {
        let mut lines = ext.lines();
        while let Some(l) = lines.next() {
            if l.contains(header) {
                return lines.next().unwrap_or("").trim().to_string();
            }
        }
        String::new()
    };
    Seen {
        subject: subject.trim().trim_start_matches("subject=").to_string(),
        sans: value_after("Subject Alternative Name"),
        eku: value_after("Extended Key Usage"),
        ca: value_after("Basic Constraints").contains("CA:TRUE"),
    }
}

/// Issues `profile` (signed by the right CA for it) and returns what openssl sees.
fn profile_cert(profile: &str, extra: &[&str]) -> Seen {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let mut args = vec!["--profile", profile];
    args.extend_from_slice(extra);
    issue(dir.path(), "ca", "leaf", &args);
    seen(dir.path(), "leaf.crt")
}

const SERVER: &str = "TLS Web Server Authentication";
const CLIENT: &str = "TLS Web Client Authentication";
const BOTH: &str = "TLS Web Server Authentication, TLS Web Client Authentication";

#[test]
fn profile_ca() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let s = seen(dir.path(), "ca.crt");
    assert_eq!(s.subject, "CN = kubernetes");
    assert_eq!(s.sans, "DNS:kubernetes");
    assert!(s.ca);
    let ku = openssl_ok(dir.path(), &["x509", "-in", "ca.crt", "-noout", "-ext", "keyUsage"]);
    assert!(ku.contains("critical") && ku.contains("Digital Signature, Key Encipherment, Certificate Sign"), "{ku}");
    assert!(!ku.contains("CRL"), "{ku}");
}

#[test]
fn profile_etcd_ca_and_front_proxy_ca() {
    let dir = scratch();
    for (p, cn) in [("etcd-ca", "etcd-ca"), ("front-proxy-ca", "front-proxy-ca")] {
        let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
        let csr = run_ok("k8s-csr", &["--profile", p], &key);
        let out = dir.path().join(p);
        run_ok("k8s-sign", &["--self-sign", "--out", out.to_str().expect("utf8")], &csr);
        let s = seen(dir.path(), &format!("{p}.crt"));
        assert_eq!(s.subject, format!("CN = {cn}"));
        assert!(s.ca);
    }
}

#[test]
fn profile_apiserver() {
    let s = profile_cert("apiserver", NODE);
    assert_eq!(s.subject, "CN = kube-apiserver");
    assert_eq!(
        s.sans,
        "DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.cluster.local, \
         DNS:node-1, IP Address:10.96.0.1, IP Address:10.0.0.10"
    );
    assert_eq!(s.eku, SERVER);
    assert!(!s.ca);
}

#[test]
fn profile_apiserver_with_cluster_parameters() {
    let mut args = NODE.to_vec();
    args.extend([
        "--service-cidr",
        "10.100.0.0/16",
        "--dns-domain",
        "k8s.example",
        "--control-plane-endpoint",
        "lb.example.com:6443",
        "--san",
        "10.0.0.99",
        "--san",
        "a.example",
    ]);
    let s = profile_cert("apiserver", &args);
    // kubeadm's order (pkiutil.RemoveDuplicateAltNames): every DNS name, extra ones included,
    // sorted; the IPs in the order given, extra ones last.
    assert_eq!(
        s.sans,
        "DNS:a.example, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, \
         DNS:kubernetes.default.svc.k8s.example, DNS:lb.example.com, DNS:node-1, \
         IP Address:10.100.0.1, IP Address:10.0.0.10, IP Address:10.0.0.99"
    );
}

#[test]
fn a_control_plane_endpoint_is_host_and_port_as_kubeadm_takes_it() {
    for (endpoint, san) in [
        ("10.0.0.100:8443", "IP Address:10.0.0.100"),
        ("[fd00::100]:6443", "IP Address:FD00:0:0:0:0:0:0:100"),
        ("fd00::100", "IP Address:FD00:0:0:0:0:0:0:100"),
        ("lb.example.com", "DNS:lb.example.com"),
    ] {
        let mut args = NODE.to_vec();
        args.extend(["--control-plane-endpoint", endpoint]);
        let s = profile_cert("apiserver", &args);
        assert!(s.sans.contains(san), "{endpoint}: {}", s.sans);
    }
    for (endpoint, why) in [
        ("lb.example.com:0", "the port must be a number from 1 to 65535"),
        ("lb.example.com:http", "the port must be a number from 1 to 65535"),
        ("[fd00::100:6443", "unclosed [ in an IPv6 address"),
        ("lb_1.example.com:6443", "the host must be an IP address or a lower-case RFC 1123 subdomain"),
        ("LB.example.com", "the host must be an IP address or a lower-case RFC 1123 subdomain"),
    ] {
        // The flag is read as it is given, whether or not the profile puts the endpoint in a SAN
        // (admin's has none).
        for profile in ["apiserver", "admin"] {
            let out = tool("k8s-csr")
                .args(["--profile", profile, "--node-name", "node-1", "--advertise-address", "10.0.0.10"])
                .args(["--control-plane-endpoint", endpoint])
                .write_stdin(run_ok("k8s-genkey", &[], b""))
                .output()
                .expect("k8s-csr");
            assert_eq!(out.status.code(), Some(2), "{profile} {endpoint}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(&format!("--control-plane-endpoint '{endpoint}': {why}")), "{endpoint}: {err}");
        }
    }
}

#[test]
fn profile_apiserver_kubelet_client() {
    let s = profile_cert("apiserver-kubelet-client", &[]);
    assert_eq!(s.subject, "O = kubeadm:cluster-admins, CN = kube-apiserver-kubelet-client");
    assert_eq!(s.eku, CLIENT);
    assert_eq!(s.sans, "");
}

#[test]
fn profile_front_proxy_client() {
    let s = profile_cert("front-proxy-client", &[]);
    assert_eq!(s.subject, "CN = front-proxy-client");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn profile_etcd_server() {
    let s = profile_cert("etcd-server", NODE);
    assert_eq!(s.subject, "CN = node-1");
    assert_eq!(
        s.sans,
        "DNS:localhost, DNS:node-1, IP Address:10.0.0.10, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    );
    assert_eq!(s.eku, BOTH);
}

#[test]
fn profile_etcd_peer() {
    let s = profile_cert("etcd-peer", NODE);
    assert_eq!(s.subject, "CN = node-1");
    assert_eq!(
        s.sans,
        "DNS:localhost, DNS:node-1, IP Address:10.0.0.10, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    );
    assert_eq!(s.eku, BOTH);
}

#[test]
fn profile_etcd_healthcheck_client() {
    let s = profile_cert("etcd-healthcheck-client", &[]);
    assert_eq!(s.subject, "CN = kube-etcd-healthcheck-client");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn profile_apiserver_etcd_client() {
    let s = profile_cert("apiserver-etcd-client", &[]);
    assert_eq!(s.subject, "CN = kube-apiserver-etcd-client");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn profile_admin() {
    // kubeadm >= 1.29: admin.conf is cluster-admin through RBAC, not system:masters.
    let s = profile_cert("admin", &[]);
    assert_eq!(s.subject, "O = kubeadm:cluster-admins, CN = kubernetes-admin");
    assert_eq!(s.eku, CLIENT);
    // kubeadm <= 1.28's group, asked for explicitly.
    let s = profile_cert("admin", &["--org", "system:masters"]);
    assert_eq!(s.subject, "O = system:masters, CN = kubernetes-admin");
}

#[test]
fn profile_super_admin() {
    let s = profile_cert("super-admin", &[]);
    assert_eq!(s.subject, "O = system:masters, CN = kubernetes-super-admin");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn profile_kubelet() {
    let s = profile_cert("kubelet", &["--node-name", "node-1"]);
    assert_eq!(s.subject, "O = system:nodes, CN = system:node:node-1");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn profile_kubelet_serving() {
    let s = profile_cert("kubelet-serving", NODE);
    assert_eq!(s.subject, "O = system:nodes, CN = system:node:node-1");
    assert_eq!(s.sans, "DNS:node-1, IP Address:10.0.0.10");
    assert_eq!(s.eku, SERVER);
}

#[test]
fn profile_kube_proxy() {
    let s = profile_cert("kube-proxy", &[]);
    assert_eq!(s.subject, "O = system:node-proxier, CN = system:kube-proxy");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn profile_controller_manager() {
    let s = profile_cert("controller-manager", &[]);
    assert_eq!(s.subject, "CN = system:kube-controller-manager");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn profile_scheduler() {
    let s = profile_cert("scheduler", &[]);
    assert_eq!(s.subject, "CN = system:kube-scheduler");
    assert_eq!(s.eku, CLIENT);
}

#[test]
fn three_groups_survive_csr_and_certificate() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    issue(
        dir.path(),
        "ca",
        "alice",
        &["--cn", "alice", "--org", "dev", "--org", "ops", "--org", "system:masters", "--usage", "client"],
    );
    assert_eq!(seen(dir.path(), "alice.crt").subject, "O = dev, O = ops, O = system:masters, CN = alice");
}

#[test]
fn openssl_subj_syntax_is_accepted() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    issue(dir.path(), "ca", "bob", &["--subj", "/CN=bob/O=a/O=b", "--usage", "client"]);
    assert_eq!(seen(dir.path(), "bob.crt").subject, "CN = bob, O = a, O = b");
}

#[test]
fn key_travels_with_its_csr() {
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let out = run_ok("k8s-csr", &["--cn", "x"], &key);
    assert_eq!(labels(&out), vec!["EC PRIVATE KEY", "CERTIFICATE REQUEST"]);
    assert!(out.starts_with(&key), "the key passes through byte for byte");
    let dir = scratch();
    std::fs::write(dir.path().join("x.csr"), blocks_of(&out, "CERTIFICATE REQUEST")[0].as_bytes()).expect("write");
    let text = openssl_ok(dir.path(), &["req", "-in", "x.csr", "-verify", "-noout", "-subject"]);
    assert!(text.contains("CN = x"), "{text}");
}

#[test]
fn key_file_gives_only_the_csr() {
    let dir = scratch();
    std::fs::write(dir.path().join("k.key"), run_ok("k8s-genkey", &[], b"")).expect("write");
    let out =
        run_ok("k8s-csr", &["--key", dir.path().join("k.key").to_str().expect("utf8"), "--profile", "admin"], b"");
    assert_eq!(labels(&out), vec!["CERTIFICATE REQUEST"]);
}

#[test]
fn missing_parameters_are_usage_errors() {
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    tool("k8s-csr")
        .args(["--profile", "apiserver"])
        .write_stdin(key.clone())
        .assert()
        .code(2)
        .stderr(contains("--node-name"));
    tool("k8s-csr").args(["--profile", "nope"]).write_stdin(key.clone()).assert().code(2);
    tool("k8s-csr").write_stdin(key).assert().code(2).stderr(contains("--cn"));
}

#[test]
fn list_profiles_names_every_profile() {
    // The rows of the table the profiles are data in (lib/src/kubeadm/profile/table.rs), read from the
    // source, not from the tool: each is listed once in text and in JSON, and nothing else is.
    let table = read(repo().join("lib/src/kubeadm/profile/table.rs"));
    let rows: Vec<&str> = table
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name: \"")?.strip_suffix("\","))
        .filter(|n| !n.is_empty())
        .collect();
    assert!(rows.len() >= 15, "{rows:?}");
    let out = String::from_utf8(run_ok("k8s-csr", &["--list-profiles"], b"")).expect("utf8");
    let listed: Vec<&str> = out.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(listed, rows, "the text listing, in the table's order:\n{out}");
    let json: serde_json::Value =
        serde_json::from_slice(&run_ok("k8s-csr", &["--list-profiles", "--format", "json"], b"")).expect("json");
    let names: Vec<&str> = json.as_array().expect("rows").iter().map(|r| r["name"].as_str().expect("name")).collect();
    assert_eq!(names, rows);
}

#[test]
fn a_profiles_extra_sans_follow_kubeadms_certsans_rule() {
    // kubeadm's ValidateCertSANs: an IP, a DNS-1123 subdomain or a wildcard one; '_' is refused.
    let key = run_ok("k8s-genkey", &[], b"");
    let profile = ["--profile", "apiserver", "--node-name", "n1", "--advertise-address", "10.0.0.10"];
    tool("k8s-csr")
        .args(profile)
        .args(["--san", "a_b.example"])
        .write_stdin(key.clone())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("kubeadm refuses SAN 'a_b.example': not a DNS-1123 subdomain"));
    for ok in ["lb.example", "*.lb.example", "10.0.0.100", "fd00::100"] {
        tool("k8s-csr").args(profile).args(["--san", ok]).write_stdin(key.clone()).assert().success();
    }
    // Without a profile the name is the user's business, as for openssl and Go.
    tool("k8s-csr").args(["--cn", "x", "--san", "a_b.example"]).write_stdin(key).assert().success();
}
