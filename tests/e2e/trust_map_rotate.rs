//! The trust map in a CA rotation: `distrust --cluster-dump` refuses (exit 4, nothing written)
//! while a cluster object carries the old CA without the new one, naming it; `plan
//! --cluster-dump` lists each object to update with the `kubectl` command that does it, which
//! the test runs against the stand-in API server as printed; dumped again, distrust proceeds.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::*;

/// A copy of the demo tree whose cluster CA rotation has reached issue/servers: the phase before
/// distrust, where the cluster's objects decide whether distrust may go on.
fn ca_rotated_to_servers() -> (Scratch, PathBuf) {
    let (keep, tree) = copy_of_demo();
    rotate_ok(&tree, &["prepare", "--target", "ca"]);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    rotate_ok(&tree, &["issue", "--step", "servers", "--confirm", "clients-refreshed"]);
    (keep, tree)
}

/// Runs a printed command with bash, kubectl pointed at the stand-in.
fn run_printed(command: &str, kubeconfig: &Path) {
    let out =
        std::process::Command::new("bash").args(["-c", command]).env("KUBECONFIG", kubeconfig).output().expect("bash");
    assert!(out.status.success(), "{command}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn distrust_waits_for_every_cluster_object_and_plan_says_how_to_update_each() {
    let (_keep, tree) = ca_rotated_to_servers();
    let pki = demo_pki().join("pki");
    let old = std::fs::read(pki.join("ca.crt")).expect("old ca");
    let (old_id, new_id) = (openssl_spki(&pki.join("ca.crt")), openssl_spki(&tree.join("pki/rotation/ca.new.crt")));

    let dir = scratch();
    let objects = vec![
        configmap("team-a", "kube-root-ca.crt", &[("ca.crt", &pki.join("ca.crt"))]),
        configmap("kube-system", "extension-apiserver-authentication", &[("client-ca-file", &tree.join("pki/ca.crt"))]),
        secret_generic("team-a", "ca", &[("ca.crt", &pki.join("ca.crt")), ("other", &pki.join("front-proxy-ca.crt"))]),
        validating_webhook("policy", Some(&old)),
        mutating_webhook("inject", Some(&std::fs::read(tree.join("pki/ca.crt")).expect("bundle"))),
        apiservice("v1beta1.metrics.k8s.io", true, Some(&old), false),
        crd("widgets.example.com", Some(&old)),
        pod("team-a", "app", vec![], vec![]),
    ];
    let (_server, kubeconfig) = serve_objects(dir.path(), &objects);
    let dump = dir.path().join("dump.json");
    std::fs::write(&dump, kubectl_dump(&kubeconfig, DUMPED)).expect("write");

    // The map judges each carrier by the phase: old only is a warning before distrust.
    let (code, out, _) = map(&[&dump], &["--pki-dir", &s(&tree), "--format", "json"]);
    assert_eq!(code, 6, "{out}");
    let report: Value = serde_json::from_str(&out).expect("json");
    let generations: Vec<(&str, &str)> = report["cas"]
        .as_array()
        .expect("an array")
        .iter()
        .filter(|c| c["name"] == "ca")
        .map(|c| (c["spki"].as_str().expect("a string"), c["generation"].as_str().expect("a string")))
        .collect();
    let mut want = vec![(new_id.as_str(), "new"), (old_id.as_str(), "old")];
    want.sort();
    assert_eq!(generations, want);

    // Distrust refuses, naming every object with the old CA only, and writes nothing.
    let before = file_contents(&tree);
    let out = rotate(&tree, &["distrust", "--cluster-dump", &s(&dump)]);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let gate = |object: &str| format!("gate: {object} carries the old ca ({old_id}) but not the new one");
    let stale = [
        "APIService v1beta1.metrics.k8s.io spec.caBundle",
        "ConfigMap team-a/kube-root-ca.crt data.ca.crt",
        "CustomResourceDefinition widgets.example.com spec.conversion.webhook.clientConfig.caBundle",
        "Secret team-a/ca data.ca.crt",
        "ValidatingWebhookConfiguration policy webhooks[0].clientConfig.caBundle",
    ];
    for object in stale {
        assert!(err.contains(&gate(object)), "{object}: {err}");
    }
    assert_eq!(err.matches("carries the old ca").count(), stale.len(), "{err}");
    assert_eq!(file_contents(&tree), before, "a refused distrust writes nothing");

    // plan lists them before distrust, by whom, with the command for the operator's.
    let plan = rotate_ok(&tree, &["plan", "--cluster-dump", &s(&dump), "--format", "json"]);
    assert_schema("rotate", plan.as_bytes());
    let plan: Value = serde_json::from_str(&plan).expect("json");
    let step =
        plan["steps"].as_array().expect("an array").iter().find(|s| s["to"] == "distrust").expect("distrust step");
    assert_eq!(step["command"], format!("k8s-rotate distrust --pki-dir {} --cluster-dump {}", s(&tree), s(&dump)));
    assert_eq!(step["cluster"]["when"], "before-distrust");
    let objects = step["cluster"]["objects"].as_array().expect("objects");
    let listed: Vec<String> = objects.iter().map(|o| format!("{} {} {}", o["kind"], o["name"], o["by"])).collect();
    assert_eq!(objects.len(), stale.len(), "{listed:?}");
    for o in objects {
        assert_eq!(o["now"], json!([old_id]));
        assert_eq!(o["want"], json!([old_id, new_id]));
        let by_kcm = o["name"] == "kube-root-ca.crt";
        assert_eq!(o["by"], if by_kcm { "kube-controller-manager" } else { "operator" }, "{o}");
        assert_eq!(o.get("kubectl").is_some(), !by_kcm, "{o}");
    }

    // Run each printed command as printed; kube-controller-manager's rewrite is done the same way.
    for o in objects {
        let cmd = match o["kubectl"].as_str() {
            Some(c) => c.to_string(),
            None => format!(
                "kubectl -n team-a create configmap kube-root-ca.crt --from-file=ca.crt={} --dry-run=client -o json | kubectl -n team-a patch configmap kube-root-ca.crt --type merge --patch-file /dev/stdin",
                s(&tree.join("pki/ca.crt"))
            ),
        };
        run_printed(&cmd, &kubeconfig);
    }
    std::fs::write(&dump, kubectl_dump(&kubeconfig, DUMPED)).expect("write");
    let (code, out, _) = map(&[&dump], &["--pki-dir", &s(&tree), "--format", "json"]);
    assert_eq!(code, 0, "every carrier holds old and new now: {out}");
    // The Secret's other key is untouched by the patch.
    let items: Value = serde_json::from_slice(&std::fs::read(&dump).expect("dump")).expect("json");
    let secret = items["items"].as_array().expect("an array").iter().find(|i| i["kind"] == "Secret").expect("secret");
    assert_eq!(secret["data"]["other"], base64_encode(&std::fs::read(pki.join("front-proxy-ca.crt")).expect("r")));

    let out = rotate(&tree, &["distrust", "--cluster-dump", &s(&dump)]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // After distrust every carrier should drop the old CA: the map warns, plan lists them.
    let (code, out, _) = map(&[&dump], &["--pki-dir", &s(&tree)]);
    assert_eq!(code, 6, "{out}");
    assert_eq!(out.matches("still carries the old ca: drop it").count(), stale.len() + 2, "{out}");
    let plan: Value =
        serde_json::from_str(&rotate_ok(&tree, &["plan", "--cluster-dump", &s(&dump), "--format", "json"])).expect("j");
    let finish = &plan["steps"][0];
    assert_eq!((finish["to"].as_str(), finish["cluster"]["when"].as_str()), (Some("done"), Some("after-distrust")));
    for o in finish["cluster"]["objects"].as_array().expect("an array") {
        assert_eq!(o["want"], json!([new_id]), "{o}");
    }
    // The authentication ConfigMap is the operator's to delete: the printed command does it.
    let objects = finish["cluster"]["objects"].as_array().expect("an array");
    let auth = objects.iter().find(|o| o["name"] == "extension-apiserver-authentication").expect("listed");
    assert_eq!(auth["delete"], true, "{auth}");
    run_printed(auth["kubectl"].as_str().expect("a command"), &kubeconfig);
    let items: Value = serde_json::from_slice(&kubectl_dump(&kubeconfig, DUMPED)).expect("json");
    let left: Vec<&Value> =
        items["items"].as_array().expect("items").iter().filter(|i| i["kind"] == "ConfigMap").collect();
    assert_eq!(left.len(), 1, "only kube-root-ca.crt is left: {left:?}");
    assert_eq!(left[0]["metadata"]["name"], "kube-root-ca.crt");
}

#[test]
fn distrust_without_a_dump_says_cluster_objects_were_not_checked() {
    let (_keep, tree) = copy_of_demo();
    rotate_ok(&tree, &["prepare", "--target", "front-proxy-ca"]);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    rotate_ok(&tree, &["issue", "--step", "servers", "--confirm", "clients-refreshed"]);
    let out = rotate(&tree, &["distrust", "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("cluster objects were not checked").count(), 1, "{err}");
}

#[test]
fn plan_before_prepare_names_each_objects_own_ca_and_its_bundle() {
    let (_keep, tree) = copy_of_demo();
    let pki = demo_pki().join("pki");
    let front = std::fs::read(pki.join("front-proxy-ca.crt")).expect("front-proxy-ca");
    let dir = scratch();
    let dump = dir.path().join("dump.json");
    let objects = list(vec![
        mutating_webhook("inject", Some(&front)),
        validating_webhook("policy", Some(&std::fs::read(pki.join("ca.crt")).expect("ca"))),
    ]);
    std::fs::write(&dump, serde_json::to_vec(&objects).expect("json")).expect("write");
    let plan: Value =
        serde_json::from_str(&rotate_ok(&tree, &["plan", "--all", "--cluster-dump", &s(&dump), "--format", "json"]))
            .expect("json");
    assert_schema("rotate", plan.to_string().as_bytes());
    let prepare = &plan["steps"][0];
    assert_eq!(prepare["cluster"]["when"], "after-prepare");
    let objects = prepare["cluster"]["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 2, "{objects:#?}");
    for o in objects {
        let (target, command) = (o["target"].as_str().expect("target"), o["kubectl"].as_str().expect("kubectl"));
        let bundle = if o["name"] == "inject" { "front-proxy-ca" } else { "ca" };
        assert_eq!(target, bundle, "{o}");
        assert!(command.contains(&format!("base64 -w0 {}", s(&tree.join(format!("pki/{bundle}.crt"))))), "{command}");
        assert_eq!(o["want"][1], "new", "the new CA is named once prepare makes it");
    }
}

#[test]
fn what_cannot_be_read_refuses_distrust_and_plan_says_who_updates_what() {
    let (_keep, tree) = ca_rotated_to_servers();
    let pki = demo_pki().join("pki");
    let old = std::fs::read_to_string(pki.join("ca.crt")).expect("old ca");
    let bundle = std::fs::read_to_string(tree.join("pki/ca.crt")).expect("bundle");
    let cm = |ns: &str, name: &str, data: Value| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data});
    // cluster-info whose kubeconfig the map cannot read (an anchor): Go may read it, so it refuses.
    let anchored = format!(
        "apiVersion: v1\nkind: Config\nclusters: &c\n- cluster:\n    certificate-authority-data: {}\n  name: \"\"\n",
        base64_encode(old.as_bytes())
    );
    let objects = list(vec![
        cm("kube-public", "cluster-info", json!({"kubeconfig": anchored})),
        cm("n", "twice", json!({"ca.crt": format!("{old}{old}")})),
        cm("kube-system", "extension-apiserver-authentication", json!({"client-ca-file": bundle})),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
               "metadata": {"name": "t", "namespace": "n"}, "data": {"ca.crt": base64_encode(old.as_bytes())}}),
    ]);
    let dir = scratch();
    let dump = dir.path().join("dump.json");
    std::fs::write(&dump, serde_json::to_vec(&objects).expect("json")).expect("write");
    let out = rotate(&tree, &["distrust", "--cluster-dump", &s(&dump)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("gate: ConfigMap kube-public/cluster-info data.kubeconfig: a kubeconfig with YAML anchors, aliases or tags: not read: what it carries is not known"), "{err}");
    // The old CA twice is still only the rotated CA: one bundle replaces the field. The token
    // Secret's ca.crt is kube-controller-manager's (its tokens controller).
    let plan: Value =
        serde_json::from_str(&rotate_ok(&tree, &["plan", "--cluster-dump", &s(&dump), "--format", "json"]))
            .expect("json");
    assert_schema("rotate", plan.to_string().as_bytes());
    let distrust = &plan["steps"][0]["cluster"]["objects"];
    let find = |list: &Value, name: &str| {
        list.as_array().expect("objects").iter().find(|o| o["name"] == name).cloned().expect(name)
    };
    assert!(find(distrust, "twice")["kubectl"].as_str().expect("a command").contains("patch configmap/twice"));
    assert_eq!(find(distrust, "t")["by"], "kube-controller-manager");
    assert!(find(distrust, "t").get("kubectl").is_none());
    // After distrust the authentication ConfigMap is deleted by the operator, said and printed.
    let finish = &plan["steps"][1]["cluster"]["objects"];
    let auth = find(finish, "extension-apiserver-authentication");
    assert_eq!((auth["by"].as_str(), auth["delete"].as_bool()), (Some("operator"), Some(true)), "{auth}");
    assert_eq!(auth["kubectl"], "kubectl --namespace=kube-system delete configmap/extension-apiserver-authentication");
}

#[test]
fn a_cluster_dump_that_cannot_be_read_fails_distrust_before_the_tree_is_touched() {
    let (keep, tree) = ca_rotated_to_servers();
    // What a killed run left: the next step that goes on removes it, one that fails first does not.
    let temp = tree.join("pki/.ca.crt.0123456789ab.tmp");
    std::fs::write(&temp, "left by a killed run").expect("write");
    let broken = keep.path().join("dump.json");
    std::fs::write(&broken, "{\"kind\": \"List\", \"items\": [").expect("write");
    let state = read(tree.join("pki/rotation.json"));
    let out = rotate(&tree, &["distrust", "--cluster-dump", &s(&broken)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains(&format!("{}:", broken.display())) && !err.contains("removed"), "{err}");
    assert!(temp.exists(), "the temp file was swept by a run that failed");
    assert_eq!(read(tree.join("pki/rotation.json")), state);
    let out = rotate(&tree, &["distrust", "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
