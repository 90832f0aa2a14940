//! k8s-verify's checks: each certificate of the inputs against a CA, purposes, hosts, CN, O
//! and key, as a Go client or server would decide, with `--explain`'s openssl equivalents.

use super::inspect::{Item, read_items};
use super::options::OutputFormat;
use super::request::{Check, Show};
use crate::cert::Cert;
use crate::cmd::note::Warn;
use crate::error::{Error, Result};
use crate::finding::{Status, worst};
use crate::report::{self, SubjectJson};
use crate::sink::print;
use crate::usage::Usage;
use crate::verify::{Expect, chain_usages, check, go_verdict};

/// One certificate to check: the item, its chain (the certificates after it in its input), and
/// the first of those Go's parser refuses (a Go program reading the file stops there).
struct ToCheck<'a> {
    item: &'a Item,
    chain: Vec<Cert>,
    /// What to say, and Go's error.
    unparsable: Option<(String, String)>,
}

/// The certificates to check, each with its chain: the first certificate of each input with
/// the ones after it (a chain as a server sends it), or with `each` every certificate alone.
fn chains<'a>(items: &'a [Item], each: bool, go: crate::go_release::GoRelease, note: Warn<'_>) -> Vec<ToCheck<'a>> {
    let mut out: Vec<ToCheck<'a>> = Vec::new();
    let mut last_input = None;
    for item in items {
        let (input, cert) = match item {
            Item::Cert(cert, _, _, input) => (*input, Some(cert)),
            Item::Unparsable(_, _, input) => (*input, None),
            _ => continue,
        };
        match out.last_mut() {
            Some(current) if !each && last_input == Some(input) => match (cert, item) {
                (Some(cert), Item::Cert(_, source, ..)) => {
                    if !cert.is_ca() {
                        note(crate::cmd::note::Note::Warning(&format!(
                            "{}: not a CA, so only an unused intermediate: each input is one chain, the first certificate checked (--each checks every one)",
                            crate::term::sanitize_line(source)
                        )));
                    }
                    if current.unparsable.is_none() {
                        current.unparsable = crate::go_parse::check(&cert.der, go)
                            .err()
                            .map(|e| (format!("Go cannot parse the intermediate '{}': {e}", cert.subject), e));
                    }
                    current.chain.push((**cert).clone());
                }
                (_, Item::Unparsable(source, e, _)) => {
                    current
                        .unparsable
                        .get_or_insert_with(|| (format!("Go cannot parse the intermediate {source}: {e}"), e.clone()));
                }
                _ => {}
            },
            _ => out.push(ToCheck { item, chain: Vec::new(), unparsable: None }),
        }
        last_input = Some(input);
    }
    out
}

/// One verdict: the source, the subject, the findings and Go's line with the purposes checked.
struct Checked {
    source: String,
    subject: SubjectJson,
    subject_text: String,
    findings: Vec<crate::finding::Finding>,
    go: Option<(String, Vec<&'static str>)>,
}

/// One verdict in JSON (check.schema.json), fields in this order.
#[derive(serde::Serialize)]
struct CheckJson<'a> {
    source: &'a str,
    subject: &'a SubjectJson,
    status: Status,
    findings: &'a [crate::finding::Finding],
    #[serde(skip_serializing_if = "Option::is_none")]
    purposes: Option<&'a [&'static str]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    go: Option<&'a str>,
}

/// The roots of `--ca-cert`, without those Go's parser refuses (CertPool.AppendCertsFromPEM skips
/// them), each said on stderr.
fn roots(opts: &Check, note: Warn<'_>) -> Result<Vec<Cert>> {
    let Some(path) = opts.ca_cert.as_deref() else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (i, cert) in Cert::read_all(path)?.into_iter().enumerate() {
        match crate::go_parse::check(&cert.der, opts.go) {
            Ok(()) => out.push(cert),
            Err(e) => note(crate::cmd::note::Note::Warning(&format!(
                "{} #{}: Go cannot parse this certificate ({e}): Go components skip it",
                crate::term::sanitize_line(&path.display().to_string()),
                i + 1
            ))),
        }
    }
    Ok(out)
}

