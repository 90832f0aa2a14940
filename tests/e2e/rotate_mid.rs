//! k8s-rotate mid-rotation: the audit naming each file's generation, the gates that wait for
//! kubelets' own client certificates, rolling back re-issued clients, the copy list per node,
//! `plan --to`, and the explained commands run as printed.

use std::path::Path;
use std::process::Command as StdCommand;

use crate::rotate::{audit, snapshot};
use crate::util::*;

#[test]
fn explained_commands_quote_the_trees_names_and_run_as_printed() {
    let (dir, demo) = copy_of_demo();
    let hostile = "cluster $(touch PWNED)";
    let tree = dir.path().join(hostile);
    std::fs::rename(&demo, &tree).expect("rename");
    rotate_ok(&tree, &["prepare", "--all"]);
    let out = tool("k8s-rotate")
        .args(["issue", "--step", "clients", "--confirm", "prepare-restarts", "--dry-run", "--explain", "--pki-dir"])
        .arg(&tree)
        .output()
        .expect("k8s-rotate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let commands: Vec<&str> = err.lines().filter_map(|l| l.strip_prefix("$ ")).collect();
    assert!(commands.iter().any(|c| c.contains("'") && c.contains(hostile)), "{err}");
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    for c in &commands {
        let res = StdCommand::new("bash")
            .args(["-c", &format!("set -euo pipefail; {c}")])
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .expect("bash");
        assert!(res.status.success(), "{c}: {}", String::from_utf8_lossy(&res.stderr));
    }
    assert!(!dir.path().join("PWNED").exists() && !tree.join("PWNED").exists(), "a tree's name ran as a command");
}

#[test]
fn the_audit_names_each_files_generation_mid_rotation() {
    let (_dir, tree) = copy_of_demo();
    let flags = |tree: &Path| {
        let out = tool("k8s-verify").args(["--flags", "--pki-dir"]).arg(tree).output().expect("k8s-verify");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(flags(&tree).contains("--cluster-signing-cert-file=") && !flags(&tree).contains("ca-signer.crt"));
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tree.join("pki/rotation.json")).expect("state")).expect("state json");
    let (old, new) =
        (state["targets"]["ca"]["old"].as_str().expect("json"), state["targets"]["ca"]["new"].as_str().expect("json"));
    let v = audit_json(&tree).1;
    let file =
        |path: &str| v["files"].as_array().expect("json").iter().find(|f| f["path"] == path).cloned().expect("json");
    // Servers are still old-signed, clients new-signed: the second and the first member of ca.crt.
    let api = file("pki/apiserver.crt");
    assert_eq!(api["generation"], "old", "{api}");
    assert_eq!(api["signedBy"], format!("pki/ca.crt#2 (old, {}…)", &old[..15]), "{api}");
    let admin = file("admin.conf");
    assert_eq!(admin["generation"], "new", "{admin}");
    assert_eq!(admin["signedBy"], format!("pki/ca.crt#1 (new, {}…)", &new[..15]), "{admin}");
    let ca = file("pki/ca.crt");
    assert_eq!(ca["generation"], "new", "the signer of the bundle: {ca}");
    let members: Vec<(&str, &str)> = ca["members"]
        .as_array()
        .expect("json")
        .iter()
        .map(|m| (m["id"].as_str().expect("json"), m["generation"].as_str().expect("json")))
        .collect();
    assert_eq!(members, [(new, "new"), (old, "old")]);
    assert_eq!(file("pki/sa.key")["generation"], "new");
    // The expiry table lists both CAs of each bundle, kubeadm's name for the signer.
    let out = tool("k8s-verify").arg("--pki-dir").arg(&tree).arg("--expiry").output().expect("k8s-verify");
    let text = String::from_utf8_lossy(&out.stdout);
    for row in ["\nca ", "\nca (old) ", "\netcd-ca (old) ", "\nfront-proxy-ca (old) "] {
        assert!(text.contains(row), "{row:?} in\n{text}");
    }
    let out =
        tool("k8s-verify").arg("--pki-dir").arg(&tree).args(["--expiry", "--format", "json"]).output().expect("json");
    let expiry: serde_json::Value = serde_json::from_slice(&out.stdout).expect("expiry json");
    let names: Vec<&str> = expiry["certificateAuthorities"]
        .as_array()
        .expect("json")
        .iter()
        .map(|c| c["name"].as_str().expect("json"))
        .collect();
    assert_eq!(names, ["ca", "ca (old)", "etcd-ca", "etcd-ca (old)", "front-proxy-ca", "front-proxy-ca (old)"]);
    // kube-controller-manager signs with the one-certificate copy of the signer.
    let text = flags(&tree);
    assert!(text.contains(&format!("--cluster-signing-cert-file={}/pki/ca-signer.crt", tree.display())), "{text}");
    let out = tool("k8s-verify").args(["--graph", "dot", "--pki-dir"]).arg(&tree).output().expect("k8s-verify");
    let dot = String::from_utf8_lossy(&out.stdout);
    assert!(dot.contains("\"kube-controller-manager\" -> \"pki/ca-signer.crt\""), "{dot}");
}

