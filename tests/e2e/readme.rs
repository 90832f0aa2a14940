//! The README as a test: its shell snippets run as written in a clean clone, with their results
//! checked, and both columns of its openssl/cfssl table run and compared.

use std::path::Path;

use crate::util::*;

#[test]
fn the_readmes_shell_snippets_run_as_written() {
    // Every ```sh block of the README, in order, in one scratch directory, after the quick
    // start's `make pki` (stood in for by the script it runs). Blocks that need a live cluster
    // are ```console blocks and are exercised by the csrapi tests instead.
    let readme = read(repo().join("README.md"));
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    assert!(blocks.len() >= 6, "found {} sh blocks", blocks.len());
    // From the root of a clone of this checkout, as a new user runs them; what they write must
    // be git-ignored, so the clone's status is what it was before them.
    let dir = scratch();
    let clone = dir.path().join("k8s-pki");
    let git = |args: &[&str], cwd: &Path| {
        let out = std::process::Command::new("git").args(args).current_dir(cwd).output().expect("git");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["clone", "--quiet", "--no-hardlinks", &s(&repo()), &s(&clone)], dir.path());
    // The README and .gitignore being tested are this checkout's, committed or not.
    for file in ["README.md", ".gitignore"] {
        std::fs::copy(repo().join(file), clone.join(file)).expect("copy");
    }
    let before = git(&["status", "--porcelain"], &clone);
    copy_demo_pki(&clone.join("cluster"));
    for block in blocks.iter().filter(|b| !b.trim_start().starts_with("make ")) {
        let out = script_in(&clone, block, &[]);
        assert!(out.status.success(), "README snippet failed:\n{block}\n{}", String::from_utf8_lossy(&out.stderr));
    }
    let after = git(&["status", "--porcelain"], &clone);
    assert_eq!(after, before, "the README's blocks wrote files git does not ignore");
    readme_results_hold(&clone);
}

