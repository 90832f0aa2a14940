//! Every example of every `--help` (and so of every man page's EXAMPLES, rendered from the same
//! data) runs as written. The examples are read from the help text itself, rendered for an
//! 80-column terminal: a command wrapped mid-line would break there. Each tool's examples run
//! in order in one scratch directory that holds the files they name; what they cannot have
//! here is stood in for: `/etc/kubernetes` is a copy of the demo tree, the endpoints they
//! connect to are `openssl s_server`s on loopback ports, `kubectl apply` talks to the Go API
//! server stand-in (without client-side validation: it serves no OpenAPI document), and a day passes (in rotation.json) before the SA key's soak gate.

use std::path::Path;

use crate::util::*;

/// The examples of `tool --help`: (what, command).
fn examples(tool_name: &str) -> Vec<(String, String)> {
    let out = tool(tool_name).arg("--help").env("COLUMNS", "80").output().expect("--help");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut list: Vec<(String, String)> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line == "Examples:" {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if line.is_empty() {
            break;
        }
        // clap wraps what is wider than the terminal, so an example line stays narrower.
        assert!(line.chars().count() <= 78, "{tool_name} --help: an example line wider than 78 columns: {line}");
        let line = line.strip_prefix("  ").unwrap_or_else(|| panic!("{tool_name}: not indented: {line}"));
        match (line.strip_prefix("# "), list.last_mut()) {
            (Some(what), _) => list.push((what.to_string(), String::new())),
            (None, Some((_, command))) => {
                assert!(command.is_empty() || command.ends_with('\\'), "{tool_name}: a command wraps: {command}");
                if !command.is_empty() {
                    command.push('\n');
                }
                command.push_str(line);
            }
            (None, None) => panic!("{tool_name}: a command before its comment: {line}"),
        }
    }
    assert!(list.len() >= 5 && list.iter().all(|(_, c)| !c.is_empty()), "{tool_name}: {list:#?}");
    list
}

/// Runs `script` in `dir` (see [`script_in`]), which must succeed.
fn bash(dir: &Path, script: &str, env: &[(&str, String)]) {
    let out = script_in(dir, script, env);
    assert!(
        out.status.success(),
        "failed in {}:\n{script}\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs each example of `tool_name` in `dir`, after `setup`; `/etc/kubernetes` and the other
/// words of `replace` become their stand-ins; `before` runs a snippet before the example whose
/// command contains its key. Then what the examples wrote is judged by openssl (see [`judge`]).
fn run_all(tool_name: &str, dir: &Path, replace: &[(&str, String)], before: &[(&str, &str)], env: &[(&str, String)]) {
    run_each(tool_name, dir, replace, before, env);
    judge(tool_name, dir);
}

/// Every certificate, key and CSR file under `dir` read by openssl (each certificate of a
/// bundle, a CSR's signature verified), and every private key 0600: the examples' results
/// judged by an implementation independent of ours, not only their exit status.
fn judge(tool_name: &str, dir: &Path) {
    let script = r#"set -e
n=0
while IFS= read -r -d '' f; do
  case "$f" in
    *.crt) openssl crl2pkcs7 -nocrl -certfile "$f" | openssl pkcs7 -print_certs -noout >/dev/null ;;
    *.csr) openssl req -in "$f" -verify -noout 2>/dev/null ;;
    *.key) openssl pkey -in "$f" -noout
           m=$(stat -c %a "$f"); [ "$m" = 600 ] || { echo "$f: mode $m" >&2; exit 1; } ;;
    *) continue ;;
  esac || { echo "$f: openssl refuses it" >&2; exit 1; }
  n=$((n + 1))
done < <(find . -type f \( -name '*.crt' -o -name '*.csr' -o -name '*.key' \) ! -path '*/backup-*' -print0)
echo "$n"
"#;
    let out = script_in(dir, script, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool_name}'s examples wrote a file openssl refuses: {err}");
    let judged: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    assert!(judged > 0, "{tool_name}: no certificate, key or CSR to judge in {}", dir.display());
}

fn run_each(tool_name: &str, dir: &Path, replace: &[(&str, String)], before: &[(&str, &str)], env: &[(&str, String)]) {
    for (what, command) in examples(tool_name) {
        if let Some((_, snippet)) = before.iter().find(|(key, _)| command.contains(key)) {
            bash(dir, snippet, env);
        }
        let mut script = command.clone();
        for (word, by) in replace {
            script = script.replace(word, by);
        }
        eprintln!("{tool_name}: # {what}\n{script}");
        bash(dir, &script, env);
    }
}

/// A copy of the demo tree at `dir/etc-kubernetes`, returned as the stand-in for /etc/kubernetes.
fn etc_kubernetes(dir: &Path) -> (&'static str, String) {
    let tree = dir.join("etc-kubernetes");
    copy_demo_pki(&tree);
    ("/etc/kubernetes", s(&tree))
}

const CA: &str = "k8s-genkey | k8s-csr --profile ca --cn kubernetes | k8s-sign --self-sign --out pki/ca";

