//! The tree is confined, for every command: a link out of the tree at any depth is reported and
//! never followed by the audit, k8s-rotate or rollback; no fix line names a path behind one;
//! rollback restores only what its step's record names, from a backup that is a real directory
//! of the tree; every read is bounded; a hostile rotation.json is refused with one line; and
//! finish leaves no private key of an old CA or the old service-account key anywhere under the
//! tree.

use std::path::{Path, PathBuf};

use crate::util::*;

/// A copy of the two-node ECDSA demo tree (fast to rotate).
fn ecdsa_tree() -> (Scratch, PathBuf) {
    let dir = scratch();
    let tree = dir.path().join("cluster");
    copy_tree(ecdsa_demo_pki(), &tree);
    (dir, tree)
}

#[test]
fn a_link_out_of_the_tree_at_any_depth_is_reported_and_never_followed() {
    let (dir, tree) = copy_of_demo();
    let outside = dir.path().join("elsewhere");
    std::fs::create_dir_all(&outside).expect("mkdir");
    // pki/etcd moved out of the tree and linked back: its files are fine, and are not the tree's.
    std::fs::rename(tree.join("pki/etcd"), outside.join("etcd")).expect("mv");
    std::os::unix::fs::symlink(outside.join("etcd"), tree.join("pki/etcd")).expect("link");
    let before = file_contents(&outside);
    let (code, report) = audit_json(&tree);
    assert_eq!(code, 1, "{report}");
    let files = report["files"].as_array().expect("files");
    for f in files.iter().filter(|f| f["path"].as_str().is_some_and(|p| p.starts_with("pki/etcd/"))) {
        let messages = f["findings"].to_string();
        assert!(messages.contains("pki/etcd is a symbolic link out of the tree (to "), "{f}");
        assert_eq!(f["status"], "fail", "{f}");
        assert_ne!(f["externallyManaged"], true, "a key behind a link is not an externally managed CA: {f}");
    }
    // No fix line reads or writes through the link: none names pki/etcd/.
    for f in files {
        let fix = f["fix"].as_str().unwrap_or("");
        assert!(!fix.contains("pki/etcd/"), "a fix goes through the link: {fix}");
    }
    // k8s-rotate refuses before writing anything, naming the link.
    let out = rotate(&tree, &["prepare", "--all"]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pki/etcd is a symbolic link out of the tree"), "{err}");
    assert!(!tree.join("pki/rotation.json").exists());
    assert_eq!(file_contents(&outside), before, "nothing outside the tree changed");
    // The whole pki/ a link: every file says so.
    std::fs::remove_file(tree.join("pki/etcd")).expect("rm");
    std::fs::rename(outside.join("etcd"), tree.join("pki/etcd")).expect("mv back");
    std::fs::rename(tree.join("pki"), outside.join("pki")).expect("mv");
    std::os::unix::fs::symlink(outside.join("pki"), tree.join("pki")).expect("link");
    let (code, report) = audit_json(&tree);
    assert_eq!(code, 1);
    assert_eq!(report["files"].as_array().expect("files").iter().filter(|f| f["status"] == "ok").count(), 0);
    assert!(report.to_string().contains("pki is a symbolic link out of the tree"), "{report}");
}

#[test]
fn rollback_restores_only_the_recorded_files_from_a_real_backup_directory() {
    let (dir, tree) = ecdsa_tree();
    let victim = dir.path().join("home");
    std::fs::create_dir_all(&victim).expect("mkdir");
    std::fs::write(victim.join(".bashrc"), "mine\n").expect("write");
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    let state: serde_json::Value = serde_json::from_str(&read(tree.join("pki/rotation.json"))).expect("state");
    let backup = state["backups"]["prepare"].as_str().expect("backup").to_string();
    // A planted file in the backup, and a link in the tree that it would be restored through.
    std::fs::create_dir_all(tree.join(&backup).join("evil")).expect("mkdir");
    std::fs::write(tree.join(&backup).join("evil/.bashrc"), "owned\n").expect("plant");
    std::os::unix::fs::symlink(&victim, tree.join("evil")).expect("link");
    let out = rotate_ok(&tree, &["rollback"]);
    assert!(!out.contains("evil"), "{out}");
    assert_eq!(read(victim.join(".bashrc")), "mine\n", "rollback wrote outside the tree");
    assert!(!tree.join("pki/rotation.json").exists());
    // A backup directory that is itself a link out of the tree is refused, and nothing is read
    // from it; the audit says so too.
    std::fs::remove_file(tree.join("evil")).expect("rm");
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    let state: serde_json::Value = serde_json::from_str(&read(tree.join("pki/rotation.json"))).expect("state");
    let backup = state["backups"]["prepare"].as_str().expect("backup").to_string();
    let moved = dir.path().join("moved-backup");
    std::fs::rename(tree.join(&backup), &moved).expect("mv");
    std::os::unix::fs::symlink(&moved, tree.join(&backup)).expect("link");
    let out = rotate(&tree, &["rollback"]);
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&backup) && err.contains("is a symbolic link"), "{err}");
    let (code, report) = audit_json(&tree);
    assert_eq!(code, 1);
    assert!(report.to_string().contains("cannot be read"), "{report}");
}

