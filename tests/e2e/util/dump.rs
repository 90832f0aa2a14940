//! Cluster dumps, the input of `k8s-verify --cluster-dump`: the objects a cluster holds, made as
//! the cluster makes them (real kubectl's generators, offline, for ConfigMaps and Secrets; the
//! v1 / v1beta1 types by hand for the rest), served by the stand-in API server ([`serve_objects`],
//! which real kubectl can also patch and delete them on) and dumped by real kubectl.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::go::start_demo_apiserver_with_objects;
use super::kube::kubectl;
use super::run::{Daemon, pipe, tool};
use super::tree::demo_pki;

/// Runs kubectl, asserting success (its stderr in the message), and returns stdout.
fn kubectl_ok(args: &[OsString]) -> Vec<u8> {
    let out = kubectl().args(args).output().expect("kubectl");
    assert!(out.status.success(), "kubectl {args:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `kubectl create KIND_ARGS NAME -n NS EXTRA --dry-run=client -o json`: the object kubectl
/// would send, made offline.
fn kubectl_create(kind_args: &[&str], ns: &str, name: &str, extra: Vec<OsString>) -> Value {
    let mut args: Vec<OsString> = ["create"].iter().chain(kind_args).map(OsString::from).collect();
    args.extend([name, "-n", ns].map(OsString::from));
    args.extend(extra);
    args.extend(["--dry-run=client", "-o", "json"].map(OsString::from));
    serde_json::from_slice(&kubectl_ok(&args)).expect("kubectl create prints JSON")
}

/// `--from-file=KEY=PATH` for each file.
fn from_files(files: &[(&str, &Path)]) -> Vec<OsString> {
    files
        .iter()
        .map(|(key, path)| {
            let mut arg = OsString::from(format!("--from-file={key}="));
            arg.push(path);
            arg
        })
        .collect()
}

/// `kubectl create configmap NAME -n NS --from-file=KEY=PATH...`: text files land in `data`,
/// others in `binaryData` (base64).
pub fn configmap(ns: &str, name: &str, files: &[(&str, &Path)]) -> Value {
    kubectl_create(&["configmap"], ns, name, from_files(files))
}

/// `kubectl create secret generic NAME -n NS --from-file=KEY=PATH...` (values base64 in
/// `data`), with the type the API server defaults, Opaque (kubectl leaves it out).
pub fn secret_generic(ns: &str, name: &str, files: &[(&str, &Path)]) -> Value {
    let mut secret = kubectl_create(&["secret", "generic"], ns, name, from_files(files));
    if secret.get("type").is_none() {
        secret["type"] = json!("Opaque");
    }
    secret
}

/// `kubectl create secret tls NAME -n NS --cert CERT --key KEY` (type kubernetes.io/tls,
/// `tls.crt` and `tls.key`); kubectl checks that the key matches the certificate.
pub fn secret_tls(ns: &str, name: &str, cert: &Path, key: &Path) -> Value {
    let extra = vec![OsString::from("--cert"), cert.into(), OsString::from("--key"), key.into()];
    kubectl_create(&["secret", "tls"], ns, name, extra)
}

/// The name of the projected volume the ServiceAccount admission plugin adds to every pod
/// (`kube-api-access-` and five random characters; fixed here).
pub const KUBE_API_ACCESS: &str = "kube-api-access-x7q2b";

/// A v1 Pod as the API server stores it: the ServiceAccount admission plugin's
/// [`KUBE_API_ACCESS`] volume (token, the `kube-root-ca.crt` ConfigMap's `ca.crt`, the
/// namespace) mounted at /var/run/secrets/kubernetes.io/serviceaccount, then `volumes`; one
/// container `app` with `containers_env` as its env and each of `volumes` mounted read-only at
/// /etc/VOLUME-NAME.
pub fn pod(ns: &str, name: &str, volumes: Vec<Value>, containers_env: Vec<Value>) -> Value {
    let mut mounts = vec![json!({
        "name": KUBE_API_ACCESS,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        "readOnly": true
    })];
    for volume in &volumes {
        let volume_name = volume["name"].as_str().expect("a volume has a name");
        mounts.push(json!({"name": volume_name, "mountPath": format!("/etc/{volume_name}"), "readOnly": true}));
    }
    let mut all_volumes = vec![json!({
        "name": KUBE_API_ACCESS,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [
                    {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                ]}}
            ]
        }
    })];
    all_volumes.extend(volumes);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "serviceAccountName": "default",
            "containers": [{
                "name": "app",
                "image": "registry.k8s.io/pause:3.10",
                "env": containers_env,
                "volumeMounts": mounts
            }],
            "volumes": all_volumes
        },
        "status": {"phase": "Running"}
    })
}