/// What the README's blocks say they make, judged by openssl and the files themselves (kubectl
/// judges admin.conf when the scratch directory goes).
fn readme_results_hold(clone: &Path) {
    let ok = openssl_ok(clone, &["verify", "-CAfile", "pki/ca.crt", "pki/apiserver.crt", "alice.crt"]);
    assert_eq!(ok, "pki/apiserver.crt: OK\nalice.crt: OK\n");
    let alice = openssl_ok(clone, &["x509", "-in", "alice.crt", "-noout", "-subject", "-ext", "extendedKeyUsage"]);
    assert!(alice.contains("CN = alice") && alice.contains("O = dev") && alice.contains("O = ops"), "{alice}");
    assert!(alice.contains("TLS Web Client Authentication") && !alice.contains("Server"), "{alice}");
    // The renewal with --san 10.0.0.100 kept the old SANs and added it; each --force kept what
    // it replaced, and --renew kept the old kubeconfig.
    let sans = openssl_ok(clone, &["x509", "-in", "pki/apiserver.crt", "-noout", "-ext", "subjectAltName"]);
    assert!(sans.contains("IP Address:10.0.0.100") && sans.contains("DNS:kubernetes.default.svc"), "{sans}");
    let names: Vec<String> = ["pki", "."]
        .iter()
        .flat_map(|d| std::fs::read_dir(clone.join(d)).expect("dir").flatten())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for kept in ["apiserver.crt.bak-", "apiserver.key.bak-", "admin.conf.bak-"] {
        assert!(names.iter().any(|n| n.starts_with(kept)), "{kept}*: {names:?}");
    }
    // The rotated copy ends on its new CA: the old cluster CA no longer verifies its server.
    let new = openssl(clone, &["verify", "-CAfile", "rotated/pki/ca.crt", "rotated/pki/apiserver.crt"]);
    let old = openssl(clone, &["verify", "-CAfile", "cluster/pki/ca.crt", "rotated/pki/apiserver.crt"]);
    assert!(new.status.success() && !old.status.success(), "{}", String::from_utf8_lossy(&old.stdout));
    let served: serde_json::Value =
        serde_json::from_slice(&std::fs::read(clone.join("served.json")).expect("served")).expect("served.json");
    assert_eq!((served["status"].as_str(), served["client"]["accepted"].as_bool()), (Some("ok"), Some(true)));
    // The trust map of the dump kubectl made names the tree's CA, by openssl's digest of its key.
    let (code, out, _) =
        map(&[&clone.join("cluster/dump.json")], &["--pki-dir", &s(&clone.join("cluster")), "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(code, 0, "{out}");
    assert_eq!(report["cas"][0]["spki"], openssl_spki(&clone.join("cluster/pki/ca.crt")));
    assert_eq!(report["cas"][0]["consumers"][0]["namespace"], "team-a");
}

/// The code spans of each row of the README table under `heading`: (left, right).
fn table_rows(readme: &str, heading: &str) -> Vec<(String, String)> {
    let start = readme.find(heading).unwrap_or_else(|| panic!("README has no '{heading}'"));
    let mut rows = Vec::new();
    for line in readme[start..].lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')) {
        let line = line.replace("\\|", "\u{1}");
        let cells: Vec<String> = line.split('|').map(|c| c.trim().replace('\u{1}', "|")).collect();
        let span = |c: &str| c.strip_prefix('`').and_then(|c| c.strip_suffix('`')).map(str::to_string);
        if let (Some(l), Some(Some(right))) = (cells.get(1), cells.get(2).map(|r| span(r))) {
            rows.push((span(l).unwrap_or_default(), right));
        }
    }
    rows
}

#[test]
fn the_readmes_openssl_and_cfssl_table_runs_both_columns() {
    // Each cell runs in a fresh directory holding every file the table names as an input;
    // the files a cell writes are removed first (the tools never overwrite without --force).
    let readme = read(repo().join("README.md"));
    let rows = table_rows(&readme, "## From openssl and cfssl");
    assert!(rows.len() >= 10, "{rows:#?}");
    let setup = r#"
openssl genrsa -out x.key 2048 2>/dev/null
k8s-genkey | k8s-csr --profile ca --cn kubernetes --out ca
k8s-sign --self-sign --key ca.key --in ca.csr --cert-out ca.crt
cp ca.crt ca.pem && cp ca.key ca-key.pem
openssl req -new -key x.key -subj /CN=u/O=g -out x.csr
echo extendedKeyUsage=clientAuth > client.ext
k8s-sign --ca ca --usage client --in x.csr --cert-out x.crt
k8s-genkey --key-out sa.key
echo '{"CN":"u","key":{"algo":"ecdsa","size":256},"names":[{"O":"g"}]}' > x-csr.json
echo '{"CN":"root","key":{"algo":"ecdsa","size":256},"ca":{"expiry":"87600h","pathlen":1}}' > root-csr.json
echo '{"signing":{"default":{"expiry":"8760h"},"profiles":{"kubernetes":{"usages":["signing","key encipherment","client auth"],"expiry":"8760h"}}}}' > ca-config.json
"#;
    let writes = ["-out", "--key-out", "--csr-out", "--cert-out", "--pub-out"];
    for (theirs, ours) in &rows {
        for cell in [theirs, ours].into_iter().filter(|c| !c.is_empty()) {
            let dir = scratch();
            let words: Vec<&str> = cell.split_whitespace().collect();
            let mut outputs: Vec<String> =
                words.windows(2).filter(|w| writes.contains(&w[0])).map(|w| w[1].to_string()).collect();
            for i in words.iter().enumerate().filter(|(_, w)| ["-bare", "--bare"].contains(w)).map(|(i, _)| i) {
                let base = words.get(i + 1).expect("-bare NAME");
                outputs.extend([format!("{base}.pem"), format!("{base}-key.pem"), format!("{base}.csr")]);
            }
            let out = script_in(dir.path(), &format!("{setup}\nrm -f {}\n{cell}", outputs.join(" ")), &[]);
            assert!(
                out.status.success(),
                "README table cell failed:\n{cell}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let signs = cell.contains("gencert") || cell.contains("k8s-sign");
            for file in outputs.iter().filter(|f| f.ends_with(".crt") || (signs && f.as_str() == "x.pem")) {
                // Every certificate either column issues is one openssl accepts for its purpose.
                let purpose = if file.starts_with("ca") { "any" } else { "sslclient" };
                openssl_ok(dir.path(), &["verify", "-x509_strict", "-purpose", purpose, "-CAfile", "ca.crt", file]);
            }
            if outputs.iter().any(|f| f == "root.pem") {
                // A new root: it verifies as its own trust anchor, with the path length asked for.
                openssl_ok(dir.path(), &["verify", "-x509_strict", "-CAfile", "root.pem", "root.pem"]);
                let bc = openssl_ok(dir.path(), &["x509", "-in", "root.pem", "-noout", "-ext", "basicConstraints"]);
                assert!(bc.contains("CA:TRUE, pathlen:1"), "{cell}: {bc}");
            }
        }
    }
}
