//! The `k8s-pki(7)` overview page: the stream contract, exit codes and the full-PKI example.

use clap_mangen::roff::{Roff, bold, roman};

const STREAM: &[&str] = &[
    "Every command reads its main input from stdin when no file is named (- also means stdin) and writes to stdout. \
     The stream is a sequence of PEM blocks; each command acts on the blocks it is for and passes the others through \
     untouched, so a private key travels with its CSR, then with its certificate, to the end of the pipe.",
    "k8s-genkey writes a key. k8s-csr reads keys and writes each key followed by its CSR. k8s-sign turns every CSR into \
     a certificate, in order (many CSRs in, as many certificates out), and passes the keys on.",
    "--out PREFIX writes the stream into PREFIX.key (mode 0600 whatever the umask), PREFIX.csr, PREFIX.crt and \
     PREFIX.pub instead; --key-out, --csr-out, --cert-out and --pub-out name single files for installers that use \
     other conventions, and --bare NAME writes cfssljson's NAME.pem, NAME-key.pem and NAME.csr. Files are written to a temporary file in the same \
     directory, fsynced and renamed into place; an existing file is never replaced without --force.",
    "--format json writes one JSON object per item, with cfssl's field names: {\"key\": PEM, \"csr\": PEM, \"cert\": PEM}. \
     JSON input is recognised by its leading {.",
    "A private key is never written to a terminal unless --force is given.",
];

/// The convention every JSON output follows (docs/json.md; a schema per output in docs/schemas).
const JSON: &[&str] = &[
    "Field names are lowerCamelCase, as Kubernetes and kubeadm write them; the stream items keep cfssl's names \
     (key, csr, cert). Times are RFC 3339 in UTC to the second (2036-11-21T02:50:31Z). Durations are whole seconds \
     as integers, negative once past (kubeadm's residualTime), with the words beside them where a person reads them \
     (timeLeft and timeLeftHuman). Usages and SANs are arrays of strings even when there is one: extended key \
     usages by name (serverAuth, clientAuth), SANs as openssl writes them (DNS:x, IP:10.0.0.1). Subjects are \
     {cn, o} with o an array (Kubernetes groups). Booleans are booleans; an absent value is null or left out, \
     never an empty string. k8s-verify --pki-dir --expiry --format json is kubeadm's own CertificateExpirationInfo.",
    "Each output has a JSON Schema (Draft 2020-12) in docs/schemas of the source tree: stream-item, inspect, \
     check, connect, audit, expiry, flags, profiles and rotate; the test suite validates every output with \
     Python's jsonschema.",
];

/// The README's "From openssl and cfssl" table (the test suite runs both columns of every
/// row): (theirs, ours) from each row's code spans.
fn openssl_table(readme: &str) -> Vec<(String, String)> {
    let Some(start) = readme.find("## From openssl and cfssl") else { return Vec::new() };
    let span = |c: &str| c.trim().strip_prefix('`').and_then(|c| c.strip_suffix('`')).map(str::to_string);
    readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|line| {
            let line = line.replace("\\|", "\u{1}");
            let cells: Vec<String> = line.split('|').map(|c| c.replace('\u{1}', "|")).collect();
            let ours = span(cells.get(2)?)?;
            let theirs =
                span(cells.get(1)?).unwrap_or_else(|| cells.get(1).map(|c| c.trim().to_string()).unwrap_or_default());
            Some((theirs, ours))
        })
        .collect()
}

const PKI: &str = "\
k8s-genkey | k8s-csr --profile ca | k8s-sign --self-sign --out pki/ca
k8s-genkey | k8s-csr --profile etcd-ca | k8s-sign --self-sign --out pki/etcd/ca
k8s-genkey | k8s-csr --profile front-proxy-ca | k8s-sign --self-sign --out pki/front-proxy-ca
k8s-genkey | k8s-csr --profile apiserver --node-name node-1 --advertise-address 10.0.0.10 \\
  | k8s-sign --ca pki/ca --out pki/apiserver
k8s-genkey | k8s-csr --profile etcd-server --node-name node-1 --advertise-address 10.0.0.10 \\
  | k8s-sign --ca pki/etcd/ca --out pki/etcd/server
k8s-genkey --public --out pki/sa";