/// A webhook configuration of `kind` with one webhook calling the Service `default/NAME` at
/// `path`, trusting `ca_bundle` (PEM bytes, base64 in the object) when given.
fn webhook_configuration(kind: &str, name: &str, path: &str, ca_bundle: Option<&[u8]>) -> Value {
    let mut client_config = json!({"service": {"namespace": "default", "name": name, "path": path, "port": 443}});
    if let Some(pem) = ca_bundle {
        client_config["caBundle"] = json!(base64_encode(pem));
    }
    let mut webhook = json!({
        "name": format!("{name}.webhooks.example.com"),
        "clientConfig": client_config,
        "rules": [{
            "apiGroups": [""],
            "apiVersions": ["v1"],
            "operations": ["CREATE", "UPDATE"],
            "resources": ["pods"],
            "scope": "*"
        }],
        "failurePolicy": "Fail",
        "matchPolicy": "Equivalent",
        "namespaceSelector": {},
        "objectSelector": {},
        "sideEffects": "None",
        "timeoutSeconds": 10,
        "admissionReviewVersions": ["v1"]
    });
    if kind == "MutatingWebhookConfiguration" {
        webhook["reinvocationPolicy"] = json!("Never");
    }
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name},
        "webhooks": [webhook]
    })
}

/// An admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration `name`: one webhook
/// (`NAME.webhooks.example.com`) with clientConfig.service `default/NAME` and, when given,
/// caBundle = base64 of the PEM bytes.
pub fn validating_webhook(name: &str, ca_bundle: Option<&[u8]>) -> Value {
    webhook_configuration("ValidatingWebhookConfiguration", name, "/validate", ca_bundle)
}

/// The MutatingWebhookConfiguration counterpart of [`validating_webhook`].
pub fn mutating_webhook(name: &str, ca_bundle: Option<&[u8]>) -> Value {
    webhook_configuration("MutatingWebhookConfiguration", name, "/mutate", ca_bundle)
}

/// An apiregistration.k8s.io/v1 APIService `VERSION.GROUP` (e.g. `v1beta1.metrics.k8s.io`):
/// served by the Service `kube-system/FIRST-LABEL-OF-GROUP` when `service`, else local (as the
/// built-in groups are); caBundle = base64 of `ca_bundle`'s PEM bytes and
/// insecureSkipTLSVerify as given (the real API server refuses both together).
pub fn apiservice(name: &str, service: bool, ca_bundle: Option<&[u8]>, insecure: bool) -> Value {
    let (version, group) = name.split_once('.').expect("an APIService is named VERSION.GROUP");
    let mut spec = json!({"group": group, "version": version, "groupPriorityMinimum": 100, "versionPriority": 100});
    if service {
        let service_name = group.split('.').next().unwrap_or(group);
        spec["service"] = json!({"namespace": "kube-system", "name": service_name, "port": 443});
    }
    if let Some(pem) = ca_bundle {
        spec["caBundle"] = json!(base64_encode(pem));
    }
    if insecure {
        spec["insecureSkipTLSVerify"] = json!(true);
    }
    json!({
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": name},
        "spec": spec
    })
}

/// An apiextensions.k8s.io/v1 CustomResourceDefinition `PLURAL.GROUP` (e.g.
/// `widgets.example.com`) with versions v1 (stored) and v1beta1, converted by a Webhook: the
/// Service `default/PLURAL` at /convert, caBundle = base64 of `ca_bundle`'s PEM bytes when given.
pub fn crd(name: &str, ca_bundle: Option<&[u8]>) -> Value {
    let (plural, group) = name.split_once('.').expect("a CRD is named PLURAL.GROUP");
    let singular = plural.strip_suffix('s').unwrap_or(plural);
    let mut chars = singular.chars();
    let kind: String = chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect();
    let mut client_config =
        json!({"service": {"namespace": "default", "name": plural, "path": "/convert", "port": 443}});
    if let Some(pem) = ca_bundle {
        client_config["caBundle"] = json!(base64_encode(pem));
    }
    let schema = json!({"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}});
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": group,
            "names": {"plural": plural, "singular": singular, "kind": kind, "listKind": format!("{kind}List")},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": true, "storage": true, "schema": schema},
                {"name": "v1beta1", "served": true, "storage": false, "schema": schema}
            ],
            "conversion": {
                "strategy": "Webhook",
                "webhook": {"conversionReviewVersions": ["v1"], "clientConfig": client_config}
            }
        }
    })
}

