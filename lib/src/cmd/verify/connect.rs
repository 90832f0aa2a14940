//! `k8s-verify --connect HOST:PORT` (or `--kubeconfig FILE`): is the certificate being served,
//! would a Go client accept it, does the server accept our client certificate, and is what it
//! serves the file on disk?

use std::path::Path;

use super::{Options, OutputFormat};
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
use crate::validity::format_time;
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

fn plan(opts: &Options) -> Result<Plan> {
    let mut target = opts.connect.clone();
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
                return Err(Error::refused("the client key does not belong to the client certificate"));
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

/// Which file should be serving this: by the port kubeadm's component listens on, else by the
/// one kubeadm profile the served certificate matches.
fn served_entry(port: u16, leaf: Option<&Cert>) -> Result<&'static crate::wiring::Served> {
    if let Some(entry) = crate::wiring::served_on(port) {
        return Ok(entry);
    }
    let mut candidates: Vec<&'static crate::wiring::Served> = Vec::new();
    if let Some(leaf) = leaf {
        let cn = leaf.subject.cn().unwrap_or_default();
        for p in crate::profile::matching(cn, &leaf.subject.orgs(), &leaf.ext.usages, false) {
            let Some(path) = p.path() else { continue };
            let file = format!("{path}.crt");
            if let Some(entry) = crate::wiring::SERVED.iter().find(|s| s.files.contains(&file.as_str())) {
                candidates.push(entry);
            }
        }
    }
    match candidates.as_slice() {
        [one] => Ok(one),
        _ => {
            let known: Vec<String> =
                crate::wiring::SERVED.iter().map(|s| format!("{} ({})", s.port, s.component)).collect();
            Err(Error::usage(format!(
                "--pki-dir: port {port} is none of kubeadm's ({}) and the certificate served matches {} of the files that serve them",
                known.join(", "),
                if candidates.is_empty() { "none" } else { "several" }
            )))
        }
    }
}

/// Is the served leaf the file on disk that should be serving it?
fn on_disk_finding(dir: &Path, port: u16, leaf: &Cert) -> Result<Finding> {
    let served = served_entry(port, Some(leaf))?;
    let Some(file) = served.files.iter().map(|f| dir.join(f)).find(|p| p.exists()) else {
        return Ok(Finding {
            check: Check::OnDisk,
            status: Status::Missing,
            message: format!(
                "{} is not there to compare with",
                dir.join(served.files.first().copied().unwrap_or_default()).display()
            ),
            go_error: None,
        });
    };
    let on_disk = Cert::read_file(&file)?;
    let shown = file.display();
    if on_disk.der == leaf.der {
        return Ok(Finding::ok(Check::OnDisk, format!("{} serves {shown} ({})", served.component, served.flag)));
    }
    let both = format!(
        "serving serial {} valid from {}; {shown} holds serial {} valid from {}",
        leaf.serial_hex(),
        format_time(leaf.not_before),
        on_disk.serial_hex(),
        format_time(on_disk.not_before)
    );
    let message = if on_disk.not_before > leaf.not_before {
        format!(
            "{} serves an older certificate than {shown} ({both}): the file was renewed but is not in use; {}",
            served.component, served.when_older
        )
    } else {
        format!(
            "{} serves a certificate other than {shown}, not older than it ({both}): is this the node whose files these are?",
            served.component
        )
    };
    Ok(Finding::fail(Check::OnDisk, message, None))
}

