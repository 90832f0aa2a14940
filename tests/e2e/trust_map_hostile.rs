//! Hostile cluster dumps: every bound refused in one line naming it (exit 3) without reading
//! further, bad fields failed with the rest of the map still printed (exit 1), names with
//! control characters escaped in text and JSON alike, and the flags' own misuse (exit 2).

use std::path::Path;

use serde_json::{Value, json};

use crate::util::*;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn one_line_exit_3(dir: &Path, name: &str, bytes: &[u8], says: &str) {
    let file = write(dir, name, bytes);
    let (code, out, err) = map(&[&file], &[]);
    assert_eq!(code, 3, "{name}: {err}");
    assert!(out.is_empty(), "{name}: nothing on stdout: {out}");
    assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
    assert!(err.contains(says), "{name}: {err}");
}

fn ca_pem() -> Vec<u8> {
    std::fs::read(demo_pki().join("pki/ca.crt")).expect("ca")
}

fn list(items: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"apiVersion": "v1", "kind": "List", "items": items})).expect("json")
}

#[test]
fn every_bound_and_wrong_format_is_one_line_exit_3() {
    let dir = scratch();
    let d = dir.path();
    let mut big = b"{\"kind\":\"List\",\"items\":[],\"x\":\"".to_vec();
    big.resize(64 * 1024 * 1024 + 1, b'a');
    one_line_exit_3(d, "big.json", &big, "larger than 64 MiB");
    let deep = format!(
        "{{\"kind\":\"List\",\"items\":[{{\"kind\":\"ConfigMap\",\"x\":{}1{}}}]}}",
        "[".repeat(129),
        "]".repeat(129)
    );
    one_line_exit_3(d, "deep.json", deep.as_bytes(), "deeper than 128 levels");
    let many = format!("{{\"kind\":\"List\",\"items\":[{}]}}", vec!["{}"; 200_001].join(","));
    one_line_exit_3(d, "many.json", many.as_bytes(), "more than 200000 items");
    one_line_exit_3(d, "yaml.json", b"apiVersion: v1\nkind: List\nitems: []\n", "YAML is refused");
    one_line_exit_3(
        d,
        "two.json",
        b"{\"kind\":\"List\",\"items\":[]}\n{\"kind\":\"List\",\"items\":[]}\n",
        "more than one JSON document",
    );
    one_line_exit_3(d, "empty.json", b"", "empty");
    let huge = base64_encode(&vec![b'a'; 1024 * 1024 + 10]);
    let field = list(vec![
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "data": {"ca.crt": huge}}),
    ]);
    one_line_exit_3(d, "field.json", &field, "larger than 1 MiB");
    let blocks = "-----BEGIN X-----\n-----END X-----\n".repeat(1001);
    let many_blocks = list(vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n"}, "data": {"ca.crt": blocks}}),
    ]);
    one_line_exit_3(d, "blocks.json", &many_blocks, "more than 1000 PEM blocks");
}

#[test]
fn the_dumps_together_are_bounded_and_stdin_is_read_once() {
    let dir = scratch();
    let ok = write(dir.path(), "ok.json", &list(vec![]));
    let out = tool("k8s-verify")
        .args(["--cluster-dump", "-", "--cluster-dump", "-"])
        .write_stdin(list(vec![]))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can be given once"));
    let out = tool("k8s-verify")
        .args(["--cluster-dump", "-", "--format", "json"])
        .write_stdin(list(vec![]))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report, json!({"cas": [], "findings": []}));
    // A file of a mode that asks for something else is a usage error naming both.
    let (code, _, err) = map(&[&ok], &["--expiry"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--expiry goes with --pki-dir, not with --cluster-dump"), "{err}");
    let (code, _, err) = map(&[&ok], &["--ca-cert", "x.crt"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--cluster-dump") && err.contains("--ca-cert"), "{err}");
}

#[test]
fn bad_fields_fail_with_the_rest_of_the_map_printed() {
    let dir = scratch();
    let ca = ca_pem();
    let objects = list(vec![
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
               "metadata": {"name": "bad-base64"}, "webhooks": [{"name": "a.b.c", "clientConfig": {"caBundle": "%%%not base64", "url": "https://x"}}]}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "half", "namespace": "n"},
               "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "junk", "namespace": "n"},
               "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "good", "namespace": "n"},
               "data": {"ca.crt": String::from_utf8_lossy(&ca)}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "anchored", "namespace": "n"},
               "data": {"kubeconfig": "kind: Config\nclusters: &c\n- cluster: {}\nx: *c\n"}}),
    ]);
    let file = write(dir.path(), "dump.json", &objects);
    let (code, out, _) = map(&[&file], &["--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["cas"].as_array().map(Vec::len), Some(1), "the good ConfigMap is still mapped");
    let failed: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("an array")
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            (f["object"].as_str().expect("a string").to_string(), f["message"].as_str().expect("a string").to_string())
        })
        .collect();
    let want = [
        ("ConfigMap n/anchored data.kubeconfig", "a kubeconfig with YAML anchors, aliases or tags: not read"),
        ("ConfigMap n/half data.ca.crt", "bad PEM: a BEGIN line without its END line"),
        ("ConfigMap n/junk data.ca.crt", "a certificate that cannot be parsed"),
        (
            "ValidatingWebhookConfiguration bad-base64 webhooks[0].clientConfig.caBundle",
            "not base64: the field cannot be read",
        ),
    ];
    let want: Vec<(String, String)> = want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(failed, want);
}

#[test]
fn control_characters_in_names_are_escaped_in_text_and_json() {
    let dir = scratch();
    let hostile = "evil\u{1b}[31m\u{7f}\u{9b}\u{202e}name";
    let objects = list(vec![
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": hostile, "namespace": "n\u{7}s"},
        "data": {"ca\u{1b}.crt": String::from_utf8_lossy(&ca_pem())}}),
    ]);
    let file = write(dir.path(), "dump.json", &objects);
    for args in [&[][..], &["--format", "json"][..], &["-v", "--explain"][..]] {
        let out = tool("k8s-verify").arg("--cluster-dump").arg(&file).args(args).output().expect("runs");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            let raw = text.chars().find(|c| (c.is_control() && *c != '\n') || ('\u{202a}'..='\u{202e}').contains(c));
            assert_eq!(raw, None, "{args:?} wrote a raw control character: {text:?}");
        }
        if args.is_empty() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("ConfigMap n\\x07s/evil\\x1b[31m\\x7f\\x9b\\u{202e}name data.ca\\x1b.crt"), "{text}");
        }
        if args.first() == Some(&"--format") {
            let report: Value = serde_json::from_slice(&out.stdout).expect("json");
            assert_eq!(report["cas"][0]["consumers"][0]["name"], hostile, "JSON keeps the value, escaped");
        }
    }
}