/// A certificates.k8s.io/v1beta1 ClusterTrustBundle: spec.trustBundle the PEM text, and
/// spec.signerName when given. The API server's naming rule is checked: with a signer the name
/// starts with the signer's name (`/` as `:`) and `:`, without one it has no `:`.
pub fn cluster_trust_bundle(name: &str, signer: Option<&str>, pem: &[u8]) -> Value {
    match signer {
        Some(signer) => {
            let prefix = format!("{}:", signer.replace('/', ":"));
            assert!(name.starts_with(&prefix), "a ClusterTrustBundle of signer {signer} is named {prefix}...: {name}");
        }
        None => assert!(!name.contains(':'), "a ClusterTrustBundle without a signer has no ':' in its name: {name}"),
    }
    let mut spec = json!({"trustBundle": std::str::from_utf8(pem).expect("PEM text")});
    if let Some(signer) = signer {
        spec["signerName"] = json!(signer);
    }
    json!({
        "apiVersion": "certificates.k8s.io/v1beta1",
        "kind": "ClusterTrustBundle",
        "metadata": {"name": name},
        "spec": spec
    })
}

/// kubectl's List wrapper around `items`, as `kubectl get ... -o json` prints it (and as the
/// stand-in's -objects file may hold it).
pub fn list(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
}

/// Writes `objects` (as a [`list`]) to `dir/objects.json`, starts the stand-in API server serving
/// them with the demo tree's certificates (get, list, patch and delete, as kube-apiserver: see
/// tests/go/apiserver.go), and writes a kubeconfig for it to `dir/kube.conf` ([`demo_kubeconfig`]).
/// Returns the server (stopped on drop) and the kubeconfig's path.
pub fn serve_objects(dir: &Path, objects: &[Value]) -> (Daemon, PathBuf) {
    let file = dir.join("objects.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&list(objects.to_vec())).expect("json")).expect("write objects");
    let (server, addr) = start_demo_apiserver_with_objects(demo_pki(), &file);
    let kubeconfig = dir.join("kube.conf");
    demo_kubeconfig(demo_pki(), &addr, &kubeconfig);
    (server, kubeconfig)
}

/// A kubeconfig at `dest` for the stand-in API server at `addr` serving the demo tree `out`'s
/// apiserver certificate: its admin.conf with the server set to `addr` and tls-server-name
/// `kubernetes` (`kubectl config set-cluster`).
pub fn demo_kubeconfig(out: &Path, addr: &str, dest: &Path) {
    std::fs::copy(out.join("admin.conf"), dest).expect("copy admin.conf");
    let mut args = vec![OsString::from("--kubeconfig"), dest.into()];
    args.extend(
        [
            "config",
            "set-cluster",
            "kubernetes",
            "--server",
            &format!("https://{addr}"),
            "--tls-server-name",
            "kubernetes",
        ]
        .map(OsString::from),
    );
    kubectl_ok(&args);
}

/// `kubectl --kubeconfig KUBECONFIG get RESOURCES -A -o json` (the spec's dump command; `-A` is
/// ignored for cluster-scoped kinds), asserting success; its stdout. kubectl's discovery cache
/// goes beside the kubeconfig, away from ~/.kube.
pub fn kubectl_dump(kubeconfig: &Path, resources: &str) -> Vec<u8> {
    let cache: PathBuf = kubeconfig.with_file_name("kubectl-cache");
    let mut args = vec![OsString::from("--kubeconfig"), kubeconfig.into(), OsString::from("--cache-dir"), cache.into()];
    args.extend(["--request-timeout", "10s", "get", resources, "-A", "-o", "json"].map(OsString::from));
    kubectl_ok(&args)
}

/// Standard base64 with padding (RFC 4648 section 4), as the API writes bytes in JSON.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The documented dump: `kubectl get THESE -A -o json`, ClusterTrustBundles on their own.
pub const DUMPED: &str = "configmaps,secrets,pods,validatingwebhookconfigurations,mutatingwebhookconfigurations,apiservices,customresourcedefinitions";

/// `sha256:HEX` of a certificate file's public key, by openssl.
pub fn openssl_spki(cert: &Path) -> String {
    let script = "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum";
    let out = pipe(script, &[cert]);
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    format!("sha256:{}", String::from_utf8_lossy(&out.stdout).split_whitespace().next().expect("digest"))
}

/// Runs `k8s-verify --cluster-dump` on `dumps` with `args`; exit code, stdout, stderr.
pub fn map(dumps: &[&Path], args: &[&str]) -> (i32, String, String) {
    let mut cmd = tool("k8s-verify");
    for d in dumps {
        cmd.arg("--cluster-dump").arg(d);
    }
    let out = cmd.args(args).output().expect("k8s-verify");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// The findings of a trust map's JSON that are not `ok`, as `STATUS OBJECT: MESSAGE` lines.
pub fn non_ok_findings(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] != "ok")
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_else(|| panic!("a finding's {k}: {f}")).to_string();
            format!("{} {}: {}", text("status"), text("object"), text("message"))
        })
        .collect()
}
