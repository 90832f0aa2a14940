//! The certificates API flow: manifests real kubectl applies (to a Go server that validates
//! them as the API server does), the built-in signers' rules in kube-controller-manager's
//! words, the offline signer, and the issued certificate back into a kubeconfig.

use std::path::Path;

use predicates::str::contains;

use crate::util::*;

const CLIENT: &str = "kubernetes.io/kube-apiserver-client";
const KUBELET: &str = "kubernetes.io/kube-apiserver-client-kubelet";
const SERVING: &str = "kubernetes.io/kubelet-serving";

fn kubectl_at(out: &Path, addr: &str, kubeconfig: &str, args: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut cmd = crate::util::kubectl();
    cmd.arg("--kubeconfig").arg(out.join(kubeconfig)).args([
        "--server",
        &format!("https://{addr}"),
        "--tls-server-name",
        "kubernetes",
        "--request-timeout",
        "10s",
    ]);
    cmd.args(args);
    assert_cmd::Command::from_std(cmd).write_stdin(stdin.to_vec()).output().expect("kubectl")
}

#[test]
fn user_manifest_to_kubeconfig_round_trip_with_real_kubectl() {
    let cluster = demo_pki();
    let (_server, addr) = start_demo_apiserver(cluster);
    let dir = scratch();
    let prefix = s(&dir.path().join("alice"));
    // The user: key + CSR kept locally, only the manifest goes to kubectl.
    let manifest = run_ok(
        "k8s-csr",
        &[
            "--cn",
            "alice",
            "--org",
            "dev",
            "--org",
            "ops",
            "--signer",
            CLIENT,
            "--manifest",
            "--out",
            &prefix,
            "--expiration",
            "24h",
        ],
        &run_ok("k8s-genkey", &[], b""),
    );
    let text = String::from_utf8_lossy(&manifest);
    assert!(
        !text.contains("PRIVATE KEY") && !text.contains("LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk"),
        "no key in the manifest"
    );
    assert!(
        text.contains("signerName: kubernetes.io/kube-apiserver-client") && text.contains("expirationSeconds: 86400"),
        "{text}"
    );
    assert!(dir.path().join("alice.key").exists() && dir.path().join("alice.csr").exists());
    let applied = kubectl_at(cluster, &addr, "admin.conf", &["apply", "--validate=false", "-f", "-"], &manifest);
    assert!(applied.status.success(), "kubectl apply: {}", String::from_utf8_lossy(&applied.stderr));
    // JSON manifests too.
    let json = run_ok(
        "k8s-csr",
        &[
            "--key",
            &format!("{prefix}.key"),
            "--cn",
            "alice",
            "--signer",
            CLIENT,
            "--manifest",
            "--out",
            &s(&dir.path().join("alice2")),
            "--name",
            "alice-json",
            "--format",
            "json",
        ],
        b"",
    );
    let applied = kubectl_at(cluster, &addr, "admin.conf", &["create", "--validate=false", "-f", "-"], &json);
    assert!(applied.status.success(), "kubectl create: {}", String::from_utf8_lossy(&applied.stderr));
    // Pending: no certificate yet, and the tools say so.
    let pending = kubectl_at(cluster, &addr, "admin.conf", &["get", "csr", "alice", "-o", "json"], b"");
    assert!(pending.status.success());
    tool("k8s-kubeconfig")
        .args([
            "--key",
            &format!("{prefix}.key"),
            "--ca-cert",
            &s(&cluster.join("pki/ca.crt")),
            "--server",
            "https://10.0.0.10:6443",
        ])
        .write_stdin(pending.stdout.clone())
        .assert()
        .code(4)
        .stderr(contains("pending"));
    // The controller's part, offline: sign as kube-controller-manager would.
    let signed = run_ok("k8s-sign", &["--signer", CLIENT, "--ca", &s(&cluster.join("pki/ca"))], &pending.stdout);
    let v: serde_json::Value = serde_json::from_slice(&signed).expect("the object comes back as JSON");
    assert!(v["status"]["certificate"].as_str().is_some_and(|c| !c.is_empty()));
    // The user: issued certificate + own key -> kubeconfig -> real kubectl, as alice in dev and ops.
    let conf = run_ok(
        "k8s-kubeconfig",
        &[
            "--key",
            &format!("{prefix}.key"),
            "--ca-cert",
            &s(&cluster.join("pki/ca.crt")),
            "--server",
            "https://10.0.0.10:6443",
        ],
        &signed,
    );
    std::fs::write(dir.path().join("alice.conf"), &conf).expect("write");
    let who = kubectl_at(dir.path(), &addr, "alice.conf", &["auth", "whoami", "-o", "json"], b"");
    assert!(who.status.success(), "{}", String::from_utf8_lossy(&who.stderr));
    let who: serde_json::Value = serde_json::from_slice(&who.stdout).expect("json");
    assert_eq!(who["status"]["userInfo"]["username"], "alice");
    assert_eq!(who["status"]["userInfo"]["groups"], serde_json::json!(["dev", "ops", "system:authenticated"]));
    // The validity follows the API: 24h requested -> now + 24h - 5min.
    let cert_pem = String::from_utf8(run_ok("k8s-kubeconfig", &["--extract"], &conf)).expect("pem");
    std::fs::write(dir.path().join("alice.pem"), &cert_pem).expect("write");
    assert!(
        openssl(dir.path(), &["x509", "-in", "alice.pem", "-noout", "-checkend", &(86_400 - 900).to_string()])
            .status
            .success()
    );
    assert!(
        !openssl(dir.path(), &["x509", "-in", "alice.pem", "-noout", "-checkend", &(86_400 - 120).to_string()])
            .status
            .success()
    );
}

