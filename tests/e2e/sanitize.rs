//! No raw control characters, bidi overrides or invisible characters from input reach a
//! terminal: every human-readable output path (inspection, checks, the audit and expiry
//! table, the signer's verdicts, the graph, --explain, warnings and errors) is fed hostile
//! certificate fields, PEM labels, file names and directory names.

use std::path::Path;

use crate::util::*;

/// ESC (escape sequences, OSC 52 clipboard writes), BEL, the C1 CSI, a right-to-left
/// override and a zero-width space.
const HOSTILE: &str = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}\u{200b}";

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> =
        text.chars().filter(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{202e}' | '\u{200b}')).collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in:\n{}", text.escape_debug());
}

/// Runs a command whose stdout and stderr are both for people.
fn run(what: &str, dir: &Path, bin: &str, args: &[&str], stdin: &[u8]) {
    let out = tool(bin).args(args).current_dir(dir).write_stdin(stdin.to_vec()).output().expect("runs");
    assert_clean(&format!("{what} (stdout)"), &out.stdout);
    assert_clean(&format!("{what} (stderr)"), &out.stderr);
}

/// Runs a command whose stdout is data (PEM, YAML: escaped as their formats say): only
/// stderr is for people.
fn run_data(what: &str, dir: &Path, bin: &str, args: &[&str], stdin: &[u8]) {
    let out = tool(bin).args(args).current_dir(dir).write_stdin(stdin.to_vec()).output().expect("runs");
    assert!(!out.stderr.is_empty(), "{what}: --explain said something");
    assert_clean(&format!("{what} (stderr)"), &out.stderr);
}

#[test]
fn hostile_text_never_reaches_a_terminal_raw() {
    let dir = scratch();
    let d = dir.path();
    make_ca(d, "ca", "kubernetes");
    let cn = format!("alice{HOSTILE}");
    let org = format!("dev{HOSTILE}");
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--cn", &cn, "--org", &org, "--usage", "client", "--key-out", "/dev/null"], &key);
    let csr = blocks_of(&csr, "CERTIFICATE REQUEST").concat();
    let ca = s(&d.join("ca"));
    let cert = run_ok("k8s-sign", &["--ca", &ca, "--usage", "client"], csr.as_bytes());
    let cert = blocks_of(&cert, "CERTIFICATE").concat();
    std::fs::write(d.join("evil.crt"), &cert).expect("write");
    let hostile_name = format!("f{HOSTILE}.crt");
    std::fs::write(d.join(&hostile_name), &cert).expect("write");
    std::fs::write(d.join("label.pem"), format!("-----BEGIN X{HOSTILE}-----\nAAEC\n-----END X{HOSTILE}-----\n"))
        .expect("write");

    run("inspect", d, "k8s-verify", &["evil.crt"], b"");
    run("inspect a hostile file name", d, "k8s-verify", &[&hostile_name], b"");
    run("check", d, "k8s-verify", &["--ca-cert", "ca.crt", "--cn", "bob", "--explain", "evil.crt"], b"");
    run("check, verbose", d, "k8s-verify", &["--ca-cert", "ca.crt", "-v", &hostile_name], b"");
    run_data("sign --explain", d, "k8s-sign", &["--ca", "ca", "--usage", "client", "--explain"], csr.as_bytes());
    run_data("csr --explain", d, "k8s-csr", &["--cn", &cn, "--explain", "--key-out", "/dev/null"], &key);
    let creds = format!("{}{cert}", String::from_utf8_lossy(&key));
    run_data(
        "kubeconfig --explain",
        d,
        "k8s-kubeconfig",
        &["--ca-cert", "ca.crt", "--server", "https://h:6443", "--explain"],
        creds.as_bytes(),
    );
    run("signer verdict", d, "k8s-verify", &["--signer", "kubernetes.io/kube-apiserver-client"], csr.as_bytes());
    run("a hostile PEM label", d, "k8s-verify", &["label.pem"], b"");
    run("a hostile PEM label as a key", d, "k8s-csr", &["--key", "label.pem", "--cn", "x"], b"");
    run("a hostile missing file", d, "k8s-verify", &[&format!("missing{HOSTILE}")], b"");
    run("a hostile CA file", d, "k8s-verify", &["--ca-cert", &hostile_name, "evil.crt"], b"");

    // A tree copied off a node, with a hostile node directory.
    let (_keep, tree) = copy_of_demo();
    let node = tree.join("nodes").join(format!("n{HOSTILE}"));
    std::fs::create_dir_all(node.join("pki")).expect("node dir");
    std::fs::copy(tree.join("nodes/node-2/pki/kubelet.crt"), node.join("pki/kubelet.crt")).expect("copy");
    let t = s(&tree);
    run("audit", d, "k8s-verify", &["--pki-dir", &t, "--verbose"], b"");
    run("expiry table", d, "k8s-verify", &["--pki-dir", &t, "--expiry"], b"");
    run("graph", d, "k8s-verify", &["--pki-dir", &t, "--graph", "dot"], b"");
}