#[test]
fn genkey_and_csr_help_examples_run_as_written() {
    let dir = scratch();
    let d = dir.path();
    bash(d, &format!("{CA}\nk8s-genkey --key-out sa.key\nk8s-genkey --key-out k.key"), &[]);
    run_all("k8s-genkey", d, &[], &[], &[]);

    // k8s-csr: the CA is its first example; `kubectl apply` goes to the stand-in API server.
    let dir = scratch();
    let d = dir.path();
    let cluster = demo_pki();
    let (_server, addr) = start_apiserver(
        &cluster.join("pki/apiserver.crt"),
        &cluster.join("pki/apiserver.key"),
        &cluster.join("pki/ca.crt"),
    );
    let kubeconfig = d.join("kube.conf");
    std::fs::copy(cluster.join("admin.conf"), &kubeconfig).expect("copy admin.conf");
    let set = format!(
        "kubectl --kubeconfig kube.conf config set-cluster kubernetes --server https://{addr} --tls-server-name kubernetes"
    );
    // The scripts run the kubectl on PATH.
    require("kubectl", "kubectl (it comes with the machine image)");
    bash(d, &format!("{set} >/dev/null\nk8s-genkey --key-out node.key"), &[]);
    // The stand-in serves no OpenAPI document for kubectl's client-side validation.
    let no_openapi = [("kubectl apply -f -", "kubectl apply --validate=false -f -".to_string())];
    run_all("k8s-csr", d, &no_openapi, &[], &[("KUBECONFIG", s(&kubeconfig))]);
    assert!(d.join("alice.key").exists() && d.join("node.csr").exists());
}

#[test]
fn sign_and_kubeconfig_help_examples_run_as_written() {
    let dir = scratch();
    let d = dir.path();
    bash(
        d,
        "k8s-genkey | k8s-csr --profile apiserver --node-name node-1 --advertise-address 10.0.0.10 --csr-out apiserver.csr >/dev/null
k8s-genkey | k8s-csr --cn alice --org dev --csr-out alice.csr >/dev/null
mkdir -p node/pki csrs
k8s-genkey | k8s-csr --profile apiserver --node-name node-1 --advertise-address 10.0.0.10 --no-usages --out node/pki/apiserver
k8s-genkey | k8s-csr --profile admin --no-usages --out node/admin.conf
for u in a b; do k8s-genkey | k8s-csr --cn $u --csr-out csrs/$u.csr >/dev/null; done",
        &[],
    );
    run_all("k8s-sign", d, &[], &[], &[]);
    assert!(d.join("node/admin.conf.crt").exists() && d.join("certs.pem").exists());

    let dir = scratch();
    let d = dir.path();
    let etc = etc_kubernetes(d);
    bash(
        d,
        &format!(
            "{CA}
k8s-genkey | k8s-csr --profile kubelet --node-name node-1 | k8s-sign --ca pki/ca --out kubelet
k8s-genkey | k8s-csr --cn alice --usage client | k8s-sign --ca pki/ca > alice.pem
mkdir -p home/.kube && cp etc-kubernetes/admin.conf home/.kube/config"
        ),
        &[],
    );
    run_all("k8s-kubeconfig", d, &[etc], &[], &[("HOME", s(&d.join("home")))]);
    assert!(read(d.join("config.new")).contains("alice"));
}

/// connect.rs's `openssl s_server` serving `cert`, asking for a client certificate from
/// `client_ca`: required (as etcd with --client-cert-auth) or optional (as kube-apiserver).
fn s_server(dir: &Path, cert: &str, key: &str, client_ca: &str, required: bool) -> (Daemon, String) {
    let ask = if required { ["-Verify", "1", "-verify_return_error"].as_slice() } else { ["-verify", "1"].as_slice() };
    let args: Vec<&str> = ["-cert", cert, "-key", key, "-CAfile", client_ca].iter().chain(ask).copied().collect();
    crate::util::s_server(dir, &args)
}

