//! The trust map end to end: objects made by real kubectl (or written from their v1 types),
//! served by the stand-in API server, dumped by real kubectl with the documented command, and
//! mapped by `k8s-verify --cluster-dump`; CA keys checked with openssl; secrets planted in the
//! dump never appear in any output; hostile dumps refused in one line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::*;

/// A secret value that must never be printed.
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.planted-service-account-token.c2lnbmF0dXJl";

fn b64(bytes: &[u8]) -> String {
    base64_encode(bytes)
}

/// A Secret of type service-account-token, as the token controller fills it.
fn sa_token_secret(ns: &str, name: &str, ca: &[u8]) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": name, "namespace": ns, "annotations": {"kubernetes.io/service-account.name": "default"}},
        "data": {"ca.crt": b64(ca), "token": b64(TOKEN.as_bytes()), "namespace": b64(ns.as_bytes())},
    })
}

/// The cluster-info ConfigMap's kubeconfig: admin.conf's cluster, no user (kubeadm's
/// clusterinfo.go), written to `dir/cluster-info.conf`.
fn cluster_info_kubeconfig(dir: &Path, ca: &[u8]) -> PathBuf {
    let file = dir.join("cluster-info.conf");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {}\n    server: https://10.0.0.10:6443\n  name: \"\"\ncontexts: null\ncurrent-context: \"\"\npreferences: {{}}\nusers: null\n",
        b64(ca)
    );
    std::fs::write(&file, text).expect("write");
    file
}

struct Cluster {
    _server: Daemon,
    dumps: [PathBuf; 2],
}

/// Serves `objects`, dumps them with real kubectl into `dir/dump.json` and `dir/ctb.json`.
fn dumped(dir: &Path, objects: &[Value]) -> Cluster {
    let (server, kubeconfig) = serve_objects(dir, objects);
    let (main, ctb) = (dir.join("dump.json"), dir.join("ctb.json"));
    std::fs::write(&main, kubectl_dump(&kubeconfig, DUMPED)).expect("write");
    std::fs::write(&ctb, kubectl_dump(&kubeconfig, "clustertrustbundles")).expect("write");
    Cluster { _server: server, dumps: [main, ctb] }
}

