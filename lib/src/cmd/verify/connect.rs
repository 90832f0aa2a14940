//! `k8s-verify --connect HOST:PORT` (or `--kubeconfig FILE`): is the certificate being served,
//! would a Go client accept it, does the server accept our client certificate, and is what it
//! serves the file on disk?

use std::path::Path;

use super::options::OutputFormat;
use super::request::{Connect, Show};
use crate::cert::Cert;
use crate::endpoint::{ClientAuth, ClientIdentity, Request, Session, Target, handshake};
use crate::error::{Error, Result};
use crate::finding::{Check, Finding, Status, worst};
use crate::input::Input;
use crate::key::PrivateKey;
use crate::pem::Kind;
use crate::sink::print;
use crate::term::{Paint, sanitize_line};
use crate::usage::Usage;
use crate::verify::{Expect, check, go_verdict};

/// Everything the handshake needs, from the flags and the kubeconfig.
struct Plan {
    target: Target,
    server_name: String,
    roots: Vec<Cert>,
    ca_name: String,
    client: Option<ClientIdentity>,
    /// The client certificate sent, parsed (its subject and issuer for the report).
    client_leaf: Option<Cert>,
}

/// What `--connect --format json` writes (connect.schema.json), fields in this order.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectJson<'a> {
    /// HOST:PORT as given.
    endpoint: &'a str,
    /// The IP address and port the connection reached.
    peer_address: String,
    server_name: &'a str,
    protocol: &'a str,
    cipher: &'a str,
    served: Vec<serde_json::Value>,
    client: serde_json::Value,
    #[serde(rename = "acceptableCAs")]
    acceptable_cas: &'a [String],
    status: Status,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    go: Option<&'a str>,
}

/// Certificates (in order) and the key, if any, of a PEM text.
fn certs_and_key(name: &str, bytes: Vec<u8>) -> Result<(Vec<Cert>, Option<PrivateKey>)> {
    let mut certs = Vec::new();
    let mut key = None;
    for block in Input::from_bytes(name, bytes).blocks()? {
        let block = block?;
        match block.kind() {
            Kind::Cert => certs.push(Cert::from_der(&block.der, name)?),
            Kind::Key if key.is_none() => key = Some(PrivateKey::from_pem_block(&block.label, &block.der, name)?),
            Kind::Key => return Err(Error::input(name, "holds more than one private key")),
            _ => return Err(Error::input(name, format!("unexpected {} block", sanitize_line(&block.label)))),
        }
    }
    Ok((certs, key))
}

fn plan(opts: &Connect) -> Result<Plan> {
    let mut target = opts.target.clone();
    let mut server_name = opts.servername.clone();
    let mut roots = Vec::new();
    let mut ca_name = String::new();
    let mut chain: Vec<Cert> = Vec::new();
    let mut key = None;
    if let Some(path) = &opts.kubeconfig {
        let (name, bytes) = Input::open(Some(path), "a kubeconfig")?.read_all()?;
        let kc = crate::kubeconfig::Kubeconfig::from_slice(&bytes, &name)?;
        let creds = kc.credentials(None, &name, Some(path.parent().unwrap_or(Path::new("."))))?;
        if target.is_none() {
            let server = creds.server.parse::<Target>().map_err(|e| Error::input(&name, format!("server: {e}")))?;
            target = Some(server);
        }
        if server_name.is_none() {
            server_name = creds.tls_server_name.clone();
        }
        if let Some(ca) = &creds.ca {
            roots = certs_and_key(&name, ca.as_bytes().to_vec())?.0;
            ca_name = format!("{name}'s certificate-authority");
        }
        if let Some(cert) = &creds.cert {
            chain = certs_and_key(&name, cert.as_bytes().to_vec())?.0;
        }
        if let Some(k) = &creds.key {
            key = certs_and_key(&name, k.as_bytes().to_vec())?.1;
        }
    }
    if let Some(path) = &opts.ca_cert {
        roots = Cert::read_all(path)?;
        ca_name = path.display().to_string();
    }
    if let Some(path) = &opts.client_cert {
        let (name, bytes) = Input::open(Some(path), "a client certificate (and key)")?.read_all()?;
        let (certs, k) = certs_and_key(&name, bytes)?;
        if certs.is_empty() {
            return Err(Error::input(&name, "no certificate"));
        }
        chain = certs;
        key = k.or(key);
    }
    if let Some(path) = &opts.key {
        key = Some(PrivateKey::read_file(path)?);
    }
    let target = target.ok_or_else(|| Error::usage("--connect HOST:PORT or a kubeconfig's server is needed"))?;
    let client_leaf = chain.first().cloned();
    let client = match (chain.first(), key) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(Error::usage("a client certificate needs its key: --key FILE, or the key in the same file"));
        }
        (None, Some(_)) => return Err(Error::usage("--key needs a client certificate: --cert FILE")),
        (Some(leaf), Some(key)) => {
            if &leaf.public_key != key.public_key() {
                return Err(Error::refused_as(
                    crate::error::Refusal::KeyMismatch,
                    "the client key does not belong to the client certificate",
                ));
            }
            Some(ClientIdentity { chain: chain.iter().map(|c| c.der.clone()).collect(), key })
        }
    };
    let server_name = server_name.unwrap_or_else(|| target.host.clone());
    Ok(Plan { target, server_name, roots, ca_name, client, client_leaf })
}