/// Points `conf`'s client certificate and key at `file` (kubelet-finalize's form).
fn reference_cert_file(conf: &Path, file: &str) {
    let text = read(conf);
    let text: String = text
        .lines()
        .map(|l| match l.trim_start().split_once(": ") {
            Some(("client-certificate-data", _)) => format!("    client-certificate: {file}"),
            Some(("client-key-data", _)) => format!("    client-key: {file}"),
            _ => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect();
    std::fs::write(conf, text).expect("write kubeconfig");
}

#[test]
fn distrust_waits_for_the_kubelets_own_client_certificates() {
    let (_dir, tree) = copy_of_demo();
    // node-2's kubelet rotates its certificate itself, in the tree; node-1's lives on the node.
    let n2 = tree.join("nodes/node-2");
    let pem = n2.join("pki/kubelet-client-current.pem");
    let issued = pipe(
        "k8s-genkey | k8s-csr --profile kubelet --node-name node-2 | k8s-sign --ca \"$1/pki/ca\" > \"$2\"",
        &[&tree, &pem],
    );
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    reference_cert_file(&n2.join("kubelet.conf"), "pki/kubelet-client-current.pem");
    reference_cert_file(&tree.join("kubelet.conf"), "/var/lib/kubelet/pki/kubelet-client-current.pem");
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    rotate_ok(&tree, &["issue", "--step", "servers", "--confirm", "clients-refreshed"]);
    assert!(read(&pem).contains("BEGIN CERTIFICATE"), "the kubelet's file is the kubelet's: not re-issued");
    let out = rotate(&tree, &["distrust"]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nodes/node-2/kubelet.conf (pki/kubelet-client-current.pem): the kubelet's client certificate is not signed by the new CA yet"),
        "{err}"
    );
    assert!(
        err.contains(
            "--confirm kubelet-clients-renewed: kubelet.conf (/var/lib/kubelet/pki/kubelet-client-current.pem) name"
        ),
        "{err}"
    );
    // The check the gate's message gives for a node's file: it fails on the old certificate...
    let check = |pem: &Path| {
        let out = tool("k8s-verify").arg("--ca-cert").arg(tree.join("pki/rotation/ca.new.crt")).arg(pem).output();
        out.expect("k8s-verify").status.code()
    };
    assert_eq!(check(&pem), Some(1));
    // The kubelet renews from the new signer (kube-controller-manager signs with ca-signer.crt).
    let renewed = pipe(
        "k8s-genkey | k8s-csr --profile kubelet --node-name node-2 | k8s-sign --ca-cert \"$1/pki/ca-signer.crt\" --ca-key \"$1/pki/ca.key\" > \"$2\"",
        &[&tree, &pem],
    );
    assert!(renewed.status.success(), "{}", String::from_utf8_lossy(&renewed.stderr));
    assert_eq!(check(&pem), Some(0), "...and passes on the renewed one");
    let out = rotate(&tree, &["distrust"]);
    assert_eq!(out.status.code(), Some(4), "node-1's file is still unconfirmed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("node-2"), "{err}");
    rotate_ok(&tree, &["distrust", "--confirm", "kubelet-clients-renewed"]);
}

#[test]
fn rolling_back_the_clients_reissues_an_old_certificate_about_to_expire() {
    let (_dir, tree) = copy_of_demo();
    let short = pipe(
        "k8s-genkey | k8s-csr --profile apiserver-etcd-client | k8s-sign --ca \"$1/pki/etcd/ca\" --days 10 --out \"$1/pki/apiserver-etcd-client\" --force",
        &[&tree],
    );
    assert!(short.status.success(), "{}", String::from_utf8_lossy(&short.stderr));
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    let prepared = snapshot(&tree);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    let out = rotate_ok(&tree, &["rollback"]);
    assert!(out.contains("pki/apiserver-etcd-client.crt"), "{out}");
    // Every other file is put back byte for byte; the 10-day certificate is re-issued by the old CA.
    let now = snapshot(&tree);
    let differs: std::collections::BTreeSet<&str> = now
        .keys()
        .chain(prepared.keys())
        .filter(|rel| now.get(*rel) != prepared.get(*rel))
        .map(String::as_str)
        .collect();
    assert_eq!(
        differs.into_iter().collect::<Vec<_>>(),
        ["pki/apiserver-etcd-client.crt", "pki/apiserver-etcd-client.key"]
    );
    let old_ca = tree.join("pki/rotation/etcd-ca.old.crt");
    let out = tool("k8s-verify")
        .arg("--ca-cert")
        .arg(&old_ca)
        .arg("--warn-within")
        .arg("300d")
        .arg(tree.join("pki/apiserver-etcd-client.crt"))
        .output()
        .expect("k8s-verify");
    assert_eq!(out.status.code(), Some(0), "old-signed, a year ahead: {}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(audit(&tree).0, 0, "{}", audit(&tree).1);
}

#[test]
fn each_step_says_what_to_copy_to_each_node() {
    let (_dir, tree) = copy_of_demo();
    let step = |args: &[&str]| -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        serde_json::from_str(&rotate_ok(&tree, &all)).expect("step json")
    };
    let pairs = |v: &serde_json::Value, node: &str| -> (Vec<String>, Vec<String>) {
        let n = v["copies"].as_array().expect("copies").iter().find(|c| c["node"] == node).cloned();
        let n = n.unwrap_or_default();
        let copy = n["copy"].as_array().cloned().unwrap_or_default();
        let own = n["updateInPlace"].as_array().cloned().unwrap_or_default();
        (
            copy.iter()
                .map(|c| format!("{} > {}", c["from"].as_str().unwrap_or(""), c["to"].as_str().unwrap_or("")))
                .collect(),
            own.iter().map(|f| f.as_str().unwrap_or("").to_string()).collect(),
        )
    };
    let prepared = step(&["prepare", "--all", "--sa-min-soak", "0s"]);
    let (copy, own) = pairs(&prepared, "node-2");
    assert!(copy.contains(&"pki/etcd/ca.crt > pki/etcd/ca.crt".to_string()), "{copy:?}");
    assert!(copy.contains(&"nodes/node-2/kubelet.conf > kubelet.conf".to_string()), "{copy:?}");
    assert!(!copy.iter().any(|c| c.contains("pki/rotation/")), "the material stays here: {copy:?}");
    assert_eq!(own, ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"]);
    let (copy, _) = pairs(&prepared, "node-1");
    assert!(copy.iter().all(|c| c.starts_with("nodes/node-1/")), "the tree is node-1's: {copy:?}");
    step(&["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    let servers = step(&["issue", "--step", "servers", "--confirm", "clients-refreshed"]);
    // What the etcd members of the full rotation test are given at this step.
    let (copy, own) = pairs(&servers, "node-3");
    for f in ["server.crt", "server.key", "peer.crt", "peer.key"] {
        let want = format!("nodes/node-3/pki/etcd/{f} > pki/etcd/{f}");
        assert!(copy.contains(&want), "{want} in {copy:?}");
    }
    assert!(!copy.iter().any(|c| c.starts_with("pki/apiserver")), "{copy:?}");
    assert_eq!(own, ["pki/apiserver.crt"], "node-3's API server certificate names node-3");
    let only: serde_json::Value =
        serde_json::from_str(&rotate_ok(&tree, &["distrust", "--dry-run", "--node", "node-2", "--format", "json"]))
            .expect("json");
    let nodes: Vec<&str> =
        only["copies"].as_array().expect("copies").iter().filter_map(|c| c["node"].as_str()).collect();
    assert_eq!(nodes, ["node-2"]);
}

#[test]
fn plan_to_a_step_stops_there() {
    let (_dir, tree) = copy_of_demo();
    let v: serde_json::Value =
        serde_json::from_str(&rotate_ok(&tree, &["plan", "--all", "--to", "clients", "--format", "json"]))
            .expect("json");
    let commands: Vec<&str> =
        v["steps"].as_array().expect("steps").iter().filter_map(|s| s["command"].as_str()).collect();
    let dir = tree.display().to_string();
    assert_eq!(
        commands,
        [
            format!("k8s-rotate prepare --pki-dir {dir} --all"),
            format!("k8s-rotate issue --step clients --pki-dir {dir} --confirm prepare-restarts")
        ]
    );
    let text = rotate_ok(&tree, &["plan", "--all", "--to", "finish"]);
    assert!(text.starts_with("rotation of ca, etcd-ca, front-proxy-ca, sa: 5 step(s) left"), "{text}");
    let out = rotate(&tree, &["plan", "--all", "--to", "later"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_audit_warns_about_ambiguous_chains_leaves_outliving_their_ca_and_an_old_ca_near_its_end() {
    let (_dir, tree) = copy_of_demo();
    // A "new" CA on the old key rotates nothing: refused, and when forced the audit says why.
    let same_key = "(cat \"$1/pki/ca.key\"; k8s-csr --key \"$1/pki/ca.key\" --profile ca --cn kubernetes-2) | k8s-sign --self-sign | k8s-rotate prepare --target ca --pki-dir \"$1\" - \"${@:2}\"";
    let run = |extra: &[&str]| {
        let mut args = vec![tree.as_os_str()];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        pipe(same_key, &args)
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("gate: the new ca has the old one's key (sha256:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(run(&["--force", "test"]).status.success());
    let (code, text) = audit(&tree);
    assert_eq!(code, 6, "{text}");
    assert!(
        text.contains("pki/apiserver.crt's authorityKeyIdentifier names 2 CAs of pki/ca.crt: the chain is ambiguous"),
        "{text}"
    );
    // A new CA that ends before the leaves it will sign, and an old CA near its end.
    let (_dir2, tree) = copy_of_demo();
    // 100 days, as --duration (--days 100 says the same).
    rotate_ok(&tree, &["prepare", "--target", "front-proxy-ca", "--duration", "2400h"]);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    let long = pipe(
        "k8s-genkey | k8s-csr --profile front-proxy-client | k8s-sign --ca \"$1/pki/front-proxy-ca\" --days 365 --out \"$1/pki/front-proxy-client\" --force",
        &[&tree],
    );
    assert!(long.status.success(), "{}", String::from_utf8_lossy(&long.stderr));
    let (code, text) = audit(&tree);
    assert_eq!(code, 6, "{text}");
    assert!(text.contains("! lifetime: outlives its CA: expires "), "{text}");
    // Ten days before the old CA ends.
    let v = audit_json(&tree).1;
    let ca = v["files"].as_array().expect("files").iter().find(|f| f["path"] == "pki/front-proxy-ca.crt").cloned();
    let members = ca.expect("front-proxy-ca")["members"].clone();
    let old = members.as_array().expect("members").iter().find(|m| m["generation"] == "old").cloned().expect("old");
    let end = old["notAfter"].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok()).expect("notAfter").as_second();
    let day = |secs: i64| {
        let out = StdCommand::new("date").arg("-u").arg("-d").arg(format!("@{secs}")).arg("+%Y-%m-%d").output();
        String::from_utf8_lossy(&out.expect("date").stdout).trim().to_string()
    };
    let out = tool("k8s-verify").arg("--pki-dir").arg(&tree).args(["--at", &day(end - 10 * 86_400)]).output();
    let text = String::from_utf8_lossy(&out.expect("k8s-verify").stdout).into_owned();
    assert!(text.contains(&format!("the old front-proxy-ca CA expires {}", day(end))), "{text}");
}

#[test]
fn prepare_without_a_choice_of_targets_is_a_usage_error_that_changes_nothing() {
    let (_dir, tree) = copy_of_demo();
    // What a prepare killed before it began leaves: removed by the next prepare, but only by one
    // that will go on.
    std::fs::create_dir_all(tree.join("pki/rotation")).expect("mkdir");
    std::fs::write(tree.join("pki/rotation/ca.key"), "left by a killed prepare").expect("write");
    let before = file_contents(&tree);
    for (args, says) in [
        (&["prepare"][..], "name what to rotate: --all, or --target ca|etcd-ca|front-proxy-ca|sa"),
        (&["prepare", "--all", "--target", "ca"][..], "give --all or --target, not both"),
        (
            &["prepare", "--all", "/dev/null"][..],
            "a new CA from a file or stdin goes with prepare and exactly one --target",
        ),
        (&["prepare", "--target", "sa", "/dev/null"][..], "the service-account key is not a CA: a new CA from a file"),
    ] {
        let out = rotate(&tree, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(file_contents(&tree) == before, "{args:?} changed the tree");
    }
    let out = rotate(&tree, &["prepare", "--target", "ca"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("removed pki/rotation/ca.key: a prepare stopped before it began left it"), "{err}");
}
