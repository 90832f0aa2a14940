//! k8s-verify --pki-dir's fix lines: for every defect of a broken tree, the printed fix runs in
//! bash as printed and rewrites only the broken file (and its pair), after which the tree audits
//! clean.

use crate::audit::{DEFECTS, file, sh};
use crate::util::*;

/// The files a fix of the report entry `path` may rewrite: the certificate and its key, the
/// kubeconfig, or the service-account pair.
fn pair_of(path: &str) -> Vec<String> {
    match path.strip_suffix(".crt") {
        Some(stem) => vec![path.to_string(), format!("{stem}.key")],
        None if path.ends_with("sa.key") => vec!["pki/sa.key".into(), "pki/sa.pub".into()],
        None => vec![path.to_string()],
    }
}

#[test]
fn every_fix_line_runs_as_printed_and_touches_only_the_broken_file() {
    let extra: &[(&str, &str)] = &[
        ("sa.key readable by others", "chmod 644 pki/sa.key"),
        ("admin.conf readable by others", "chmod 644 admin.conf"),
        ("sa.pub missing", "rm pki/sa.pub"),
        ("a leaf missing", "rm pki/front-proxy-client.crt pki/front-proxy-client.key"),
    ];
    let cases = DEFECTS.iter().map(|(what, break_it, ..)| (*what, *break_it)).chain(extra.iter().copied());
    for (what, break_it) in cases {
        let (_keep, out) = copy_of_demo();
        sh(&out, break_it);
        let before = file_contents(&out);
        let (code, v) = audit_json(&out);
        assert_ne!(code, 0, "{what}: the audit saw nothing");
        let broken: Vec<&serde_json::Value> = v["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter(|f| f["status"] == "fail" || f["status"] == "missing")
            .collect();
        let mut allowed = Vec::new();
        let mut fixes = Vec::new();
        for f in &broken {
            allowed.extend(pair_of(f["path"].as_str().expect("path")));
            let fix = f["fix"].as_str().unwrap_or_else(|| panic!("{what}: no fix for {f:#}"));
            fixes.push(fix.to_string());
        }
        for fix in &fixes {
            assert!(!fix.contains("--profile ca ") && !fix.contains("k8s-sign --self-sign"), "{what}: a new CA: {fix}");
            sh(&out, fix);
        }
        let (code, v) = audit_json(&out);
        assert_eq!(code, 0, "{what}: after {fixes:?}: {v:#}");
        let after = file_contents(&out);
        let chmod_only = fixes.iter().all(|f| f.starts_with("chmod 600 "));
        for (path, bytes) in &before {
            if chmod_only || !allowed.contains(path) {
                assert_eq!(after.get(path), Some(bytes), "{what}: {fixes:?} changed {path}");
            }
        }
    }
    // A load-balancer SAN beyond kubeadm's survives the fix of a missing one.
    let (_keep, out) = copy_of_demo();
    sh(
        &out,
        "k8s-genkey | k8s-csr --profile apiserver --node-name node-1 --advertise-address 10.0.0.10 --san lb.example | k8s-sign --ca pki/ca --out pki/apiserver --force",
    );
    sh(
        &out,
        "k8s-genkey | k8s-csr --from-cert pki/apiserver.crt --cn kube-apiserver | k8s-sign --ca pki/front-proxy-ca --out pki/apiserver --force",
    );
    let (_, v) = audit_json(&out);
    let fix = file(&v, "pki/apiserver.crt")["fix"].as_str().expect("fix").to_string();
    assert!(fix.contains("--san lb.example"), "{fix}");
    sh(&out, &fix);
    let text = openssl_ok(&out, &["x509", "-in", "pki/apiserver.crt", "-noout", "-ext", "subjectAltName"]);
    assert!(text.contains("DNS:lb.example"), "{text}");
    assert_eq!(audit_json(&out).0, 0);
}
