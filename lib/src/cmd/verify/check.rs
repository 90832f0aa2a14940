//! k8s-verify's checks: each certificate of the inputs against a CA, purposes, hosts, CN, O
//! and key, as a Go client or server would decide, with `--explain`'s openssl equivalents.

use super::inspect::{Item, read_items};
use super::{Options, OutputFormat};
use crate::cert::Cert;
use crate::cmd::Warn;
use crate::error::{Error, Result};
use crate::finding::{Status, worst};
use crate::report;
use crate::sink::print;
use crate::term::Paint;
use crate::usage::Usage;
use crate::verify::{Expect, chain_usages, check, go_verdict};

/// The certificates to check, each with its chain: the first certificate of each input with
/// the ones after it (a chain as a server sends it), or with `each` every certificate alone.
fn chains<'a>(items: &'a [Item], each: bool, note: Warn<'_>) -> Vec<(&'a Item, Vec<Cert>)> {
    let mut out: Vec<(&Item, Vec<Cert>)> = Vec::new();
    let mut last_input = None;
    for item in items {
        let Item::Cert(cert, source, _, input) = item else { continue };
        match out.last_mut() {
            Some((_, chain)) if !each && last_input == Some(*input) => {
                if !cert.is_ca() {
                    note(crate::cmd::Note::Warning(&format!(
                        "{}: not a CA, so only an unused intermediate: each input is one chain, the first certificate checked (--each checks every one)",
                        crate::term::sanitize_line(source)
                    )));
                }
                chain.push((**cert).clone());
            }
            _ => out.push((item, Vec::new())),
        }
        last_input = Some(*input);
    }
    out
}

/// Checks every certificate of the inputs against what the flags ask; exit 1 on a failure,
/// 0 otherwise (6 on warnings with `--strict`).
pub(super) fn run(opts: &Options, at: i64, warn_within: i64, paint: &Paint, note: Warn<'_>) -> Result<()> {
    let items = read_items(opts)?;
    if opts.explain {
        explain_checks(opts, &items, note);
    }
    let roots = opts.ca_cert.as_deref().map(Cert::read_all).transpose()?.unwrap_or_default();
    let ca_name = opts.ca_cert.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let mut untrusted = Vec::new();
    for path in &opts.untrusted {
        untrusted.extend(Cert::read_all(path)?);
    }
    let key = opts.key.as_deref().map(crate::key::PrivateKey::read_file).transpose()?.map(|k| k.public_key().clone());
    let mut results = Vec::new();
    for (leaf, chain) in chains(&items, opts.each, note) {
        let Item::Cert(cert, source, kc_key, _) = leaf else { continue };
        let intermediates: Vec<Cert> = chain.into_iter().chain(untrusted.iter().cloned()).collect();
        let expect = Expect {
            roots: &roots,
            intermediates: &intermediates,
            ca_name: ca_name.clone(),
            purposes: opts.purposes.clone(),
            hosts: opts.hosts.clone(),
            cn: opts.cn.clone(),
            orgs: if opts.orgs.is_empty() { Vec::new() } else { vec![opts.orgs.clone()] },
            key: key.clone().or_else(|| kc_key.clone()),
            at,
            warn_within,
            go: opts.go,
        };
        let findings = check(cert, &expect);
        let go = if roots.is_empty() {
            None
        } else {
            let purposes: Vec<&str> = chain_usages(cert, &expect).iter().map(|u| u.eku_name()).collect();
            Some((go_verdict(cert, &expect), purposes))
        };
        results.push((source.clone(), cert, findings, go));
    }
    if results.is_empty() {
        return Err(Error::input("input", "no certificate to check"));
    }
    let text = match opts.format {
        OutputFormat::Text => {
            let mut out = String::new();
            for (source, cert, findings, _) in &results {
                let verdict = report::verdict(worst(findings), paint);
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
                .map(|(source, cert, findings, go)| {
                    let mut v = serde_json::json!({
                        "source": source,
                        "subject": {"cn": cert.subject.cn(), "o": cert.subject.orgs()},
                        "status": worst(findings),
                        "findings": findings,
                    });
                    if let (Some((go, purposes)), Some(obj)) = (go, v.as_object_mut()) {
                        obj.insert("purposes".into(), serde_json::json!(purposes));
                        obj.insert("go".into(), go.clone().into());
                    }
                    v
                })
                .collect();
            serde_json::to_string_pretty(&all).map_err(|_| Error::internal("cannot encode JSON"))? + "\n"
        }
    };
    print(&text)?;
    let failed = results.iter().filter(|(_, _, f, _)| worst(f) == Status::Fail).count();
    if failed > 0 {
        return Err(Error::CheckFailed(format!("{failed} of {} certificates failed", results.len())));
    }
    // A valid chain exits 0 with its warnings printed (as openssl verify does); --strict makes
    // them fail, for health checks.
    if opts.strict && results.iter().any(|(_, _, f, _)| worst(f) != Status::Ok) {
        return Err(Error::Warnings("warnings only: see above".into()));
    }
    Ok(())
}

/// The openssl commands that check what `opts` asks, for each certificate file.
fn explain_checks(opts: &Options, items: &[Item], note: Warn<'_>) {
    use crate::explain::sh;
    note(crate::cmd::Note::Explain(
        "# k8s-verify: path validation as Go's crypto/x509 does it (chain, validity, extended key usage, SANs); openssl checks the same with:",
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
                cmd.push_str(&format!(" -CAfile {}", crate::explain::sh_path(ca)));
            }
            for host in &opts.hosts {
                let (flag, value) = match host.ip() {
                    Some(ip) => ("-verify_ip", ip.to_string()),
                    None => ("-verify_hostname", host.as_str().to_string()),
                };
                cmd.push_str(&format!(" {flag} {}", sh(&value)));
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
