//! k8s-verify's checks: each certificate of the inputs against a CA, purposes, hosts, CN, O
//! and key, as a Go client or server would decide, with `--explain`'s openssl equivalents.

use std::net::IpAddr;

use super::inspect::{Item, read_items};
use super::{Options, OutputFormat};
use crate::cmd::Warn;
use crate::error::{Error, Result};
use crate::finding::{Status, worst};
use crate::report;
use crate::sink::print;
use crate::term::Paint;
use crate::usage::Usage;
use crate::verify::{Expect, check};

/// Checks every certificate of the inputs against what the flags ask; exit 1 on a failure,
/// 6 on warnings only.
pub(super) fn run(opts: &Options, at: i64, warn_within: i64, paint: &Paint, note: Warn<'_>) -> Result<()> {
    let items = read_items(opts)?;
    if opts.explain {
        explain_checks(opts, &items, note);
    }
    let ca = match &opts.ca_cert {
        Some(path) => Some((crate::cert::Cert::read_file(path)?, path.display().to_string())),
        None => None,
    };
    let key = opts.key.as_deref().map(crate::key::PrivateKey::read_file).transpose()?.map(|k| k.public_key().clone());
    let mut results = Vec::new();
    for item in &items {
        let Item::Cert(cert, source, kc_key) = item else { continue };
        let expect = Expect {
            ca: ca.as_ref().map(|(c, _)| c),
            ca_name: ca.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
            purposes: opts.purposes.clone(),
            hosts: opts.hosts.clone(),
            cn: opts.cn.clone(),
            orgs: if opts.orgs.is_empty() { Vec::new() } else { vec![opts.orgs.clone()] },
            key: key.clone().or_else(|| kc_key.clone()),
            at,
            warn_within,
        };
        let findings = check(cert, &expect);
        results.push((source.clone(), cert, findings));
    }
    if results.is_empty() {
        return Err(Error::input("input", "no certificate to check"));
    }
    let text = match opts.format {
        OutputFormat::Text => {
            let mut out = String::new();
            for (source, cert, findings) in &results {
                let status = worst(findings);
                let verdict = match status {
                    Status::Ok => paint.good("ok"),
                    Status::Warn | Status::Missing => paint.warn("ok, with warnings"),
                    Status::Fail => paint.bad("FAILED"),
                };
                out.push_str(&format!(
                    "{} ({}): {verdict}\n",
                    crate::term::sanitize_line(source),
                    crate::term::sanitize_line(&cert.subject.to_string())
                ));
                out.push_str(&report::findings_text(findings, "  ", opts.verbose, paint));
            }
            out
        }
        OutputFormat::Json => {
            let all: Vec<serde_json::Value> = results
                .iter()
                .map(|(source, cert, findings)| {
                    serde_json::json!({
                        "source": source,
                        "subject": {"cn": cert.subject.cn(), "o": cert.subject.orgs()},
                        "status": worst(findings),
                        "findings": findings,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&all).map_err(|_| Error::internal("cannot encode JSON"))? + "\n"
        }
    };
    print(&text)?;
    let failed = results.iter().filter(|(_, _, f)| worst(f) == Status::Fail).count();
    if failed > 0 {
        return Err(Error::CheckFailed(format!("{failed} of {} certificates failed", results.len())));
    }
    if results.iter().any(|(_, _, f)| worst(f) != Status::Ok) {
        return Err(Error::Warnings("warnings only: see above".into()));
    }
    Ok(())
}

/// The openssl commands that check what `opts` asks, for each certificate file.
fn explain_checks(opts: &Options, items: &[Item], note: Warn<'_>) {
    use crate::explain::sh;
    note(crate::cmd::Note::Explain(
        "# k8s-verify: path validation by rustls-webpki (chain, validity, extended key usage, SANs); openssl checks the same with:",
    ));
    let cert_files: Vec<String> = if opts.inputs.is_empty() {
        vec!["cert.crt".into()]
    } else {
        opts.inputs.iter().map(|p| p.display().to_string()).collect()
    };
    let purposes: Vec<Option<&str>> = if opts.purposes.is_empty() {
        vec![None]
    } else {
        opts.purposes.iter().map(|u| Some(if *u == Usage::Server { "sslserver" } else { "sslclient" })).collect()
    };
    let has_certs = items.iter().any(|i| matches!(i, Item::Cert(..)));
    for file in cert_files.iter().filter(|_| has_certs) {
        for purpose in &purposes {
            let mut cmd = String::from("$ openssl verify -x509_strict");
            if let Some(p) = purpose {
                cmd.push_str(&format!(" -purpose {p}"));
            }
            if let Some(ca) = &opts.ca_cert {
                cmd.push_str(&format!(" -CAfile {}", sh(&ca.display().to_string())));
            }
            for host in &opts.hosts {
                let flag = if host.parse::<IpAddr>().is_ok() { "-verify_ip" } else { "-verify_hostname" };
                cmd.push_str(&format!(" {flag} {}", sh(host)));
            }
            cmd.push_str(&format!(" {}", sh(file)));
            note(crate::cmd::Note::Explain(&cmd));
        }
    }
    if opts.cn.is_some() || !opts.orgs.is_empty() {
        for file in &cert_files {
            note(crate::cmd::Note::Explain(&format!("$ openssl x509 -in {} -noout -subject", sh(file))));
        }
    }
}
