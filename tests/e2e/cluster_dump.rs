//! The cluster dump `k8s-verify --cluster-dump` reads, made the way the spec says: objects built
//! as a cluster builds them (real kubectl's generators for ConfigMaps and Secrets), served by the
//! stand-in API server, dumped by real kubectl with the spec's command. Every object comes back
//! once, whole, with its apiVersion and kind, and its certificates byte for byte; and the kubectl
//! commands the tool prints to update a CA bundle, run by real kubectl against the stand-in,
//! change that bundle and nothing else.

use std::path::Path;

use serde_json::{Value, json};

use crate::util::*;

/// The kinds of [`DUMPED`], in its order: kubectl lists one kind after the other.
const KINDS: [&str; 7] = [
    "ConfigMap",
    "Secret",
    "Pod",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "CustomResourceDefinition",
];

/// apiVersion, kind, namespace and name of an object.
fn identity(v: &Value) -> [String; 4] {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    [text(&v["apiVersion"]), text(&v["kind"]), text(&v["metadata"]["namespace"]), text(&v["metadata"]["name"])]
}

/// What a dump of `kinds` must hold: the objects of each kind in turn, by namespace and name
/// (kube-apiserver's list order).
fn expected(objects: &[Value], kinds: &[&str]) -> Vec<Value> {
    let mut want = Vec::new();
    for kind in kinds {
        let mut of_kind: Vec<&Value> = objects.iter().filter(|o| o["kind"] == *kind).collect();
        of_kind.sort_by_key(|o| identity(o));
        want.extend(of_kind.into_iter().cloned());
    }
    want
}

/// The dump parsed: a kubectl List, its items.
fn dump_items(kubeconfig: &Path, resources: &str) -> Vec<Value> {
    let out = kubectl_dump(kubeconfig, resources);
    let dump: Value = serde_json::from_slice(&out).expect("kubectl prints JSON");
    assert_eq!((&dump["apiVersion"], &dump["kind"]), (&json!("v1"), &json!("List")), "{dump}");
    dump["items"].as_array().unwrap_or_else(|| panic!("no items: {dump}")).clone()
}