/// What the server did with the client certificate, as a finding.
fn client_finding(session: &Session, client: Option<&Cert>) -> Option<Finding> {
    let offered = || client.map(|c| c.subject.to_string()).unwrap_or_default();
    let asks_for = if session.acceptable_cas.is_empty() {
        String::new()
    } else {
        format!(" (it names the CAs it accepts: {})", session.acceptable_cas.join("; "))
    };
    match &session.client {
        ClientAuth::NotRequested if client.is_some() => {
            Some(Finding::warn(Check::ClientAuth, "the server did not ask for a client certificate; none was sent"))
        }
        ClientAuth::NotRequested => None,
        ClientAuth::NotOffered => Some(Finding::ok(
            Check::ClientAuth,
            format!("the server asks for a client certificate{asks_for}; none was offered (give --cert and --key)"),
        )),
        ClientAuth::Accepted => Some(Finding::ok(
            Check::ClientAuth,
            format!("the server completed the handshake with the client certificate '{}'", offered()),
        )),
        ClientAuth::Rejected(alert) if client.is_none() => Some(Finding::fail(
            Check::ClientAuth,
            format!("the server requires a client certificate{asks_for}: {alert}; give --cert and --key"),
            Some(format!("remote error: tls: {alert}")),
        )),
        ClientAuth::Rejected(alert) => {
            let issuer = client.map(|c| c.issuer.to_string()).unwrap_or_default();
            let why = if !session.acceptable_cas.is_empty() && !session.acceptable_cas.contains(&issuer) {
                format!(
                    "; its issuer '{issuer}' is not among the CAs the server names: {}",
                    session.acceptable_cas.join("; ")
                )
            } else {
                asks_for
            };
            Some(Finding::fail(
                Check::ClientAuth,
                format!("the server did not accept this client certificate ('{}'): {alert}{why}", offered()),
                Some(format!("remote error: tls: {alert}")),
            ))
        }
    }
}

/// The on-disk finding, and the CA certificates of the tree that sign the file found serving
/// (`pki/etcd/server.crt` → `pki/etcd/ca.crt`) with their name, when it is there.
type TreeView = (Finding, Option<(Vec<Cert>, String)>);

fn tree_view(dir: &Path, port: u16, opts: &Connect, leaf: &Cert) -> Result<TreeView> {
    let tree = crate::beneath::Beneath::open(dir)?;
    let ask = crate::served::Ask { port, file: opts.served_file.as_deref() };
    let (finding, rel) = crate::served::locate(&tree, &ask, leaf)?;
    let Some(ca_rel) = rel.as_deref().and_then(crate::served::signer_of) else { return Ok((finding, None)) };
    let shown = tree.path(&ca_rel).display().to_string();
    let roots = match crate::input::tree_blocks(&tree, &ca_rel)? {
        Some(blocks) => Cert::all_from_blocks(&blocks, &shown)?,
        None => return Ok((finding, None)),
    };
    Ok((finding, Some((roots, shown))))
}