#[test]
fn the_api_server_stand_in_rejects_a_broken_manifest() {
    // The Go server checks what the API server checks; a tampered request must not pass, so
    // accepting our manifests above means something.
    let cluster = demo_pki();
    let (_server, addr) = start_demo_apiserver(cluster);
    let dir = scratch();
    let manifest = run_ok(
        "k8s-csr",
        &["--cn", "bob", "--signer", CLIENT, "--manifest", "--out", &s(&dir.path().join("bob"))],
        &run_ok("k8s-genkey", &["--algo", "ecdsa"], b""),
    );
    let broken = String::from_utf8(manifest).expect("utf8").replace("client auth", "client-auth");
    let res = kubectl_at(cluster, &addr, "admin.conf", &["apply", "--validate=false", "-f", "-"], broken.as_bytes());
    assert!(!res.status.success());
    assert!(
        String::from_utf8_lossy(&res.stderr).contains("Unsupported value"),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
}

/// One signer rule: (signer, k8s-csr args, ecdsa key?, expected kube-controller-manager message or None to pass).
///
/// What is independent here, and what is not: the expected messages are kube-controller-manager's
/// own wording, from its source (pkg/controller/certificates/signer/signer.go and
/// pkg/apis/certificates/v1/helpers.go), so a rule we implement differently from upstream fails.
/// The three tools compared below (k8s-csr --signer, k8s-verify --signer, k8s-sign --signer) all
/// call the same `csrapi::validate`: their agreement shows the rule is wired into each command,
/// not that the rule is right. No kube-controller-manager runs on this machine to judge it.
const RULES: &[(&str, &[&str], bool, Option<&str>)] = &[
    (CLIENT, &["--cn", "alice", "--org", "dev"], false, None),
    (CLIENT, &["--cn", "alice", "--usage", "server"], false, Some("invalid usage for client certificate: server auth")),
    (KUBELET, &["--cn", "system:node:n1", "--org", "system:nodes"], false, None),
    (KUBELET, &["--cn", "system:node:n1", "--org", "system:nodes"], true, None),
    (KUBELET, &["--cn", "system:node:n1", "--org", "dev"], false, Some("subject organization is not system:nodes")),
    (
        KUBELET,
        &["--cn", "system:node:n1", "--org", "system:nodes", "--san", "n1"],
        false,
        Some("DNS subjectAltNames are not allowed"),
    ),
    (
        KUBELET,
        &["--cn", "system:node:n1", "--org", "system:nodes", "--san", "10.0.0.1"],
        false,
        Some("IP subjectAltNames are not allowed"),
    ),
    (
        KUBELET,
        &["--cn", "n1", "--org", "system:nodes"],
        false,
        Some("subject common name does not begin with system:node:"),
    ),
    (
        KUBELET,
        &["--cn", "system:node:n1", "--org", "system:nodes", "--usage", "server"],
        false,
        Some("usages did not match [client auth digital signature key encipherment]"),
    ),
    (SERVING, &["--cn", "system:node:n1", "--org", "system:nodes", "--san", "n1,10.0.0.1"], false, None),
    (
        SERVING,
        &["--cn", "system:node:n1", "--org", "system:nodes"],
        false,
        Some("DNS or IP subjectAltName is required"),
    ),
    (
        SERVING,
        &["--cn", "system:node:n1", "--org", "system:nodes", "--san", "n1", "--san", "email:a@b.c"],
        false,
        Some("Email subjectAltNames are not allowed"),
    ),
    (SERVING, &["--cn", "system:node:n1", "--san", "n1"], false, Some("subject organization is not system:nodes")),
    (
        SERVING,
        &["--cn", "n1", "--org", "system:nodes", "--san", "n1"],
        false,
        Some("subject common name does not begin with system:node:"),
    ),
    (
        SERVING,
        &["--cn", "system:node:n1", "--org", "system:nodes", "--san", "n1", "--usage", "client"],
        false,
        Some("usages did not match [digital signature key encipherment server auth]"),
    ),
];

#[test]
fn each_signer_rule_passes_and_fails_in_kube_controller_managers_words() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    for (signer, args, ecdsa, want) in RULES {
        let key = run_ok("k8s-genkey", if *ecdsa { &["--algo", "ecdsa"] } else { &[] }, b"");
        let prefix = s(&dir.path().join("x"));
        let mut all = vec!["--signer", signer, "--manifest", "--out", &prefix, "--force"];
        all.extend_from_slice(args);
        let res = tool("k8s-csr").args(&all).write_stdin(key.clone()).output().expect("runs");
        match want {
            None => {
                assert!(res.status.success(), "{signer} {args:?}: {}", String::from_utf8_lossy(&res.stderr));
                // The offline signer and k8s-verify agree.
                run_ok("k8s-verify", &["--signer", signer], &res.stdout);
                let signed = run_ok("k8s-sign", &["--signer", signer, "--ca", &s(&dir.path().join("ca"))], &res.stdout);
                assert!(String::from_utf8_lossy(&signed).contains("certificate:"), "YAML in, YAML out");
            }
            Some(msg) => {
                assert_eq!(res.status.code(), Some(4), "{signer} {args:?}");
                let err = String::from_utf8_lossy(&res.stderr);
                assert!(err.contains(msg), "{signer} {args:?}: want '{msg}' in {err}");
                assert!(res.stdout.is_empty(), "nothing for kubectl when the signer would refuse");
                // The same CSR made without the check is refused by k8s-verify and k8s-sign --signer too.
                let mut plain: Vec<&str> = args.to_vec();
                plain.extend(["--key-out", "/dev/null", "--force"]);
                let csr = run_ok("k8s-csr", &plain, &key);
                let csr_only = blocks_of(&csr, "CERTIFICATE REQUEST").concat();
                tool("k8s-verify")
                    .args(["--signer", signer])
                    .write_stdin(csr_only.clone())
                    .assert()
                    .code(1)
                    .stdout(contains(*msg));
                tool("k8s-sign")
                    .args(["--signer", signer, "--ca", &s(&dir.path().join("ca"))])
                    .write_stdin(csr_only)
                    .assert()
                    .code(4)
                    .stderr(contains(*msg));
            }
        }
    }
}