#[test]
fn real_kubectl_dumps_every_object_the_stand_in_serves_byte_for_byte() {
    let cluster = demo_pki();
    let dir = scratch();
    let pki = |f: &str| cluster.join("pki").join(f);
    let bytes = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (ca, front_proxy_ca, etcd_ca) = (pki("ca.crt"), pki("front-proxy-ca.crt"), pki("etcd/ca.crt"));
    let (etcd_client, etcd_client_key) = (pki("apiserver-etcd-client.crt"), pki("apiserver-etcd-client.key"));
    let (serving, serving_key) = (pki("apiserver.crt"), pki("apiserver.key"));
    let (ca_pem, front_pem) = (bytes(&ca), bytes(&front_proxy_ca));

    let etcd_volume = json!({"name": "etcd-client", "secret": {"secretName": "etcd-client"}});
    let env = json!({"name": "SSL_CERT_FILE", "value": "/etc/etcd-client/ca.crt"});
    let objects = vec![
        // Listed out of order: the server sorts by namespace and name, as kube-apiserver does.
        configmap("kube-system", "kube-root-ca.crt", &[("ca.crt", &ca)]),
        configmap("default", "kube-root-ca.crt", &[("ca.crt", &ca)]),
        secret_generic(
            "default",
            "etcd-client",
            &[("ca.crt", &etcd_ca), ("tls.crt", &etcd_client), ("tls.key", &etcd_client_key)],
        ),
        secret_tls("default", "apiserver-tls", &serving, &serving_key),
        pod("default", "app", vec![etcd_volume], vec![env]),
        validating_webhook("policy", Some(&ca_pem)),
        mutating_webhook("inject", Some(&front_pem)),
        apiservice("v1beta1.metrics.k8s.io", true, Some(&ca_pem), false),
        apiservice("v1.apps", false, None, false),
        crd("widgets.example.com", Some(&ca_pem)),
        cluster_trust_bundle("example.com:roots:cluster", Some("example.com/roots"), &ca_pem),
        cluster_trust_bundle("front-proxy-roots", None, &front_pem),
    ];
    let (_server, kubeconfig) = serve_objects(dir.path(), &objects);

    let items = dump_items(&kubeconfig, DUMPED);
    // Each object once, in kube-apiserver's order, with apiVersion and kind put back by kubectl.
    let want = expected(&objects, &KINDS);
    assert_eq!(want.len(), 10, "the objects besides the ClusterTrustBundles");
    let got_ids: Vec<[String; 4]> = items.iter().map(identity).collect();
    let want_ids: Vec<[String; 4]> = want.iter().map(identity).collect();
    assert_eq!(got_ids, want_ids, "the dump's objects");
    assert!(items.iter().all(|i| i["apiVersion"].is_string() && i["kind"].is_string()));
    for (got, want) in items.iter().zip(&want) {
        assert_eq!(got, want, "dumped as made");
    }

    // The certificates byte for byte: ConfigMaps hold PEM text, Secrets and caBundles base64.
    let find = |kind: &str, ns: &str, name: &str| {
        let found: Vec<&Value> = items.iter().filter(|i| identity(i)[1..] == [kind, ns, name]).collect();
        assert_eq!(found.len(), 1, "{kind} {ns}/{name} once");
        found[0].clone()
    };
    for ns in ["default", "kube-system"] {
        let cm = find("ConfigMap", ns, "kube-root-ca.crt");
        assert_eq!(cm["data"]["ca.crt"].as_str().map(str::as_bytes), Some(&ca_pem[..]), "{ns}'s kube-root-ca.crt");
    }
    let generic = find("Secret", "default", "etcd-client");
    assert_eq!(generic["type"], "Opaque");
    for (key, file) in [("ca.crt", &etcd_ca), ("tls.crt", &etcd_client), ("tls.key", &etcd_client_key)] {
        assert_eq!(generic["data"][key], base64_encode(&bytes(file)), "etcd-client's {key}");
    }
    let tls = find("Secret", "default", "apiserver-tls");
    assert_eq!(tls["type"], "kubernetes.io/tls");
    assert_eq!(tls["data"]["tls.crt"], base64_encode(&bytes(&serving)));
    assert_eq!(tls["data"]["tls.key"], base64_encode(&bytes(&serving_key)));
    let pod = find("Pod", "default", "app");
    let sources = &pod["spec"]["volumes"][0]["projected"]["sources"];
    assert_eq!(sources[1]["configMap"]["name"], "kube-root-ca.crt", "{pod}");
    assert_eq!(pod["spec"]["volumes"][1]["secret"]["secretName"], "etcd-client", "{pod}");
    let webhook = find("ValidatingWebhookConfiguration", "", "policy");
    assert_eq!(webhook["webhooks"][0]["clientConfig"]["caBundle"], base64_encode(&ca_pem));
    let webhook = find("MutatingWebhookConfiguration", "", "inject");
    assert_eq!(webhook["webhooks"][0]["clientConfig"]["caBundle"], base64_encode(&front_pem));
    let metrics = find("APIService", "", "v1beta1.metrics.k8s.io");
    assert_eq!(metrics["spec"]["caBundle"], base64_encode(&ca_pem));
    assert_eq!(metrics["spec"]["service"]["name"], "metrics");
    assert!(find("APIService", "", "v1.apps")["spec"].get("service").is_none(), "a local APIService");
    let widgets = find("CustomResourceDefinition", "", "widgets.example.com");
    assert_eq!(widgets["spec"]["conversion"]["strategy"], "Webhook");
    assert_eq!(widgets["spec"]["conversion"]["webhook"]["clientConfig"]["caBundle"], base64_encode(&ca_pem));

    // The ClusterTrustBundles, dumped on their own (cluster-scoped: -A changes nothing).
    let bundles = dump_items(&kubeconfig, "clustertrustbundles");
    assert_eq!(bundles, expected(&objects, &["ClusterTrustBundle"]), "the ClusterTrustBundles");
    assert_eq!(bundles.len(), 2);
    assert_eq!(bundles[0]["metadata"]["name"], "example.com:roots:cluster");
    assert_eq!(bundles[0]["spec"]["signerName"], "example.com/roots");
    assert_eq!(bundles[0]["spec"]["trustBundle"].as_str().map(str::as_bytes), Some(&ca_pem[..]));
    assert_eq!(bundles[1]["spec"]["trustBundle"].as_str().map(str::as_bytes), Some(&front_pem[..]));
    assert!(bundles[1]["spec"].get("signerName").is_none());
}

#[test]
fn kinds_without_objects_dump_as_empty_lists() {
    let ca = demo_pki().join("pki/ca.crt");
    let dir = scratch();
    let only = configmap("kube-public", "kube-root-ca.crt", &[("ca.crt", &ca)]);
    let (_server, kubeconfig) = serve_objects(dir.path(), std::slice::from_ref(&only));
    // Six of the seven kinds have nothing: the dump holds the one ConfigMap.
    assert_eq!(dump_items(&kubeconfig, DUMPED), vec![only]);
    assert_eq!(dump_items(&kubeconfig, "clustertrustbundles"), Vec::<Value>::new());
    assert_eq!(dump_items(&kubeconfig, "pods,apiservices"), Vec::<Value>::new());
}