/// Connects, shows the served chain, checks it, and reports the client and on-disk verdicts.
pub(super) fn run(opts: &Connect, show: &Show) -> Result<()> {
    let (at, warn_within) = (show.at, show.warn_within);
    let plan = plan(opts)?;
    let session = handshake(&Request {
        target: &plan.target,
        server_name: &plan.server_name,
        client: plan.client.as_ref(),
        timeout: opts.timeout,
    })?;
    let endpoint = plan.target.to_string();
    let served: Vec<Cert> = session
        .served
        .iter()
        .enumerate()
        .map(|(i, der)| Cert::from_der(der, &format!("{endpoint}: served certificate #{}", i + 1)))
        .collect::<Result<_>>()?;
    let Some((leaf, rest)) = served.split_first() else {
        return Err(Error::io_msg(Path::new(&endpoint), "the server sent no certificate"));
    };
    let mut untrusted = rest.to_vec();
    for path in &opts.untrusted {
        untrusted.extend(Cert::read_all(path)?);
    }
    let host: crate::hostname::Host =
        plan.server_name.parse().map_err(|e: String| Error::usage(format!("--servername: {e}")))?;
    // With --pki-dir: which file serves, and (without --ca-cert) the tree's CA that signs it.
    let on_disk = opts.tree.as_deref().map(|dir| tree_view(dir, plan.target.port, opts, leaf)).transpose()?;
    let (roots, ca_name) = match (&on_disk, plan.roots.is_empty()) {
        (Some((_, Some((roots, name)))), true) => (roots.clone(), name.clone()),
        _ => (plan.roots.clone(), plan.ca_name.clone()),
    };
    let expect = Expect {
        roots: &roots,
        intermediates: &untrusted,
        ca_name,
        purposes: if opts.purposes.is_empty() { vec![Usage::Server] } else { opts.purposes.clone() },
        hosts: if opts.hosts.is_empty() { vec![host] } else { opts.hosts.clone() },
        at,
        warn_within,
        go: opts.go,
        ..Expect::default()
    };
    let mut findings = check(leaf, &expect);
    if roots.is_empty() {
        findings.push(Finding::warn(Check::Chain, "no --ca-cert: the chain was not checked against a CA"));
    }
    let go = (!roots.is_empty()).then(|| go_verdict(leaf, &expect));
    findings.extend(client_finding(&session, plan.client_leaf.as_ref()));
    if let Some((finding, _)) = on_disk {
        findings.push(finding);
    }
    let summaries: Vec<crate::inspect::Summary> = served
        .iter()
        .enumerate()
        .map(|(i, c)| crate::inspect::certificate(c, &format!("{endpoint} served #{}", i + 1), at))
        .collect();
    let status = worst(&findings);
    let shown = Shown {
        endpoint: &endpoint,
        session: &session,
        server_name: &plan.server_name,
        summaries: &summaries,
        status,
        findings: &findings,
    };
    let text = match show.format {
        OutputFormat::Text => text_report(&shown, leaf, show.verbose, &show.paint),
        OutputFormat::Json => json_report(&shown, plan.client.is_some(), go.as_deref())?,
    };
    print(&text)?;
    crate::finding::exit_for(status, true, || format!("{endpoint}: failed"))
}

/// What a `--connect` report shows, in either format.
struct Shown<'a> {
    endpoint: &'a str,
    session: &'a crate::endpoint::Session,
    server_name: &'a str,
    summaries: &'a [crate::inspect::Summary],
    status: crate::finding::Status,
    findings: &'a [Finding],
}

/// The text: the connection, each served certificate, the verdict on the leaf, its findings
/// (passing ones with `-v`), then what the server made of the client and of the file on disk.
fn text_report(r: &Shown<'_>, leaf: &Cert, verbose: bool, paint: &Paint) -> String {
    let endpoint = r.endpoint;
    let mut out = format!(
        "{endpoint} ({}, server name {}): {} {}\n",
        r.session.address,
        sanitize_line(r.server_name),
        r.session.version,
        r.session.cipher
    );
    for s in r.summaries {
        out.push_str(&s.to_text());
    }
    let verdict = crate::report::verdict(r.status, paint);
    out.push_str(&format!("{endpoint} ({}): {verdict}\n", sanitize_line(&leaf.subject.to_string())));
    let (live, cert): (Vec<Finding>, Vec<Finding>) =
        r.findings.iter().cloned().partition(|f| matches!(f.check, Check::ClientAuth | Check::OnDisk));
    out.push_str(&crate::report::findings_text(&cert, "  ", verbose, paint));
    out.push_str(&crate::report::findings_text(&live, "  ", true, paint));
    out
}

/// The JSON report (docs/schemas/connect.schema.json).
fn json_report(r: &Shown<'_>, offered: bool, go: Option<&str>) -> Result<String> {
    let client = match &r.session.client {
        ClientAuth::NotRequested => serde_json::json!({"requested": false}),
        ClientAuth::NotOffered => serde_json::json!({"requested": true, "offered": false}),
        ClientAuth::Accepted => serde_json::json!({"requested": true, "offered": true, "accepted": true}),
        ClientAuth::Rejected(alert) => serde_json::json!({
            "requested": true, "offered": offered, "accepted": false, "alert": alert
        }),
    };
    let v = ConnectJson {
        endpoint: r.endpoint,
        peer_address: r.session.address.to_string(),
        server_name: r.server_name,
        protocol: &r.session.version,
        cipher: &r.session.cipher,
        served: r.summaries.iter().map(crate::inspect::Summary::to_json).collect(),
        client,
        acceptable_cas: &r.session.acceptable_cas,
        status: r.status,
        findings: r.findings,
        go,
    };
    Ok(serde_json::to_string_pretty(&v).map_err(|_| Error::internal("cannot encode JSON"))? + "\n")
}
