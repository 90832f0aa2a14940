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
        ("ConfigMap n/half data.ca.crt", "a PEM block Go's encoding/pem does not read (it is skipped)"),
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

/// The map's verdicts on one dump: (exit code, the non-ok findings as "status object: message").
fn verdicts(dir: &Path, name: &str, items: Vec<Value>) -> (i32, Vec<String>, Value) {
    let file = write(dir, name, &list(items));
    let (code, out, err) = map(&[&file], &["--format", "json"]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{name}: {err}"));
    (code, non_ok_findings(&report), report)
}

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "n"}, "data": data})
}

#[test]
fn what_go_reads_is_what_the_map_reads() {
    let dir = scratch();
    let d = dir.path();
    let ca = String::from_utf8(ca_pem()).expect("pem");
    // A typed list as the API answers it: items without kind or apiVersion.
    let typed = json!({"kind": "ConfigMapList", "apiVersion": "v1", "items": [{"metadata": {"name": "t", "namespace": "n"}, "data": {"ca.crt": ca}}]});
    let file = write(d, "typed.json", &serde_json::to_vec(&typed).expect("json"));
    let (code, out, _) = map(&[&file], &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(serde_json::from_str::<Value>(&out).expect("json")["cas"].as_array().map(Vec::len), Some(1));
    // Other kinds are skipped unread, whatever their fields; a known kind of another group too.
    let (code, findings, report) = verdicts(
        d,
        "other.json",
        vec![
            json!({"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r", "namespace": "n"}, "data": {"spec": {}}, "revision": 1}),
            json!({"apiVersion": "example.com/v1", "kind": "ConfigMap", "metadata": {"name": "shadow", "namespace": "n", "labels": {"a": 1}}, "data": {"ca.crt": 5}}),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"}, "spec": {"volumes": [{"configMap": {"name": "shadow"}}]}}),
        ],
    );
    assert_eq!(code, 6);
    assert_eq!(findings, ["warn Pod n/p spec.volumes[0].configMap: ConfigMap n/shadow is not in the dump: unknown"]);
    assert!(
        report["findings"].to_string().contains("2 objects of other kinds skipped (ConfigMap, ControllerRevision)")
    );
    // Go's PEM and base64: CRLF and line-wrapped base64 read; an indented or one-line PEM is not.
    let wrapped: String =
        base64_encode(ca.as_bytes()).as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c) + "\n").collect();
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: |\n{}  name: c\n",
        wrapped.lines().map(|l| format!("      {l}\n")).collect::<String>()
    );
    let (code, findings, report) = verdicts(
        d,
        "go.json",
        vec![
            cm("crlf", json!({"ca.crt": ca.replace('\n', "\r\n")})),
            cm("kc", json!({"kubeconfig": kubeconfig})),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bin", "namespace": "n"}, "binaryData": {"ca.crt": wrapped}}),
            cm("indented", json!({"ca.crt": format!("  {ca}")})),
            cm("one-line", json!({"ca.crt": ca.replace('\n', " ")})),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        findings,
        [
            "fail ConfigMap n/indented data.ca.crt: holds no PEM certificate",
            "fail ConfigMap n/one-line data.ca.crt: a PEM block Go's encoding/pem does not read (it is skipped)",
        ]
    );
    assert_eq!(report["cas"][0]["consumers"].as_array().map(Vec::len), Some(3), "crlf, kc, bin");
}