/// Runs `script` with bash (kubectl's discovery cache under `home`, away from ~/.kube), for at
/// most a minute (`kubectl delete` waits for the object to go, a week by default): its exit
/// status, stdout and stderr.
fn bash(home: &Path, script: &str) -> (bool, String, String) {
    let out = std::process::Command::new("timeout")
        .args(["-k", "5", "60", "bash", "-c", script])
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .output()
        .expect("bash");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8 output");
    (out.status.success(), text(out.stdout), text(out.stderr))
}

/// A word quoted for bash.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

#[test]
fn the_printed_kubectl_commands_change_the_bundle_and_nothing_else() {
    let cluster = demo_pki();
    let dir = scratch();
    let bytes = |f: &str| std::fs::read(cluster.join("pki").join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let (ca_pem, front_pem) = (bytes("ca.crt"), bytes("front-proxy-ca.crt"));
    let (ca, front, serving) =
        (cluster.join("pki/ca.crt"), cluster.join("pki/front-proxy-ca.crt"), cluster.join("pki/apiserver.crt"));
    // The bundle a rotation puts in place: the new CA (here the front-proxy CA) before the old.
    let bundle_pem = [&front_pem[..], &ca_pem[..]].concat();
    let bundle = dir.path().join("ca-bundle.pem");
    std::fs::write(&bundle, &bundle_pem).expect("write the bundle");
    let b64 = base64_encode(&bundle_pem);

    let mut authentication = configmap(
        "kube-system",
        "extension-apiserver-authentication",
        &[("client-ca-file", &ca), ("requestheader-client-ca-file", &front)],
    );
    authentication["data"]["requestheader-allowed-names"] = json!("[\"front-proxy-client\"]");
    let mut inject = mutating_webhook("inject", Some(&front_pem));
    let mut second = inject["webhooks"][0].clone();
    second["name"] = json!("inject-second.webhooks.example.com");
    second["clientConfig"]["caBundle"] = json!(base64_encode(&ca_pem));
    inject["webhooks"].as_array_mut().expect("webhooks").push(second);
    let objects = vec![
        authentication,
        configmap("default", "trust", &[("ca.crt", &ca), ("front-proxy-ca.crt", &front)]),
        secret_generic("default", "webhook-ca", &[("ca.crt", &ca), ("tls.crt", &serving)]),
        validating_webhook("policy", Some(&ca_pem)),
        inject,
        apiservice("v1beta1.metrics.k8s.io", true, Some(&ca_pem), false),
        apiservice("v1.apps", false, None, false),
        crd("widgets.example.com", Some(&ca_pem)),
    ];
    let (_server, kubeconfig) = serve_objects(dir.path(), &objects);
    let (k, file) = (quoted(&kubeconfig), quoted(&bundle));
    let run = |script: String| {
        let (ok, stdout, stderr) = bash(dir.path(), &script);
        assert!(ok, "{script}\nfailed: {stderr}");
        stdout
    };

    // Each command as the tool prints it (with --kubeconfig), what kubectl says, and the field
    // it changes (kind, namespace, name, JSON pointer) to what. The bundle goes in as the tool
    // puts it: through kubectl's ConfigMap generator, or `base64 -w0` between the JSON's quotes.
    let b64_of_file = format!(r#""'"$(base64 -w0 {file})"'""#);
    let json_op = |index: u32| {
        format!(r#"'[{{"op":"replace","path":"/webhooks/{index}/clientConfig/caBundle","value":{b64_of_file}}}]'"#)
    };
    let pem_text = json!(String::from_utf8(bundle_pem.clone()).expect("PEM text"));
    let commands = [
        (
            format!(
                "kubectl --kubeconfig {k} -n default create configmap trust --from-file=ca.crt={file} --dry-run=client -o json \
                 | kubectl --kubeconfig {k} -n default patch configmap trust --type merge --patch-file /dev/stdin"
            ),
            "configmap/trust patched\n",
            ("ConfigMap", "default", "trust", "/data/ca.crt", pem_text),
        ),
        (
            format!(
                r#"kubectl --kubeconfig {k} -n default patch secret webhook-ca --type merge -p '{{"data":{{"ca.crt":{b64_of_file}}}}}'"#
            ),
            "secret/webhook-ca patched\n",
            ("Secret", "default", "webhook-ca", "/data/ca.crt", json!(b64)),
        ),
        (
            format!(
                "kubectl --kubeconfig {k} patch validatingwebhookconfiguration policy --type json -p {}",
                json_op(0)
            ),
            "validatingwebhookconfiguration.admissionregistration.k8s.io/policy patched\n",
            ("ValidatingWebhookConfiguration", "", "policy", "/webhooks/0/clientConfig/caBundle", json!(b64)),
        ),
        (
            format!("kubectl --kubeconfig {k} patch mutatingwebhookconfiguration inject --type json -p {}", json_op(1)),
            "mutatingwebhookconfiguration.admissionregistration.k8s.io/inject patched\n",
            ("MutatingWebhookConfiguration", "", "inject", "/webhooks/1/clientConfig/caBundle", json!(b64)),
        ),
        (
            format!(
                r#"kubectl --kubeconfig {k} patch apiservice v1beta1.metrics.k8s.io --type merge -p '{{"spec":{{"caBundle":{b64_of_file}}}}}'"#
            ),
            "apiservice.apiregistration.k8s.io/v1beta1.metrics.k8s.io patched\n",
            ("APIService", "", "v1beta1.metrics.k8s.io", "/spec/caBundle", json!(b64)),
        ),
        (
            format!(
                r#"kubectl --kubeconfig {k} patch customresourcedefinition widgets.example.com --type merge -p '{{"spec":{{"conversion":{{"webhook":{{"clientConfig":{{"caBundle":{b64_of_file}}}}}}}}}}}'"#
            ),
            "customresourcedefinition.apiextensions.k8s.io/widgets.example.com patched\n",
            (
                "CustomResourceDefinition",
                "",
                "widgets.example.com",
                "/spec/conversion/webhook/clientConfig/caBundle",
                json!(b64),
            ),
        ),
    ];
    let mut want = objects.clone();
    let mut versions = Vec::new();
    for (script, said, (kind, ns, name, field, value)) in &commands {
        assert_eq!(&run(script.clone()), said, "{script}");
        let object = want.iter_mut().find(|o| identity(o)[1..] == [*kind, *ns, *name]).expect("a served object");
        *object.pointer_mut(field).unwrap_or_else(|| panic!("{kind} {name} has {field}")) = value.clone();
        // The server's resourceVersion, bumped by each change: read back, checked below.
        let got: Value = serde_json::from_str(&run(format!(
            "kubectl --kubeconfig {k} get {} {name} {} -o json",
            kind.to_lowercase(),
            if ns.is_empty() { String::new() } else { format!("-n {ns}") }
        )))
        .expect("kubectl prints JSON");
        let version = got["metadata"]["resourceVersion"].clone();
        versions.push(version.as_str().and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| panic!("{got}")));
        object["metadata"]["resourceVersion"] = version;
    }
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "each change a newer resourceVersion: {versions:?}");

    // The same patch again changes nothing, and kubectl says so.
    assert_eq!(run(commands[1].0.clone()), "secret/webhook-ca patched (no change)\n");
    // A JSON patch whose test fails changes nothing (422), nor does one renaming the object (400).
    for (patch, error) in [
        (
            r#"--type json -p '[{"op":"replace","path":"/spec/caBundle","value":""},{"op":"test","path":"/spec/group","value":"apps"}]'"#,
            "The request is invalid",
        ),
        (r#"--type merge -p '{"metadata":{"name":"v1beta1.other.k8s.io"}}'"#, "Error from server (BadRequest)"),
    ] {
        let script = format!("kubectl --kubeconfig {k} patch apiservice v1beta1.metrics.k8s.io {patch}");
        let (ok, _, stderr) = bash(dir.path(), &script);
        assert!(!ok && stderr.contains(error), "{script}: {stderr}");
    }
    // The ConfigMap the tool may tell operators to delete after a rotation.
    let delete = format!("kubectl --kubeconfig {k} -n kube-system delete configmap extension-apiserver-authentication");
    assert_eq!(run(delete), "configmap \"extension-apiserver-authentication\" deleted\n");
    want.retain(|o| identity(o)[1..] != ["ConfigMap", "kube-system", "extension-apiserver-authentication"]);

    // The dump: every patched field byte for byte, every other key of every object as served.
    let items = dump_items(&kubeconfig, DUMPED);
    let want = expected(&want, &KINDS);
    assert_eq!(items.iter().map(identity).collect::<Vec<_>>(), want.iter().map(identity).collect::<Vec<_>>());
    for (got, want) in items.iter().zip(&want) {
        assert_eq!(got, want, "patched as the command says, the rest as served");
    }
    let find =
        |kind: &str, name: &str| items.iter().find(|i| i["kind"] == kind && i["metadata"]["name"] == name).expect(kind);
    let trust = find("ConfigMap", "trust");
    assert_eq!(trust["data"]["ca.crt"].as_str().map(str::as_bytes), Some(&bundle_pem[..]));
    assert_eq!(trust["data"]["front-proxy-ca.crt"].as_str().map(str::as_bytes), Some(&front_pem[..]), "the other key");
    let inject = find("MutatingWebhookConfiguration", "inject");
    assert_eq!(
        inject["webhooks"][0]["clientConfig"]["caBundle"],
        base64_encode(&front_pem),
        "the first webhook as served"
    );
    assert_eq!(inject["webhooks"][1]["clientConfig"]["caBundle"], b64);
}