fn consumers(report: &Value, spki: &str) -> BTreeSet<String> {
    let ca = report["cas"].as_array().expect("cas").iter().find(|c| c["spki"] == spki);
    let ca = ca.unwrap_or_else(|| panic!("no CA {spki} in {report:#}"));
    ca["consumers"]
        .as_array()
        .expect("consumers")
        .iter()
        .map(|c| {
            let ns = c["namespace"].as_str().map(|n| format!("{n}/")).unwrap_or_default();
            let via = c["via"].as_str().map(|v| format!(" via {v}")).unwrap_or_default();
            format!(
                "{} {ns}{} {}{via}",
                c["kind"].as_str().expect("kind"),
                c["name"].as_str().expect("name"),
                c["field"].as_str().expect("field")
            )
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The objects of the map test: every kind, every encoding, every way a Pod mounts.
fn objects(dir: &Path) -> Vec<Value> {
    let pki = demo_pki().join("pki");
    let file = |f: &str| pki.join(f);
    let ca = std::fs::read(file("ca.crt")).expect("ca");
    let front = std::fs::read(file("front-proxy-ca.crt")).expect("front-proxy-ca");
    let chain = dir.join("chain.crt");
    std::fs::write(&chain, [std::fs::read(file("apiserver.crt")).expect("crt"), ca.clone()].concat()).expect("w");
    let app_conf = dir.join("app.conf");
    std::fs::write(&app_conf, "mode=strict\n").expect("w");
    let kube_api_only = |ns: &str, name: &str| pod(ns, name, vec![], vec![]);
    vec![
        configmap("default", "kube-root-ca.crt", &[("ca.crt", &file("ca.crt"))]),
        configmap("team-a", "kube-root-ca.crt", &[("ca.crt", &file("ca.crt"))]),
        configmap("kube-public", "cluster-info", &[("kubeconfig", &cluster_info_kubeconfig(dir, &ca))]),
        configmap(
            "kube-system",
            "extension-apiserver-authentication",
            &[("client-ca-file", &file("ca.crt")), ("requestheader-client-ca-file", &file("front-proxy-ca.crt"))],
        ),
        configmap("team-a", "app-config", &[("app.conf", &app_conf), ("ca.crt", &file("ca.crt"))]),
        secret_generic("team-a", "admin-kubeconfig", &[("kubeconfig", &demo_pki().join("admin.conf"))]),
        secret_tls("team-a", "web", &chain, &file("apiserver.key")),
        sa_token_secret("team-a", "default-token-x", &ca),
        secret_generic("team-a", "etcd-client", &[("ca.crt", &file("etcd/ca.crt"))]),
        validating_webhook("policy", Some(&ca)),
        validating_webhook("trusting-system-roots", None),
        mutating_webhook("inject", Some(&front)),
        apiservice("v1beta1.metrics.k8s.io", true, Some(&ca), false),
        apiservice("v1.apps", false, None, false),
        apiservice("v1.insecure.example.com", true, None, true),
        crd("widgets.example.com", Some(&ca)),
        cluster_trust_bundle("example.com:roots:cluster", Some("example.com/roots"), &ca),
        kube_api_only("team-a", "app-1"),
        pod(
            "team-a",
            "app-2",
            vec![
                json!({"name": "conf", "configMap": {"name": "app-config", "items": [{"key": "app.conf", "path": "app.conf"}]}}),
                json!({"name": "etcd", "secret": {"secretName": "etcd-client"}}),
                json!({"name": "roots", "projected": {"sources": [{"clusterTrustBundle": {"signerName": "example.com/roots", "labelSelector": {}, "path": "roots.pem"}}]}}),
            ],
            vec![json!({"name": "CA", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "ca.crt"}}})],
        ),
        pod(
            "team-a",
            "app-3",
            vec![
                json!({"name": "nope", "configMap": {"name": "nope", "optional": true}}),
                json!({"name": "gone", "secret": {"secretName": "gone"}}),
            ],
            vec![],
        ),
        kube_api_only("team-b", "app-4"),
    ]
}

#[test]
fn the_map_of_a_kubectl_dump_names_every_carrier_and_mount_by_key() {
    let dir = scratch();
    let cluster = dumped(dir.path(), &objects(dir.path()));
    let pki = demo_pki().join("pki");
    let [ca, front, etcd] = ["ca.crt", "front-proxy-ca.crt", "etcd/ca.crt"].map(|f| openssl_spki(&pki.join(f)));
    let dumps: Vec<&Path> = cluster.dumps.iter().map(PathBuf::as_path).collect();
    let (code, out, err) = map(&dumps, &["--pki-dir", &s(demo_pki()), "--format", "json"]);
    assert_eq!(code, 6, "warnings only: {out}\n{err}");
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_schema("trust-map", out.as_bytes());

    let kube_api = |ns: &str, pod: &str| {
        format!("Pod {ns}/{pod} spec.volumes[0].projected.sources[1].configMap via ConfigMap {ns}/kube-root-ca.crt")
    };
    let want_ca: BTreeSet<String> = [
        "APIService v1beta1.metrics.k8s.io spec.caBundle".to_string(),
        "ClusterTrustBundle example.com:roots:cluster spec.trustBundle".into(),
        "ConfigMap default/kube-root-ca.crt data.ca.crt".into(),
        "ConfigMap kube-public/cluster-info data.kubeconfig:clusters[0].cluster.certificate-authority-data".into(),
        "ConfigMap kube-system/extension-apiserver-authentication data.client-ca-file".into(),
        "ConfigMap team-a/app-config data.ca.crt".into(),
        "ConfigMap team-a/kube-root-ca.crt data.ca.crt".into(),
        "CustomResourceDefinition widgets.example.com spec.conversion.webhook.clientConfig.caBundle".into(),
        kube_api("team-a", "app-1"),
        kube_api("team-a", "app-2"),
        kube_api("team-a", "app-3"),
        "Pod team-a/app-2 spec.containers[0].env[0].valueFrom.configMapKeyRef via ConfigMap team-a/app-config".into(),
        "Pod team-a/app-2 spec.volumes[3].projected.sources[0].clusterTrustBundle via ClusterTrustBundle example.com:roots:cluster".into(),
        "Secret team-a/admin-kubeconfig data.kubeconfig:clusters[0].cluster.certificate-authority-data".into(),
        "Secret team-a/default-token-x data.ca.crt".into(),
        "Secret team-a/web data.tls.crt".into(),
        "ValidatingWebhookConfiguration policy webhooks[0].clientConfig.caBundle".into(),
    ]
    .into();
    assert_eq!(consumers(&report, &ca), want_ca);
    assert_eq!(
        consumers(&report, &front),
        set(&[
            "ConfigMap kube-system/extension-apiserver-authentication data.requestheader-client-ca-file",
            "MutatingWebhookConfiguration inject webhooks[0].clientConfig.caBundle",
        ])
    );
    assert_eq!(
        consumers(&report, &etcd),
        set(&[
            "Pod team-a/app-2 spec.volumes[2].secret via Secret team-a/etcd-client",
            "Secret team-a/etcd-client data.ca.crt"
        ])
    );
    let names: Vec<(&str, &str)> = report["cas"]
        .as_array()
        .expect("cas")
        .iter()
        .map(|c| (c["spki"].as_str().expect("a string"), c["name"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(names, [(ca.as_str(), "ca"), (etcd.as_str(), "etcd-ca"), (front.as_str(), "front-proxy-ca")]);
    let ca_entry = &report["cas"][0];
    assert_eq!((ca_entry["certificates"].as_u64(), ca_entry["subject"]["cn"].as_str()), (Some(1), Some("kubernetes")));

    let findings: BTreeSet<String> = non_ok_findings(&report).into_iter().collect();
    assert_eq!(
        findings,
        set(&[
            "warn APIService v1.insecure.example.com spec.insecureSkipTLSVerify: kube-aggregator does not verify this service's certificate",
            "warn Pod team-a/app-3 spec.volumes[1].configMap: ConfigMap team-a/nope is not in the dump: unknown",
            "warn Pod team-a/app-3 spec.volumes[2].secret: Secret team-a/gone is not in the dump: unknown",
            "warn Pod team-b/app-4 spec.volumes[0].projected.sources[1].configMap: ConfigMap team-b/kube-root-ca.crt is not in the dump: unknown",
        ])
    );
    let system: Vec<&Value> = report["findings"]
        .as_array()
        .expect("an array")
        .iter()
        .filter(|f| f["message"].as_str().unwrap_or("").contains("system trust"))
        .collect();
    assert_eq!(system.len(), 1, "{system:?}");
    assert_eq!(
        system[0]["object"],
        "ValidatingWebhookConfiguration trusting-system-roots webhooks[0].clientConfig.caBundle"
    );

    // The text says the same: the CA, its carriers, the Pods under each, the findings; exit 6.
    let (code, text, _) = map(&dumps, &["--pki-dir", &s(demo_pki())]);
    assert_eq!(code, 6);
    assert!(text.starts_with(&format!("ca {ca} CN=kubernetes, until ")), "{text}");
    assert!(text.contains("  ConfigMap team-a/kube-root-ca.crt data.ca.crt\n    mounted by Pod team-a/app-1 spec.volumes[0].projected.sources[1].configMap\n"), "{text}");
    assert!(
        text.contains(
            "  warn Pod team-a/app-3 spec.volumes[2].secret: Secret team-a/gone is not in the dump: unknown\n"
        ),
        "{text}"
    );

    // Without --pki-dir the CAs have no names; without the Secrets (RBAC) their mounts are unknown.
    let (_, out, _) = map(&dumps, &["--format", "json"]);
    let report: Value = serde_json::from_str(&out).expect("json");
    assert!(
        report["cas"].as_array().expect("an array").iter().all(|c| c["name"].is_null() && c["generation"].is_null())
    );
}

#[test]
fn a_dump_without_secrets_says_each_mounted_secret_is_unknown() {
    let dir = scratch();
    let all = objects(dir.path());
    let no_secrets: Vec<Value> = all.into_iter().filter(|o| o["kind"] != "Secret").collect();
    let cluster = dumped(dir.path(), &no_secrets);
    let (code, out, _) = map(&[&cluster.dumps[0]], &["--format", "json"]);
    assert_eq!(code, 6);
    let report: Value = serde_json::from_str(&out).expect("json");
    let unknown: Vec<&str> = report["findings"]
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|f| f["message"].as_str().filter(|m| m.starts_with("Secret ")))
        .collect();
    assert_eq!(
        unknown,
        ["Secret team-a/etcd-client is not in the dump: unknown", "Secret team-a/gone is not in the dump: unknown"]
    );
}

#[test]
fn secrets_planted_in_the_dump_never_reach_any_output() {
    let dir = scratch();
    let mut objs = objects(dir.path());
    // A private key in a trust field too: a failed finding naming only the object and field.
    let pki = demo_pki().join("pki");
    let key = std::fs::read(pki.join("apiserver.key")).expect("key");
    let bad = dir.path().join("bad.crt");
    std::fs::write(&bad, [std::fs::read(pki.join("ca.crt")).expect("ca"), key.clone()].concat()).expect("w");
    objs.push(secret_generic("team-a", "ca-and-key", &[("ca.crt", &bad)]));
    let cluster = dumped(dir.path(), &objs);
    let dumps: Vec<&Path> = cluster.dumps.iter().map(PathBuf::as_path).collect();

    let admin = read(demo_pki().join("admin.conf"));
    let client_key_data = admin
        .lines()
        .find_map(|l| l.trim().strip_prefix("client-key-data: "))
        .expect("admin.conf has client-key-data")
        .to_string();
    let mut secrets: Vec<String> = vec![
        TOKEN.into(),
        b64(TOKEN.as_bytes()),
        client_key_data,
        b64(&key),
        sha256_hex(&key),
        sha256_hex(TOKEN.as_bytes()),
    ];
    let key_text = String::from_utf8_lossy(&key).into_owned();
    secrets.extend(key_text.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16).map(str::to_string));
    for l in read(demo_pki().join("admin.conf")).lines() {
        if let Some(v) = l.trim().strip_prefix("client-key-data: ") {
            let decoded = String::from_utf8(base64_decode(v)).expect("pem");
            secrets.extend(decoded.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16).map(str::to_string));
        }
    }
    let runs: [&[&str]; 4] =
        [&[], &["-v", "--explain"], &["--format", "json"], &["--format", "json", "--pki-dir", &s(demo_pki())]];
    for args in runs {
        let (code, out, err) = map(&dumps, args);
        assert_eq!(code, 1, "the key in a trust field fails: {args:?}\n{out}{err}");
        for secret in &secrets {
            assert!(!out.contains(secret.as_str()) && !err.contains(secret.as_str()), "{args:?} printed a secret");
        }
        assert!(out.contains("Secret team-a/ca-and-key data.ca.crt"), "{out}");
    }
    let (_, out, _) = map(&dumps, &["--format", "json"]);
    let report: Value = serde_json::from_str(&out).expect("json");
    let failed: Vec<&Value> =
        report["findings"].as_array().expect("an array").iter().filter(|f| f["status"] == "fail").collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["object"], "Secret team-a/ca-and-key data.ca.crt");
    assert_eq!(failed[0]["message"], "a private key in a trust field");
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(bytes).expect("write");
    let out = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().expect("digest").to_string()
}