/// Checks every certificate of the inputs against what the flags ask; exit 1 on a failure,
/// 0 otherwise (6 on warnings with `--strict`).
pub(super) fn run(opts: &Check, show: &Show, note: Warn<'_>) -> Result<()> {
    let (at, warn_within) = (show.at, show.warn_within);
    let items = read_items(&opts.inputs, opts.go)?;
    if show.explain {
        explain_checks(opts, &items, note);
    }
    let roots = roots(opts, note)?;
    let ca_name = opts.ca_cert.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    let mut untrusted = Vec::new();
    for path in &opts.untrusted {
        untrusted.extend(Cert::read_all(path)?);
    }
    let key = opts.key.as_deref().map(crate::key::PrivateKey::read_file).transpose()?.map(|k| k.public_key().clone());
    let mut results = Vec::new();
    for ToCheck { item, chain, unparsable } in chains(&items, opts.each, opts.go, note) {
        let (cert, source, kc_key) = match item {
            Item::Cert(cert, source, kc_key, _) => (cert, source, kc_key),
            Item::Unparsable(source, e, _) => {
                let message = format!("Go cannot parse this certificate: {e}");
                results.push(refused(source, message, e.clone(), opts.ca_cert.is_some()));
                continue;
            }
            _ => continue,
        };
        if let Some((message, e)) = unparsable {
            let mut r = refused(source, message, e, opts.ca_cert.is_some());
            r.subject = SubjectJson::of(cert);
            r.subject_text = cert.subject.to_string();
            results.push(r);
            continue;
        }
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
            chain_required: opts.ca_cert.is_some(),
        };
        let go = opts.ca_cert.is_some().then(|| {
            let purposes: Vec<&'static str> = chain_usages(cert, &expect).iter().map(|u| u.eku_name()).collect();
            (go_verdict(cert, &expect), purposes)
        });
        results.push(Checked {
            source: source.clone(),
            subject: SubjectJson::of(cert),
            subject_text: cert.subject.to_string(),
            findings: check(cert, &expect),
            go,
        });
    }
    report(&results, opts.strict, show)
}

/// The verdict on a certificate (or chain) Go's parser refuses: that, and nothing else.
fn refused(source: &str, message: String, go: String, with_roots: bool) -> Checked {
    Checked {
        source: source.to_string(),
        subject: SubjectJson { cn: None, o: Vec::new() },
        subject_text: "?".into(),
        findings: vec![crate::finding::Finding::fail(crate::finding::Check::Read, message, Some(go.clone()))],
        go: with_roots.then_some((go, Vec::new())),
    }
}

/// Prints the verdicts and turns them into the exit status.
fn report(results: &[Checked], strict: bool, show: &Show) -> Result<()> {
    let paint = &show.paint;
    if results.is_empty() {
        return Err(Error::input("input", "no certificate to check"));
    }
    let text = match show.format {
        OutputFormat::Text => {
            let mut out = String::new();
            for r in results {
                let verdict = report::verdict(worst(&r.findings), paint);
                out.push_str(&format!(
                    "{} ({}): {verdict}\n",
                    crate::term::sanitize_line(&r.source),
                    crate::term::sanitize_line(&r.subject_text)
                ));
                out.push_str(&report::findings_text(&r.findings, "  ", show.verbose, paint));
            }
            out
        }
        OutputFormat::Json => {
            let all: Vec<CheckJson<'_>> = results
                .iter()
                .map(|r| CheckJson {
                    source: &r.source,
                    subject: &r.subject,
                    status: worst(&r.findings),
                    findings: &r.findings,
                    purposes: r.go.as_ref().map(|(_, p)| p.as_slice()),
                    go: r.go.as_ref().map(|(go, _)| go.as_str()),
                })
                .collect();
            serde_json::to_string_pretty(&all).map_err(|_| Error::internal("cannot encode JSON"))? + "\n"
        }
    };
    print(&text)?;
    let failed = results.iter().filter(|r| worst(&r.findings) == Status::Fail).count();
    // A valid chain exits 0 with its warnings printed (as openssl verify does); --strict makes
    // them count, for health checks.
    let status = results.iter().map(|r| worst(&r.findings)).max().unwrap_or(Status::Ok);
    crate::finding::exit_for(status, strict, || format!("{failed} of {} certificates failed", results.len()))
}

/// The openssl commands that check what `opts` asks, for each certificate file.
fn explain_checks(opts: &Check, items: &[Item], note: Warn<'_>) {
    use crate::explain::sh;
    note(crate::cmd::note::Note::Explain(
        "# k8s-verify: path validation as Go's crypto/x509 does it (chain, validity, extended key usage, SANs); openssl checks the same with:",
    ));
    let cert_files: Vec<String> = if opts.inputs.0.is_empty() {
        vec!["cert.crt".into()]
    } else {
        opts.inputs.0.iter().map(|p| p.display().to_string()).collect()
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
            note(crate::cmd::note::Note::Explain(&cmd));
        }
    }
    if opts.cn.is_some() || !opts.orgs.is_empty() {
        for file in &cert_files {
            note(crate::cmd::note::Note::Explain(&format!("$ openssl x509 -in {} -noout -subject", sh(file))));
        }
    }
}