#[test]
fn verify_and_rotate_help_examples_run_as_written() {
    // k8s-verify on a node: the working directory is /etc/kubernetes.
    let dir = scratch();
    let d = dir.path().join("node");
    copy_demo_pki(&d);
    let (_api, api) = s_server(&d, "pki/apiserver.crt", "pki/apiserver.key", "pki/ca.crt", false);
    let (_etcd, etcd) = s_server(&d, "pki/etcd/server.crt", "pki/etcd/server.key", "pki/etcd/ca.crt", true);
    let replace = [("/etc/kubernetes", s(&d)), ("10.0.0.10:6443", api), ("127.0.0.1:2379", etcd)];
    // kubectl get dumps the stand-in API server's objects: the node's kube-root-ca.crt and a webhook.
    let ca = std::fs::read(d.join("pki/ca.crt")).expect("ca");
    let objects = [
        configmap("team-a", "kube-root-ca.crt", &[("ca.crt", &d.join("pki/ca.crt"))]),
        validating_webhook("policy", Some(&ca)),
    ];
    let (_cluster, kubeconfig) = serve_objects(dir.path(), &objects);
    run_all("k8s-verify", &d, &replace, &[], &[("KUBECONFIG", s(&kubeconfig))]);
    assert!(read(d.join("pki.dot")).starts_with("digraph"));
    let webhooks: serde_json::Value = serde_json::from_str(&read(d.join("webhooks.json"))).expect("kubectl's JSON");
    assert_eq!(webhooks["items"][0]["metadata"]["name"], "policy", "the example dumped the stand-in's webhook");

    let dir = scratch();
    let d = dir.path();
    let etc = etc_kubernetes(d);
    let tree = etc.1.clone();
    let fresh = format!("rm -rf '{tree}' && cp -a '{}' '{tree}'", s(demo_pki()));
    let day_later = format!(
        "jq '.targets.sa.signingSince = \"2000-01-01T00:00:00Z\"' '{tree}/pki/rotation.json' > r.json && mv r.json '{tree}/pki/rotation.json'"
    );
    let fresh_prepared = format!("{fresh} && k8s-rotate prepare --pki-dir '{tree}' --all >/dev/null");
    let before =
        [("distrust", day_later.as_str()), ("rollback", fresh_prepared.as_str()), ("--target etcd-ca", fresh.as_str())];
    run_all("k8s-rotate", d, &[etc], &before, &[]);
}

/// The unfilled (`.nf` … `.fi`) blocks of a man page's section, as text.
fn man_blocks(page: &str, section: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut in_section = false;
    let mut current: Option<String> = None;
    for line in page.lines() {
        if let Some(name) = line.strip_prefix(".SH ") {
            in_section = name.trim_matches('"') == section;
            continue;
        }
        match (in_section, line, &mut current) {
            (true, ".nf", None) => current = Some(String::new()),
            (_, ".fi", Some(b)) => {
                blocks.push(std::mem::take(b));
                current = None;
            }
            (_, text, Some(b)) => {
                b.push_str(&text.replace("\\-", "-").replace("\\\\", "\\").replace("\\(aq", "'"));
                b.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn the_overview_pages_commands_run_as_written() {
    // k8s-pki(7): the cluster PKI block in an empty directory, the "is it being served" block on
    // a node tree with stand-in servers (its openssl/cfssl table is the README's, run there).
    let page = read(repo().join("man/k8s-pki.7"));
    let pki = man_blocks(&page, "EXAMPLE: A CLUSTER PKI");
    assert_eq!(pki.len(), 1, "{page}");
    let dir = scratch();
    bash(dir.path(), &pki[0], &[]);
    assert!(dir.path().join("pki/sa.pub").exists() && dir.path().join("pki/etcd/server.crt").exists());

    let served = man_blocks(&page, "IS IT BEING SERVED?");
    assert_eq!(served.len(), 1, "{page}");
    let dir = scratch();
    let d = dir.path().join("node");
    copy_demo_pki(&d);
    let (_api, api) = s_server(&d, "pki/apiserver.crt", "pki/apiserver.key", "pki/ca.crt", false);
    let (_etcd, etcd) = s_server(&d, "pki/etcd/server.crt", "pki/etcd/server.key", "pki/etcd/ca.crt", true);
    // admin.conf names the API server by the address the node would have.
    let set = format!(
        "kubectl --kubeconfig admin.conf config set-cluster kubernetes --server https://{api} --tls-server-name kubernetes >/dev/null"
    );
    // The scripts run the kubectl on PATH.
    require("kubectl", "kubectl (it comes with the machine image)");
    bash(&d, &set, &[]);
    let script =
        served[0].replace("/etc/kubernetes", &s(&d)).replace("10.0.0.10:6443", &api).replace("127.0.0.1:2379", &etcd);
    bash(&d, &script, &[]);
}

/// A second `make pki` into a tree that holds a PKI stops with a hint instead of failing on the
/// first file that exists; FORCE=1 moves the old tree aside (kept, said) and builds a new one.
#[test]
fn make_pki_again_says_how_and_force_keeps_the_old_tree() {
    let (_dir, tree) = copy_of_demo();
    let ca = read(tree.join("pki/ca.crt"));
    let run = |force: &str| {
        std::process::Command::new("bash")
            .arg(repo().join("examples/kubeadm-pki.sh"))
            .arg(&tree)
            .arg("node-1")
            .arg("10.0.0.10")
            .env("PATH", format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default()))
            .env("FORCE", force)
            .output()
            .expect("bash")
    };
    let out = run("");
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already holds a PKI") && err.contains("make pki FORCE=1"), "{err}");
    assert_eq!(read(tree.join("pki/ca.crt")), ca, "untouched");
    let out = run("1");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let old = err.lines().find_map(|l| l.strip_prefix("kubeadm-pki: the old PKI is now ")).expect("said where");
    assert_eq!(read(std::path::Path::new(old).join("pki/ca.crt")), ca, "the old tree is kept whole");
    assert_ne!(read(tree.join("pki/ca.crt")), ca, "a new CA");
    run_ok("k8s-verify", &["--pki-dir", &s(&tree), "--node-name", "node-1"], b"");
}