#[test]
fn keys_are_judged_where_they_are_and_nothing_of_a_secret_is_shown() {
    let dir = scratch();
    let d = dir.path();
    let pki = demo_pki().join("pki");
    let text = |f: &str| String::from_utf8(std::fs::read(pki.join(f)).expect("r")).expect("pem");
    let haproxy = format!("{}{}{}", text("apiserver.crt"), text("ca.crt"), text("apiserver.key"));
    let secret = |name: &str, data: Value| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "n"}, "data": data});
    let leaf = text("apiserver.crt");
    let sekrit = format!("-----BEGIN SEKRIT-LABEL-----\nAAAA\n-----END SEKRIT-LABEL-----\n{leaf}");
    let kc_path = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /SEKRIT-PATH/ca.crt\n  name: c\n";
    let values = "replicaCount: 1\nclusters:\n  - name: a\nkind: ConfigMapSEKRIT\n";
    let (code, findings, report) = verdicts(
        d,
        "keys.json",
        vec![
            secret("haproxy", json!({"haproxy.pem": base64_encode(haproxy.as_bytes())})),
            secret(
                "odd",
                json!({"ca.crt": base64_encode(sekrit.as_bytes()), "kubeconfig": base64_encode(kc_path.as_bytes()), "values.yaml": base64_encode(values.as_bytes())}),
            ),
            cm(
                "admin",
                json!({"kubeconfig": String::from_utf8(std::fs::read(demo_pki().join("admin.conf")).expect("r")).expect("yaml")}),
            ),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        findings,
        [
            "fail ConfigMap n/admin data.kubeconfig: a private key in a ConfigMap, which is not secret",
            "warn Secret n/odd data.ca.crt: a certificate that is not a CA: not entered in the map",
            "warn Secret n/odd data.ca.crt: a PEM block that is not a certificate, in a trust field",
        ]
    );
    let all = report.to_string();
    assert!(!all.contains("SEKRIT") && !all.contains("kube-apiserver"), "{all}");
    for args in [&["-v"][..], &["-v", "--explain"][..]] {
        let (_, out, err) = map(&[&d.join("keys.json")], args);
        assert!(!out.contains("SEKRIT") && !err.contains("SEKRIT"), "{out}{err}");
    }
}

#[test]
fn exactly_the_item_bound_is_read_and_flags_that_mean_nothing_here_are_refused() {
    let dir = scratch();
    let items = format!(
        "{{\"kind\":\"List\",\"items\":[{}]}}",
        vec![r#"{"kind":"A","metadata":{"name":"x"}}"#; 200_000].join(",")
    );
    let file = write(dir.path(), "bound.json", items.as_bytes());
    let (code, out, err) = map(&[&file], &[]);
    assert_eq!(code, 0, "{out}{err}");
    for flag in [
        &["--at", "2040-01-01"][..],
        &["--warn-within", "1y"],
        &["--service-cidr", "10.1.0.0/16"],
        &["--dns-domain", "x.local"],
    ] {
        let (code, _, err) = map(&[&file], flag);
        assert_eq!(code, 2, "{flag:?}: {err}");
        assert!(err.contains("cannot be used with") && err.contains(flag[0]), "{err}");
    }
}

#[test]
fn a_secret_that_does_not_parse_says_nothing_of_where_and_names_stay_whole() {
    let dir = scratch();
    let d = dir.path();
    // A member after the token that breaks the Secret: no position (it would tell the token's length).
    for (name, token) in [("short.json", "x".repeat(10)), ("long.json", "x".repeat(1000))] {
        let raw = format!(
            r#"{{"kind":"List","items":[{{"apiVersion":"v1","kind":"Secret","metadata":{{"name":"s","namespace":"n"}},"data":{{"token":"{token}"}},"type":7}}]}}"#
        );
        let (code, out, _) = map(&[&write(d, name, raw.as_bytes())], &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("FAIL Secret n/s: its fields do not have a Secret's types: not read"), "{out}");
        assert!(!out.contains("column") && !out.contains("line "), "{out}");
    }
    // A kubeconfig naming a CA file: the finding keeps the object's and key's names as they are.
    let kc = "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /x/ca.crt\n  name: c\n";
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app-data-creds", "namespace": "team-data"},
        "data": {"my-data.conf": base64_encode(kc.as_bytes())}});
    let (_, out, _) = map(&[&write(d, "kc.json", &list(vec![secret]))], &["-v"]);
    assert!(out.contains("ok Secret team-data/app-data-creds data.my-data.conf:clusters[0].cluster.certificate-authority: names a file: not followed"), "{out}");
}