#[test]
fn manifest_flags_are_checked() {
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    tool("k8s-csr")
        .args(["--cn", "a", "--manifest"])
        .write_stdin(key.clone())
        .assert()
        .code(2)
        .stderr(contains("--out"));
    let dir = scratch();
    let prefix = s(&dir.path().join("a"));
    tool("k8s-csr")
        .args(["--cn", "a", "--manifest", "--out", &prefix, "--expiration", "5m"])
        .write_stdin(key.clone())
        .assert()
        .code(2)
        .stderr(contains("600"));
    tool("k8s-csr")
        .args(["--cn", "a", "--manifest", "--out", &prefix, "--name", "Not_Valid"])
        .write_stdin(key.clone())
        .assert()
        .code(2);
    tool("k8s-csr").args(["--cn", "a", "--signer", "nodomain"]).write_stdin(key.clone()).assert().code(2);
    let out = run_ok(
        "k8s-csr",
        &["--cn", "system:node:Worker_1", "--org", "system:nodes", "--signer", KUBELET, "--manifest", "--out", &prefix],
        &key,
    );
    assert!(String::from_utf8_lossy(&out).contains("name: system-node-worker-1"), "a valid object name from the CN");
    // The ECDSA kubelet client CSR asks without key encipherment, as the rule allows for non-RSA keys.
    assert!(!String::from_utf8_lossy(&out).contains("key encipherment"));
}

#[test]
fn denied_and_failed_objects_say_why() {
    let dir = scratch();
    make_ca(dir.path(), "ca", "kubernetes");
    let manifest = run_ok(
        "k8s-csr",
        &[
            "--cn",
            "carol",
            "--signer",
            CLIENT,
            "--manifest",
            "--out",
            &s(&dir.path().join("carol")),
            "--format",
            "json",
        ],
        &run_ok("k8s-genkey", &[], b""),
    );
    let mut v: serde_json::Value = serde_json::from_slice(&manifest).expect("json");
    v["status"] = serde_json::json!({"conditions": [{"type": "Denied", "status": "True", "reason": "AdminDenied", "message": "not today"}]});
    tool("k8s-kubeconfig")
        .args([
            "--key",
            &s(&dir.path().join("carol.key")),
            "--ca-cert",
            &s(&dir.path().join("ca.crt")),
            "--server",
            "https://h:6443",
        ])
        .write_stdin(v.to_string())
        .assert()
        .code(4)
        .stderr(contains("denied: not today"));
}