#[test]
fn huge_or_sparse_files_in_a_backup_are_refused_within_bounded_memory() {
    let (_dir, tree) = ecdsa_tree();
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    let state: serde_json::Value = serde_json::from_str(&read(tree.join("pki/rotation.json"))).expect("state");
    let backup = tree.join(state["backups"]["prepare"].as_str().expect("backup"));
    for (i, name) in ["pki/ca.crt", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt", "admin.conf"].iter().enumerate() {
        let f = std::fs::OpenOptions::new().write(true).truncate(true).open(backup.join(name)).expect("open");
        f.set_len((60 + i as u64) << 20).expect("sparse");
    }
    for extra in 0..12 {
        let f = std::fs::File::create(backup.join(format!("junk-{extra}"))).expect("create");
        f.set_len(60 << 20).expect("sparse");
    }
    // 300 MiB of address space: reading the sparse files whole would need far more.
    let run = |bin: &str, args: &[&str]| {
        require("prlimit", "util-linux")
            .arg(format!("--as={}", 300u64 << 20))
            .arg(bin_dir().join(bin))
            .args(args)
            .arg(&tree)
            .output()
            .expect("prlimit")
    };
    let out = run("k8s-verify", &["--pki-dir"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("larger than 4 MiB: not a file of a kubeadm tree"), "{text}");
    let out = run("k8s-rotate", &["rollback", "--pki-dir"]);
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than 4 MiB"));
}

#[test]
fn an_edited_state_file_is_refused_with_one_line() {
    let (_dir, tree) = ecdsa_tree();
    rotate_ok(&tree, &["prepare", "--all", "--sa-min-soak", "0s"]);
    let path = tree.join("pki/rotation.json");
    let good: serde_json::Value = serde_json::from_str(&read(&path)).expect("state");
    for (pointer, value, want) in [
        ("/targets/sa/minSoak", serde_json::json!(i64::MIN), "minSoak -9223372036854775808 is not between 0 and"),
        (
            "/steps/prepare/replaced/0",
            serde_json::json!("../../etc/passwd"),
            "'../../etc/passwd' is not a file of the tree",
        ),
        ("/targets/ca/phase", serde_json::json!("issue/everything"), "phase 'issue/everything' is not valid"),
        (
            "/applying",
            serde_json::json!("rm -rf /\n$ k8s-rotate finish"),
            "applying 'rm -rf /?$ k8s-rotate finish' is not valid",
        ),
    ] {
        let mut v = good.clone();
        *v.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
        std::fs::write(&path, serde_json::to_vec(&v).expect("json")).expect("write");
        for args in
            [&["status"][..], &["rollback"][..], &["issue", "--step", "clients", "--confirm", "prepare-restarts"][..]]
        {
            let out = rotate(&tree, args);
            assert_eq!(out.status.code(), Some(3), "{pointer} {args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(want), "{pointer}: {err}");
        }
    }
}

#[test]
fn finish_leaves_no_private_key_of_an_old_ca_or_the_old_sa_key_anywhere() {
    let (_dir, tree) = ecdsa_tree();
    // A copy of the old CA key someone made, before the rotation.
    std::fs::copy(tree.join("pki/ca.key"), tree.join("pki/ca.key.orig")).expect("copy");
    let olds: Vec<String> = ["pki/ca.key", "pki/etcd/ca.key", "pki/front-proxy-ca.key", "pki/sa.key"]
        .iter()
        .map(|k| public_of(&tree.join(k)))
        .collect();
    for args in [
        &["prepare", "--all", "--sa-min-soak", "0s"][..],
        &["issue", "--step", "clients", "--confirm", "prepare-restarts"][..],
        &["issue", "--step", "servers", "--confirm", "clients-refreshed"][..],
        &["distrust"][..],
    ] {
        rotate_ok(&tree, args);
    }
    let out = tool("k8s-rotate").args(["finish", "--format", "json", "--pki-dir"]).arg(&tree).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_schema("rotate", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let removed: Vec<&str> = v["writes"]
        .as_array()
        .expect("writes")
        .iter()
        .filter(|w| w["removed"] == true)
        .filter_map(|w| w["path"].as_str())
        .collect();
    assert!(removed.contains(&"pki/ca.key.orig"), "{removed:?}");
    assert!(removed.iter().any(|r| r.starts_with("backup-") && r.ends_with("/pki/ca.key")), "{removed:?}");
    // Every file it says it removed is gone; nothing under the tree holds an old private key.
    for r in &removed {
        assert!(!tree.join(r).exists(), "{r} is said removed and is there");
    }
    let mut keys = 0;
    for (rel, bytes) in file_contents(&tree) {
        if String::from_utf8_lossy(&bytes).contains("PRIVATE KEY") {
            keys += 1;
            assert!(!olds.contains(&public_of(&tree.join(&rel))), "{rel} holds an old private key");
        }
    }
    assert!(keys > 5, "the tree's own keys are read ({keys})");
    // Kept: the backups' certificates and public keys only.
    for k in v["kept"].as_array().expect("kept") {
        assert!(
            k.as_str().is_some_and(|k| k.ends_with(".crt")
                || k.ends_with(".pub")
                || k.contains("certificates and public keys only")),
            "{k}"
        );
    }
    let (code, report) = audit_json(&tree);
    assert_eq!(code, 0, "{report}");
}

/// The public key of a private key file (openssl), to compare keys without printing them.
fn public_of(key: &Path) -> String {
    let out = openssl(Path::new("."), &["pkey", "-in", &s(key), "-pubout"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn rollback_reports_as_a_step_does_and_the_sa_soak_only_guards_dropping_the_new_key() {
    let (_dir, tree) = ecdsa_tree();
    rotate_ok(&tree, &["prepare", "--all"]);
    rotate_ok(&tree, &["issue", "--step", "clients", "--confirm", "prepare-restarts"]);
    // From issue/clients, sa.pub keeps both keys: the 24h soak does not stop the rollback.
    let dry = rotate_ok(&tree, &["rollback", "--dry-run"]);
    assert!(dry.starts_with("would roll back: issue/clients → prepare"), "{dry}");
    assert!(tree.join("pki/rotation/ca.new.key").exists());
    let out = tool("k8s-rotate").args(["rollback", "--format", "json", "--pki-dir"]).arg(&tree).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_schema("rotate", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (v["from"].as_str(), v["to"].as_str(), v["rollback"].as_bool()),
        (Some("issue/clients"), Some("prepare"), Some(true))
    );
    let node2: Vec<&str> =
        v["copies"][0]["copy"].as_array().expect("copy").iter().filter_map(|c| c["from"].as_str()).collect();
    assert!(node2.contains(&"pki/ca.key") && node2.contains(&"pki/sa.key"), "{v}");
    let restarts: Vec<&str> =
        v["restarts"].as_array().expect("restarts").iter().filter_map(|r| r["component"].as_str()).collect();
    assert!(restarts.contains(&"kube-apiserver") && restarts.contains(&"kubelet"), "{restarts:?}");
    // Back to idle would drop the new SA key, which signed tokens: the soak refuses.
    let out = rotate(&tree, &["rollback"]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tokens signed by the new service-account key stay valid: wait"), "{err}");
}

#[test]
fn printed_commands_paste_into_bash_even_for_a_hostile_directory_name() {
    let (dir, demo) = ecdsa_tree();
    // A newline, a quote and a command substitution in the tree's name.
    let tree = dir.path().join("c'l\n$ k8s-rotate finish $(touch PWNED)");
    std::fs::rename(&demo, &tree).expect("rename");
    let plan = rotate_ok(&tree, &["plan", "--target", "ca", "--target", "etcd-ca", "--target", "front-proxy-ca"]);
    assert!(!plan.lines().any(|l| l.starts_with("$ ")), "a path forged a line: {plan}");
    let first = plan.lines().find(|l| l.starts_with("k8s-rotate prepare")).expect("prepare line");
    let command = first.split("   (").next().expect("command");
    // Walk the whole rotation by pasting what the tools print: the plan's first command, then
    // each step's `then:` line, and check each against the JSON and the audit's `next`.
    let mut next = command.to_string();
    for _ in 0..5 {
        let json_next = {
            let out = tool("k8s-rotate")
                .args(["status", "--format", "json", "--pki-dir"])
                .arg(&tree)
                .output()
                .expect("status");
            serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")["next"].clone()
        };
        if json_next.is_string() {
            assert_eq!(json_next.as_str(), Some(next.as_str()), "status JSON and the printed line differ");
            assert_eq!(audit_json(&tree).1["rotation"]["next"].as_str(), Some(next.as_str()));
        }
        let out = script_in(dir.path(), &next, &[]);
        assert!(out.status.success(), "{next}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        match text.lines().find_map(|l| l.strip_prefix("then: ")) {
            Some(then) => next = then.to_string(),
            None => break,
        }
    }
    assert!(next.starts_with("k8s-rotate finish"), "{next}");
    assert!(!dir.path().join("PWNED").exists() && !tree.join("PWNED").exists());
    let state: serde_json::Value = serde_json::from_str(&read(tree.join("pki/rotation.json"))).expect("state");
    assert_eq!(state["targets"]["ca"]["phase"], "done");
}

#[test]
fn a_file_swapped_for_a_link_while_the_audit_runs_is_never_read_through_it() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let (dir, tree) = copy_of_demo();
    make_ca(dir.path(), "outside", "outside-the-tree");
    let target = tree.join("pki/apiserver.crt");
    let real = tree.join("pki/.real.crt");
    std::fs::hard_link(&target, &real).expect("link");
    let stop = Arc::new(AtomicBool::new(false));
    let flipper = {
        let (stop, target, real, outside) =
            (stop.clone(), target.clone(), real.clone(), dir.path().join("outside.crt"));
        let tmp = tree.join("pki/.swap");
        std::thread::spawn(move || {
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let _ = std::fs::remove_file(&tmp);
                if flips.is_multiple_of(2) {
                    std::os::unix::fs::symlink(&outside, &tmp).expect("symlink");
                } else {
                    std::fs::hard_link(&real, &tmp).expect("hard link");
                }
                std::fs::rename(&tmp, &target).expect("swap");
                flips += 1;
                // The link stays a little longer than the file: audits meet both.
                if flips % 2 == 1 {
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }
            flips
        })
    };
    // Audits until one has met the link (bounded), and none may ever read through it.
    let (mut saw_link, mut audits, started) = (false, 0, std::time::Instant::now());
    while (audits < 10 || !saw_link) && started.elapsed() < std::time::Duration::from_secs(90) {
        let out = tool("k8s-verify").arg("--pki-dir").arg(&tree).args(["--format", "json"]).output().expect("audit");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("outside-the-tree"), "the audit read a file through a link out of the tree");
        saw_link |= text.contains("is a symbolic link out of the tree");
        audits += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let flips = flipper.join().expect("flipper");
    assert!(flips > 100 && saw_link, "the race was run ({flips} swaps, {audits} audits, a link seen: {saw_link})");
}
