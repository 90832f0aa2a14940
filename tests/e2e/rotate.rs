//! k8s-rotate end to end: a whole rotation of a 3-node tree from examples/kubeadm-pki.sh with a
//! real 3-member etcd cluster rolled member by member as the plan says, the Go API-server
//! stand-in and real kubectl, service-account tokens checked by a Go helper as kube-apiserver checks
//! them; then the gates, rollbacks, an interrupted step and a state file pointing outside the
//! tree (the states mid-rotation are rotate_mid.rs).

use std::path::Path;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};

use crate::etcd::Etcd;
use crate::util::*;

pub(crate) fn audit(dir: &Path) -> (i32, String) {
    let out = tool("k8s-verify").arg("--pki-dir").arg(dir).output().expect("k8s-verify");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Which components the current phase's plan restarts (`status --format json`).
fn restarted(dir: &Path) -> Vec<String> {
    let status = rotate_ok(dir, &["status", "--format", "json"]);
    assert_schema("rotate", status.as_bytes());
    let v: serde_json::Value = serde_json::from_str(&status).expect("json");
    v["restarts"]
        .as_array()
        .expect("restarts")
        .iter()
        .map(|r| r["component"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Whether a service-account token signed with `key` (RS256, with the kid kube-controller-manager
/// derives) is accepted against the keys in `bundle` as kube-apiserver's authenticator accepts
/// it (tests/go/satoken.go); a refusal must be the authenticator's own.
fn sa_verifies(_dir: &Path, key: &Path, bundle: &Path) -> bool {
    let out =
        StdCommand::new(go_helper("satoken")).arg("-key").arg(key).arg("-pub").arg(bundle).output().expect("satoken");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    match out.status.code() {
        Some(0) => {
            assert!(text.starts_with("OK kid="), "{text}");
            true
        }
        Some(1) => {
            assert_eq!(text, "invalid signature, no keys found", "a token refused for its kid");
            false
        }
        _ => panic!("satoken failed: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

fn whoami(conf: &Path, addr: &str) -> bool {
    kubectl()
        .env("KUBECONFIG", "/dev/null")
        .arg("--kubeconfig")
        .arg(conf)
        .args(["--server", &format!("https://{addr}"), "--tls-server-name", "kubernetes", "--request-timeout", "10s"])
        .args(["auth", "whoami", "-o", "json"])
        .output()
        .expect("kubectl")
        .status
        .success()
}

#[test]
fn a_full_rotation_keeps_etcd_kubectl_and_tokens_working_at_every_phase() {
    require("etcd", "etcd-server");
    require("etcdctl", "etcd-client");
    let scratch = scratch();
    let base = scratch.path();
    let tree = base.join("tree");
    copy_tree(demo_pki(), &tree);
    let old = base.join("old");
    copy_tree(demo_pki(), &old);
    let mut etcd = Etcd::start_all(base, &tree);
    // (phase, old healthcheck client accepted, old admin.conf works, old SA key verifies, old-CA-only client works)
    let phases = [
        ("idle", &[][..], true, true, true, true),
        ("prepare", &["prepare", "--all", "--sa-min-soak", "0s"][..], true, true, true, true),
        ("issue/clients", &["issue", "--step", "clients", "--confirm", "prepare-restarts"][..], true, true, true, true),
        (
            "issue/servers",
            &["issue", "--step", "servers", "--confirm", "clients-refreshed"][..],
            true,
            false,
            true,
            false,
        ),
        ("distrust", &["distrust"][..], false, false, false, false),
    ];
    for (phase, args, old_health, old_admin, old_token, old_ca_only) in phases {
        let admin_before = base.join(format!("admin-before-{}.conf", phase.replace('/', "-")));
        std::fs::copy(tree.join("admin.conf"), &admin_before).expect("admin.conf");
        if !args.is_empty() {
            rotate_ok(&tree, args);
            let plan = restarted(&tree);
            if plan.iter().any(|c| c == "etcd") {
                etcd.roll(&tree);
            }
        }
        let (code, report) = audit(&tree);
        assert_eq!(code, 0, "{phase}: the audit fails:\n{report}");
        // (a) health as the tree's healthcheck client and as the one from before the rotation.
        for i in 0..3 {
            assert!(etcd.healthy(i, &tree), "{phase}: member {i} refuses the current healthcheck client");
            let ca = tree.join("pki/etcd/ca.crt");
            let res = etcd.ctl(&etcd.endpoint(i), &ca, &old, "etcd/healthcheck-client", &["endpoint", "health"]);
            assert_eq!(res.status.success(), old_health, "{phase}: old healthcheck client on member {i}");
        }
        // (b) every member started; (c) put/get as kube-apiserver.
        assert_eq!(etcd.started(&tree), 3, "{phase}");
        let all: Vec<String> = (0..3).map(|i| etcd.endpoint(i)).collect();
        let ca = tree.join("pki/etcd/ca.crt");
        let put = etcd.ctl(&all.join(","), &ca, &tree, "apiserver-etcd-client", &["put", "/phase", phase]);
        assert!(put.status.success(), "{phase}: {}", String::from_utf8_lossy(&put.stderr));
        let get =
            etcd.ctl(&all.join(","), &ca, &tree, "apiserver-etcd-client", &["get", "/phase", "--print-value-only"]);
        assert_eq!(String::from_utf8_lossy(&get.stdout).trim(), phase);
        // (f) a client that trusts only the old etcd CA.
        let res = etcd.ctl(
            &etcd.endpoint(0),
            &old.join("pki/etcd/ca.crt"),
            &tree,
            "etcd/healthcheck-client",
            &["endpoint", "health"],
        );
        assert_eq!(res.status.success(), old_ca_only, "{phase}: a client holding only the old etcd CA");
        // (d) kubectl with admin.conf as it is now and as it was before the step and before the rotation.
        let (_server, addr) =
            start_apiserver(&tree.join("pki/apiserver.crt"), &tree.join("pki/apiserver.key"), &tree.join("pki/ca.crt"));
        assert!(whoami(&tree.join("admin.conf"), &addr), "{phase}: admin.conf");
        assert!(whoami(&admin_before, &addr) || phase == "distrust", "{phase}: admin.conf from before the step");
        assert_eq!(whoami(&old.join("admin.conf"), &addr), old_admin, "{phase}: admin.conf from before the rotation");
        // (e) service-account signatures, old and current key, against sa.pub.
        assert!(sa_verifies(base, &tree.join("pki/sa.key"), &tree.join("pki/sa.pub")), "{phase}: current SA key");
        assert_eq!(
            sa_verifies(base, &old.join("pki/sa.key"), &tree.join("pki/sa.pub")),
            old_token,
            "{phase}: old SA key"
        );
    }
    rotate_ok(&tree, &["finish"]);
    assert!(!tree.join("pki/rotation/ca.old.key").exists(), "finish deletes the old keys");
    let (code, report) = audit(&tree);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("rotation.json"), "{report}");
}

#[test]
fn a_step_out_of_order_is_refused_and_forcing_it_is_caught_by_the_audit_and_by_etcd() {
    require("etcd", "etcd-server");
    let (_dir, tree) = copy_of_demo();
    let out = rotate(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "k8s-rotate: error: gate: no rotation is under way; `issue --step clients` follows prepare"
    );
    // One etcd member running on the idle tree's files.
    let scratch = scratch();
    let mut etcd = Etcd::new(scratch.path());
    etcd.members.truncate(1);
    etcd.initial = format!("node-1=https://127.0.0.1:{}", etcd.members[0].peer);
    etcd.copy(0, &tree);
    etcd.start(0, "new");
    let start = Instant::now();
    while !etcd.healthy(0, &tree) {
        assert!(start.elapsed() < Duration::from_secs(60), "etcd did not start");
        std::thread::sleep(Duration::from_millis(300));
    }
    let out = rotate(&tree, &["issue", "--step", "clients", "--force", "testing a skipped phase"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("gate overridden (--force testing a skipped phase)"), "{err}");
    let (code, report) = audit(&tree);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains(
            "pki/apiserver-etcd-client.crt (now) as a client certificate does not verify against pki/etcd/ca.crt (before the last step), which etcd --trusted-ca-file may still hold: x509: certificate signed by unknown authority"
        ),
        "{report}"
    );
    // The member still holds the old CA only (etcd does not reload it): the new client is refused.
    let ca = tree.join("pki/etcd/ca.crt");
    let res = etcd.ctl(&etcd.endpoint(0), &ca, &tree, "apiserver-etcd-client", &["get", "/x"]);
    assert!(!res.status.success(), "etcd accepted a client of the new CA it was never given");
    let log = read(scratch.path().join("node-1.log"));
    assert!(log.contains("x509: certificate signed by unknown authority"), "{log}");
}

/// The files of a tree (without backups and the rotation's own), with their digests.
pub(crate) fn snapshot(tree: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let rotation = |rel: &String| rel == "rotation.json" || rel.ends_with("/rotation.json");
    file_contents(tree)
        .into_iter()
        .filter(|(rel, _)| !(rel.starts_with("backup-") || rel.starts_with("pki/rotation/") || rotation(rel)))
        .collect()
}

#[test]
fn rollback_restores_the_earlier_phase_byte_for_byte() {
    let (_dir, tree) = copy_of_demo();
    let idle = snapshot(&tree);
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    let prepared = snapshot(&tree);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    // The audit's JSON carries the rotation at its top level, as status tells it.
    let status: serde_json::Value =
        serde_json::from_str(&rotate_ok(&tree, &["status", "--format", "json"])).expect("status json");
    let rotation = &audit_json(&tree).1["rotation"];
    assert_eq!(rotation["phase"], status["phase"], "{rotation}");
    let next = format!("k8s-rotate issue --step servers --pki-dir {} --confirm clients-refreshed", tree.display());
    assert_eq!(rotation["next"], next.as_str(), "{rotation}");
    assert_eq!(rotation["targets"], serde_json::json!(["ca", "etcd-ca", "front-proxy-ca", "sa"]), "{rotation}");
    assert_eq!(rotation["interrupted"], serde_json::Value::Null);
    let out = rotate_ok(&tree, &["rollback"]);
    assert!(out.starts_with("rolled back: issue/clients → prepare"), "{out}");
    assert_eq!(snapshot(&tree), prepared);
    assert_eq!(audit(&tree).0, 0);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    rotate_ok(&tree, &["issue", "--step", "servers", "--confirm", "clients-refreshed"]);
    let servers = snapshot(&tree);
    rotate_ok(&tree, &["distrust"]);
    rotate_ok(&tree, &["rollback"]);
    assert_eq!(snapshot(&tree), servers);
    // Back to idle from prepare: the tree as it was, the state file gone.
    let (_dir2, tree2) = copy_of_demo();
    rotate_ok(&tree2, &["prepare", "--all"]);
    rotate_ok(&tree2, &["rollback"]);
    let mut back = snapshot(&tree2);
    back.remove("pki/ca-signer.crt");
    assert_eq!(back, idle);
    assert!(!tree2.join("pki/rotation.json").exists());
    assert!(audit_json(&tree2).1.get("rotation").is_none(), "no rotation, no key");
}

#[test]
fn an_interrupted_step_finishes_when_run_again() {
    let (dir, tree) = copy_of_demo();
    rotate_ok(&tree, &["prepare", "--all"]);
    // The step runs as an unprivileged user so that a read-only directory stops it (root
    // writes anywhere).
    let chown =
        |spec: &str| assert!(StdCommand::new("chown").args(["-R", spec]).arg(&tree).status().expect("chown").success());
    chown("65534:65534");
    let mut p = dir.path().to_path_buf();
    while p != Path::new("/") {
        let _ = StdCommand::new("chmod").arg("o+x").arg(&p).status();
        p.pop();
    }
    let etcd_dir = tree.join("pki/etcd");
    assert!(StdCommand::new("chmod").arg("555").arg(&etcd_dir).status().expect("chmod").success());
    let as_nobody = |args: &[&str]| {
        require("setpriv", "util-linux")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin_dir().join("k8s-rotate"))
            .args(args)
            .arg("--pki-dir")
            .arg(&tree)
            .output()
            .expect("setpriv")
    };
    let out = as_nobody(&["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pki/etcd"), "{}", String::from_utf8_lossy(&out.stderr));
    let status = rotate_ok(&tree, &["status"]);
    let finish = format!("k8s-rotate issue --step clients --pki-dir {} --confirm prepare-restarts", tree.display());
    assert!(status.contains(&format!("interrupted: `{finish}` did not finish; run it again")), "{status}");
    assert!(status.contains(&format!("next: {finish}\n")), "{status}");
    // make renew (examples/renew-pki.sh) refuses while a step is being applied.
    let script = repo().join("examples/renew-pki.sh");
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let renew = StdCommand::new("bash").arg(&script).arg(&tree).env("PATH", &path).output().expect("renew-pki.sh");
    assert_eq!(renew.status.code(), Some(4));
    assert_eq!(
        String::from_utf8_lossy(&renew.stderr).trim(),
        "renew-pki: a rotation step is being applied (issue --step clients): run it again to finish it first"
    );
    // Another step is refused until this one is finished.
    let out = rotate(&tree, &["issue", "--step", "servers", "--confirm", "clients-refreshed"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(StdCommand::new("chmod").arg("755").arg(&etcd_dir).status().expect("chmod").success());
    chown("0:0");
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    let (code, report) = audit(&tree);
    assert_eq!(code, 0, "{report}");
    // In issue/clients make renew would sign server certificates with the new CA: refused.
    let renew = StdCommand::new("bash").arg(&script).arg(&tree).env("PATH", &path).output().expect("renew-pki.sh");
    assert_eq!(renew.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&renew.stderr).contains("a rotation is in issue/clients"));
    // As an uninterrupted run ends: every client certificate from the new CA, servers still old.
    let v: serde_json::Value = serde_json::from_str(&rotate_ok(&tree, &["status", "--format", "json"])).expect("json");
    assert_eq!(v["phase"], "issue/clients");
    assert!(v["rotation"]["applying"].is_null());
    let new_etcd = tree.join("pki/rotation/etcd-ca.new.crt");
    for (leaf, new) in [
        ("pki/etcd/healthcheck-client.crt", true),
        ("pki/apiserver-etcd-client.crt", true),
        ("pki/etcd/server.crt", false),
    ] {
        let res = openssl(&tree, &["verify", "-CAfile", &s(&new_etcd), leaf]);
        assert_eq!(res.status.success(), new, "{leaf}");
    }
}

#[test]
fn a_new_ca_made_by_the_other_tools_is_taken_from_stdin() {
    let (_dir, tree) = copy_of_demo();
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa-p256"], b"");
    let csr = run_ok("k8s-csr", &["--profile", "etcd-ca", "--cn", "etcd-ca-2027"], &key);
    let ca = run_ok("k8s-sign", &["--self-sign"], &csr);
    let out = tool("k8s-rotate")
        .args(["prepare", "--target", "etcd-ca", "--pki-dir"])
        .arg(&tree)
        .arg("-")
        .write_stdin(ca)
        .output()
        .expect("k8s-rotate");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let subject = openssl_ok(&tree, &["x509", "-in", "pki/rotation/etcd-ca.new.crt", "-noout", "-subject"]);
    assert_eq!(subject.trim(), "subject=CN = etcd-ca-2027");
    assert_eq!(blocks_of(read(tree.join("pki/etcd/ca.crt")).as_bytes(), "CERTIFICATE").len(), 2);
    assert_eq!(blocks_of(read(tree.join("pki/ca.crt")).as_bytes(), "CERTIFICATE").len(), 1, "only etcd-ca rotates");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(tree.join("pki/rotation/etcd-ca.new.key")).expect("key").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(audit(&tree).0, 0);
    // A second target cannot join a rotation under way; a stdin CA goes with one target only.
    let (_dir2, tree2) = copy_of_demo();
    let out = tool("k8s-rotate")
        .args(["prepare", "--all", "--pki-dir"])
        .arg(&tree2)
        .arg("-")
        .write_stdin(b"x".to_vec())
        .output()
        .expect("k8s-rotate");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "k8s-rotate: error: a new CA from a file or stdin goes with prepare and exactly one --target"
    );
    assert!(!tree2.join("pki/rotation.json").exists(), "nothing written on a refused prepare");
    // Interrupted once its state names it (here: the state as a run killed between its last
    // write and its last state save leaves it: applying, backed up, every target still idle),
    // the prepare is finished by running it again without the CA, which is saved.
    let state = tree.join("pki/rotation.json");
    let mut v: serde_json::Value = serde_json::from_str(&read(&state)).expect("state");
    v["applying"] = serde_json::json!("prepare");
    v["backedUp"] = serde_json::json!(true);
    for t in v["targets"].as_object_mut().expect("targets").values_mut() {
        t["phase"] = serde_json::json!("idle");
    }
    std::fs::write(&state, serde_json::to_vec(&v).expect("json")).expect("write");
    let again = |ca: Option<&[u8]>| {
        let mut cmd = tool("k8s-rotate");
        cmd.args(["prepare", "--target", "etcd-ca", "--pki-dir"]).arg(&tree);
        if ca.is_some() {
            cmd.arg("-");
        }
        cmd.write_stdin(ca.unwrap_or_default().to_vec()).output().expect("k8s-rotate")
    };
    let out = again(Some(b"the same CA, or another"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "k8s-rotate: error: this prepare saved its new CA before it was interrupted: run it again without the CA file to finish it"
    );
    let out = again(None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let subject = openssl_ok(&tree, &["x509", "-in", "pki/rotation/etcd-ca.new.crt", "-noout", "-subject"]);
    assert_eq!(subject.trim(), "subject=CN = etcd-ca-2027");
    assert_eq!(audit(&tree).0, 0);
}

#[test]
fn a_state_file_pointing_outside_the_tree_is_refused() {
    let (_dir, tree) = copy_of_demo();
    rotate_ok(&tree, &["prepare", "--all"]);
    let path = tree.join("pki/rotation.json");
    let mut v: serde_json::Value = serde_json::from_str(&read(&path)).expect("json");
    v["backups"]["prepare"] = serde_json::json!("../../../tmp/evil");
    std::fs::write(&path, serde_json::to_vec(&v).expect("json")).expect("write");
    let out = rotate(&tree, &["rollback"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("backup '../../../tmp/evil' is not a backup-TIMESTAMP directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