fn base64_decode(text: &str) -> Vec<u8> {
    let out = pipe("printf %s \"$1\" | base64 -d", &[text]);
    assert!(out.status.success());
    out.stdout
}

#[test]
fn a_ca_reissued_with_its_own_key_is_one_ca_whatever_the_encoding() {
    let dir = scratch();
    let d = dir.path();
    let pki = demo_pki().join("pki");
    let reissued = d.join("reissued.crt");
    let pipe_out = pipe(
        "k8s-csr --from-cert \"$1/ca.crt\" --key \"$1/ca.key\" --reuse-key | k8s-sign --self-sign --key \"$1/ca.key\" --days 3650 --cert-out \"$2\"",
        &[pki.as_path(), reissued.as_path()],
    );
    assert!(pipe_out.status.success(), "{}", String::from_utf8_lossy(&pipe_out.stderr));
    let (old, new) = (pki.join("ca.crt"), reissued.clone());
    assert_eq!(openssl_spki(&old), openssl_spki(&new), "the same key");
    assert_ne!(std::fs::read(&old).expect("r"), std::fs::read(&new).expect("r"), "another certificate");
    // A bundle of both in CRLF PEM inside a ClusterTrustBundle, each alone elsewhere.
    let both = [std::fs::read(&old).expect("r"), std::fs::read(&new).expect("r")].concat();
    let crlf = String::from_utf8(both).expect("pem").replace('\n', "\r\n");
    let objects = list(vec![
        configmap("n", "old", &[("ca.crt", &old)]),
        secret_generic("n", "new", &[("ca.crt", &new)]),
        cluster_trust_bundle("both", None, crlf.as_bytes()),
    ]);
    let file = d.join("dump.json");
    std::fs::write(&file, serde_json::to_vec(&objects).expect("json")).expect("write");
    let (code, out, err) = map(&[&file], &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["cas"].as_array().map(Vec::len), Some(1), "{report:#}");
    assert_eq!(report["cas"][0]["certificates"], 2);
    assert_eq!(
        consumers(&report, &openssl_spki(&old)),
        set(&["ClusterTrustBundle both spec.trustBundle", "ConfigMap n/old data.ca.crt", "Secret n/new data.ca.crt"])
    );
}