const SERVED: &str = "\
k8s-verify --connect 10.0.0.10:6443 --servername kubernetes --ca-cert /etc/kubernetes/pki/ca.crt \\
  --pki-dir /etc/kubernetes
k8s-verify --connect 127.0.0.1:2379 --ca-cert /etc/kubernetes/pki/etcd/ca.crt \\
  --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key
k8s-verify --kubeconfig /etc/kubernetes/admin.conf";

pub fn page(all: &[String], readme: &str) -> Vec<u8> {
    let mut roff = Roff::default();
    roff.control("TH", ["K8S-PKI", "7", "", &format!("k8s-pki {}", env!("CARGO_PKG_VERSION")), "k8s-pki"]);
    roff.control("SH", ["NAME"]);
    roff.text([roman("k8s-pki \\- build, inspect, renew and audit a Kubernetes cluster PKI with pipes")]);
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([roman(
        "k8s-pki is a set of small commands that replace the openssl steps of a provisioning script \
         (genrsa, req -new, x509 -req) one for one, and know the certificates a kubeadm cluster needs.",
    )]);
    roff.control("SH", ["THE STREAM"]);
    for para in STREAM {
        roff.control("PP", []);
        roff.text([roman(*para)]);
    }
    roff.control("SH", ["KUBERNETES IDENTITIES"]);
    roff.text([roman(
        "kube-apiserver reads a client certificate's CN as the user name and every O value as a group. \
         k8s-csr --org repeats, and every group survives into the certificate, in order. \
         k8s-csr --list-profiles shows the kubeadm identities.",
    )]);
    roff.control("SH", ["FROM OPENSSL AND CFSSL"]);
    roff.text([roman("Each openssl step of a provisioning script has a k8s-pki command; --explain prints the openssl command for any step.")]);
    // Unfilled, so that no command is wrapped or hyphenated: each pastes as shown.
    for (theirs, ours) in openssl_table(readme) {
        roff.control("PP", []);
        roff.control("nf", []);
        roff.text([bold(theirs)]);
        roff.text([roman(format!("    {ours}"))]);
        roff.control("fi", []);
    }
    roff.control("SH", ["JSON OUTPUT"]);
    for paragraph in JSON {
        roff.control("PP", []);
        roff.text([roman(*paragraph)]);
    }
    roff.control("SH", ["CHAINS AND BUNDLES"]);
    roff.text([roman(
        "k8s-verify decides as Go's crypto/x509 Verify and VerifyHostname decide, with Go's messages. \
         Each input is one chain as a server sends it: its first certificate is checked and the ones after it \
         are intermediates; --untrusted FILE offers more; --ca-cert may be a bundle, and a certificate is \
         valid if it chains to any CA in it; --each checks every certificate on its own.",
    )]);
    roff.control("SH", ["IS IT BEING SERVED?"]);
    roff.text([roman(
        "k8s-verify --connect HOST:PORT makes one TLS handshake (TLS 1.2 or 1.3, within --timeout, no retries), \
         shows the chain the server sends and checks it as a Go client would (--host defaults to HOST, \
         --servername sets SNI). With --cert and --key, or --kubeconfig, it says whether the server accepted the \
         client certificate, and if not, its alert as a Go client reports it (remote error: tls: bad certificate). \
         With --pki-dir it compares the served certificate with the file that should serve it (6443 apiserver.crt, \
         2379 etcd/server.crt, 2380 etcd/peer.crt) and says which is newer and what that means for the component.",
    )]);
    roff.control("nf", []);
    for line in SERVED.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    roff.control("SH", ["EXAMPLE: A CLUSTER PKI"]);
    roff.control("nf", []);
    for line in PKI.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    roff.control("PP", []);
    roff.text([roman("examples/kubeadm-pki.sh in the source tree builds the whole kubeadm layout; make pki runs it.")]);
    crate::exit_status(&mut roff);
    roff.control("SH", ["FILES"]);
    roff.control("TP", []);
    roff.text([bold("/etc/kubernetes/pki")]);
    roff.text([roman("where kubeadm keeps the cluster's certificates and keys")]);
    crate::see_also(&mut roff, "k8s-pki", all);
    roff.render().into_bytes()
}