/// Connects, shows the served chain, checks it, and reports the client and on-disk verdicts.
pub(super) fn run(opts: &Options, at: i64, warn_within: i64, paint: &Paint) -> Result<()> {
    let plan = plan(opts)?;
    let session = handshake(&Request {
        target: &plan.target,
        server_name: &plan.server_name,
        client: plan.client.as_ref(),
        timeout: opts.timeout.unwrap_or(super::DEFAULT_TIMEOUT),
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
    let expect = Expect {
        roots: &plan.roots,
        intermediates: &untrusted,
        ca_name: plan.ca_name.clone(),
        purposes: if opts.purposes.is_empty() { vec![Usage::Server] } else { opts.purposes.clone() },
        hosts: if opts.hosts.is_empty() { vec![host] } else { opts.hosts.clone() },
        at,
        warn_within,
        go: opts.go,
        ..Expect::default()
    };
    let mut findings = check(leaf, &expect);
    if plan.roots.is_empty() {
        findings.push(Finding::warn(Check::Chain, "no --ca-cert: the chain was not checked against a CA"));
    }
    let go = (!plan.roots.is_empty()).then(|| go_verdict(leaf, &expect));
    findings.extend(client_finding(&session, plan.client_leaf.as_ref()));
    if let Some(dir) = &opts.pki_dir {
        findings.push(on_disk_finding(dir, plan.target.port, leaf)?);
    }
    let summaries: Vec<crate::inspect::Summary> = served
        .iter()
        .enumerate()
        .map(|(i, c)| crate::inspect::certificate(c, &format!("{endpoint} served #{}", i + 1), at))
        .collect();
    let status = worst(&findings);
    let text = match opts.format {
        OutputFormat::Text => {
            let mut out = format!(
                "{endpoint} ({}, server name {}): {} {}\n",
                session.address,
                sanitize_line(&plan.server_name),
                session.version,
                session.cipher
            );
            for s in &summaries {
                out.push_str(&s.to_text());
            }
            let verdict = crate::report::verdict(status, paint);
            out.push_str(&format!("{endpoint} ({}): {verdict}\n", sanitize_line(&leaf.subject.to_string())));
            let (live, cert): (Vec<Finding>, Vec<Finding>) =
                findings.iter().cloned().partition(|f| matches!(f.check, Check::ClientAuth | Check::OnDisk));
            out.push_str(&crate::report::findings_text(&cert, "  ", opts.verbose, paint));
            out.push_str(&crate::report::findings_text(&live, "  ", true, paint));
            out
        }
        OutputFormat::Json => {
            let client = match &session.client {
                ClientAuth::NotRequested => serde_json::json!({"requested": false}),
                ClientAuth::NotOffered => serde_json::json!({"requested": true, "offered": false}),
                ClientAuth::Accepted => serde_json::json!({"requested": true, "offered": true, "accepted": true}),
                ClientAuth::Rejected(alert) => serde_json::json!({
                    "requested": true, "offered": plan.client.is_some(), "accepted": false, "alert": alert
                }),
            };
            let mut v = serde_json::json!({
                "endpoint": endpoint,
                "address": session.address.to_string(),
                "serverName": plan.server_name,
                "protocol": session.version,
                "cipher": session.cipher,
                "served": summaries.iter().map(crate::inspect::Summary::to_json).collect::<Vec<_>>(),
                "client": client,
                "acceptableCAs": session.acceptable_cas,
                "status": status,
                "findings": findings,
            });
            if let (Some(go), Some(obj)) = (go, v.as_object_mut()) {
                obj.insert("go".into(), go.into());
            }
            serde_json::to_string_pretty(&v).map_err(|_| Error::internal("cannot encode JSON"))? + "\n"
        }
    };
    print(&text)?;
    match status {
        Status::Fail => Err(Error::CheckFailed(format!("{endpoint}: failed"))),
        Status::Warn | Status::Missing => Err(Error::Warnings("warnings only: see above".into())),
        Status::Ok => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{Csr, build};
    use crate::issue::{Ca, IssueOptions};
    use crate::key::Algorithm;
    use crate::profile::{Params, find};
    use crate::test_pki::{NOW, ca};
    use crate::validity::DAY;

    /// A certificate of a kubeadm profile issued at `now`.
    fn issued(ca: &Ca, profile: &str, now: i64) -> Cert {
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let params = Params {
            node_name: Some("node-1".into()),
            advertise_address: Some("10.0.0.10".parse().expect("ip")),
            ..Params::default()
        };
        let req = find(profile).and_then(|p| p.request(&params)).expect("req");
        let csr = Csr::from_der(&build(&req, &key).expect("csr"), "t").expect("csr");
        let opts = IssueOptions { lifetime: 365 * DAY, now, ..IssueOptions::default() };
        Cert::from_der(&ca.issue(&csr, &opts).expect("leaf").der, "leaf").expect("parse")
    }

    fn write(dir: &Path, file: &str, cert: &Cert) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, crate::pem::encode_pem("CERTIFICATE", &cert.der)).expect("write");
    }

    #[test]
    fn the_file_compared_is_the_ports_else_the_one_profile_the_certificate_matches() {
        let ca = ca();
        let api = issued(&ca, "apiserver", NOW);
        let etcd = issued(&ca, "etcd-server", NOW);
        assert_eq!(served_entry(6443, None).map(|s| s.files[0]).ok(), Some("pki/apiserver.crt"));
        assert_eq!(served_entry(2380, Some(&etcd)).map(|s| s.files[0]).ok(), Some("pki/etcd/peer.crt"));
        assert_eq!(served_entry(16443, Some(&api)).map(|s| s.component).ok(), Some("kube-apiserver"));
        // etcd's server and peer certificates are alike: on another port, no guess.
        let err = served_entry(12379, Some(&etcd)).expect_err("ambiguous");
        assert!(err.to_string().contains("matches several"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn same_older_newer_and_missing_files_are_told_apart() {
        let ca = ca();
        let dir = tempfile::tempdir().expect("dir");
        let old = issued(&ca, "apiserver", NOW);
        let new = issued(&ca, "apiserver", NOW + DAY);
        let verdict = |served: &Cert| on_disk_finding(dir.path(), 6443, served).expect("finding");
        assert_eq!(verdict(&old).status, Status::Missing);
        write(dir.path(), "pki/apiserver.crt", &old);
        assert_eq!(verdict(&old).status, Status::Ok);
        write(dir.path(), "pki/apiserver.crt", &new);
        let f = verdict(&old);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.starts_with("kube-apiserver serves an older certificate than"), "{}", f.message);
        assert!(f.message.contains("kube-apiserver reloads --tls-cert-file by itself"), "{}", f.message);
        write(dir.path(), "pki/apiserver.crt", &old);
        let f = verdict(&new);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("not older than it"), "{}", f.message);
        // etcd's advice is etcd's: it reads the file on every connection.
        let etcd = issued(&ca, "etcd-server", NOW);
        write(dir.path(), "pki/etcd/server.crt", &issued(&ca, "etcd-server", NOW + DAY));
        let f = on_disk_finding(dir.path(), 2379, &etcd).expect("finding");
        assert!(f.message.contains("so it is not reading this file"), "{}", f.message);
    }
}
