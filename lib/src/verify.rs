//! Checks on one certificate → findings. Path validation and host matching are Go's
//! (`chain`, `hostname`: Kubernetes verifies with crypto/x509); we turn their verdicts into
//! plain words and keep the error string the consuming Go component would log.

use crate::cert::Cert;
use crate::chain::{self, GoError};
use crate::finding::{Check, Finding};
use crate::go_release::GoRelease;
use crate::hostname::{Host, verify_hostname};
use crate::key::PublicKey;
use crate::san::San;
use crate::usage::Usage;
use crate::validity::{DAY, format_time};

/// What a certificate is expected to be.
#[derive(Clone, Debug, Default)]
pub struct Expect<'a> {
    /// The trust anchors it must chain to (a CA file may be a bundle).
    pub roots: &'a [Cert],
    /// Intermediates offered for the chain (after the leaf in its file, or `--untrusted`).
    pub intermediates: &'a [Cert],
    /// The roots' file for messages (`pki/ca.crt`).
    pub ca_name: String,
    /// Required usages.
    pub purposes: Vec<Usage>,
    /// Names and IPs a TLS client would dial.
    pub hosts: Vec<Host>,
    /// Required CN.
    pub cn: Option<String>,
    /// Accepted O lists (any one of them, order-insensitive); empty = not checked.
    pub orgs: Vec<Vec<String>>,
    /// The key that must match.
    pub key: Option<PublicKey>,
    /// Evaluate as of this time.
    pub at: i64,
    /// Warn when it expires within this many seconds.
    pub warn_within: i64,
    /// Whose rules.
    pub go: GoRelease,
    /// A chain to `roots` is asked for even when none of them is left (a CA file whose every
    /// certificate Go's parser refuses: Go's pool is empty).
    pub chain_required: bool,
}

/// Go's wording for a certificate outside its validity at `at`.
pub fn go_validity_error(cert: &Cert, at: i64) -> Option<String> {
    chain::validity(cert, at).err().map(|e| e.to_string())
}

/// The usages the chain is checked for, decided once for the verdict, the findings and Go's
/// line alike: those asked, else the certificate's own (server when its extended key usages
/// name server auth, else client).
pub fn chain_usages(cert: &Cert, expect: &Expect<'_>) -> Vec<Usage> {
    if !expect.purposes.is_empty() {
        expect.purposes.clone()
    } else if cert.ext.usages.contains(&Usage::Server) {
        vec![Usage::Server]
    } else {
        vec![Usage::Client]
    }
}

/// What Go's `Verify` (with the usages [`chain_usages`] decides) followed by `VerifyHostname`
/// for each host says at `expect.at`: `OK` or its error text, as the Go helper of the tests
/// prints it.
pub fn go_verdict(cert: &Cert, expect: &Expect<'_>) -> String {
    go_result(cert, expect).err().unwrap_or_else(|| "OK".into())
}

fn go_result(cert: &Cert, expect: &Expect<'_>) -> Result<(), String> {
    let usages = chain_usages(cert, expect);
    let opts = chain::Options {
        roots: expect.roots,
        intermediates: expect.intermediates,
        at: expect.at,
        usages,
        go: expect.go,
    };
    chain::verify(cert, &opts).map_err(|e| e.to_string())?;
    for host in &expect.hosts {
        verify_hostname(cert, host, expect.go)?;
    }
    Ok(())
}

/// Why `cert` has no issuer among the roots and intermediates, in words, from Go's hint.
fn issuer_note(cert: &Cert, expect: &Expect<'_>, hint: Option<&(String, String)>, missing: &str) -> String {
    let ca_name = &expect.ca_name;
    let Some((err, candidate)) = hint else {
        let offered = if expect.intermediates.is_empty() { "" } else { " nor among the intermediates offered" };
        let self_issued_offered =
            expect.intermediates.iter().any(|c| c.is_self_issued() && c.subject.to_string() == missing);
        if self_issued_offered {
            return format!(
                "the chain ends at '{}', which is not in {ca_name}: a root offered as an intermediate is not trusted",
                crate::term::sanitize_line(missing)
            );
        }
        return match expect.roots {
            [ca] if offered.is_empty() => format!("signed by '{}', not by {ca_name} ('{}')", cert.issuer, ca.subject),
            _ => format!("no certificate of '{}' is in {ca_name}{offered}", crate::term::sanitize_line(missing)),
        };
    };
    let candidate = crate::term::sanitize_line(candidate);
    if err == crate::go_signature::CONSTRAINT_VIOLATION {
        format!(
            "its issuer '{candidate}' may not sign certificates (basic constraints without CA:TRUE, or a key usage without certSign)"
        )
    } else if err.starts_with("x509: cannot verify signature: insecure algorithm") {
        format!("signed with an algorithm Go refuses ({})", err.trim_start_matches("x509: cannot verify signature: "))
    } else if err.ends_with("verification failure") || err.ends_with("verification error") {
        format!("issuer name matches '{candidate}' but the signature does not verify with its key")
    } else {
        format!("cannot be checked with its issuer '{candidate}': {}", crate::term::sanitize_line(err))
    }
}

/// `signed by pki/ca.crt (CN=kubernetes)`, or the path through intermediates.
fn describe_path(path: &[&Cert], ca_name: &str) -> String {
    let root = path.last().map(|r| r.subject.to_string()).unwrap_or_default();
    let via: Vec<String> = path.iter().skip(1).rev().skip(1).map(|c| format!("'{}'", c.subject)).collect();
    if via.is_empty() {
        format!("signed by {ca_name} ({root})")
    } else {
        format!("chains to {ca_name} ({root}) through {}", via.join(", "))
    }
}

/// Whether `t` is inside the validity of `cert` and of every root and intermediate offered.
fn valid_together(cert: &Cert, expect: &Expect<'_>, t: i64) -> bool {
    std::iter::once(cert).chain(expect.roots).chain(expect.intermediates).all(|c| c.not_before <= t && t <= c.not_after)
}

/// The chain finding when no moment is inside every validity period.
fn never_together(cert: &Cert, expect: &Expect<'_>) -> String {
    let apart: Vec<String> = expect
        .roots
        .iter()
        .chain(expect.intermediates)
        .filter(|ca| ca.not_after < cert.not_before || cert.not_after < ca.not_before)
        .map(|ca| {
            format!(
                "'{}' is valid {} to {}",
                crate::term::sanitize_line(&ca.subject.to_string()),
                format_time(ca.not_before),
                format_time(ca.not_after)
            )
        })
        .collect();
    format!(
        "never valid at the same time as the CAs of {}: it is valid {} to {}, {}",
        expect.ca_name,
        format_time(cert.not_before),
        format_time(cert.not_after),
        if apart.is_empty() { "and the CAs' periods do not meet".to_string() } else { apart.join(", ") }
    )
}

/// `x` brought into `[lo, hi]`; an empty range (notBefore after notAfter, from hostile input)
/// leaves it as it is instead of panicking as `i64::clamp` would.
fn clamp(x: i64, lo: i64, hi: i64) -> i64 {
    if lo <= hi { x.max(lo).min(hi) } else { x }
}

/// Every check `expect` asks for, in a fixed order. A certificate Go's parser refuses gets that
/// one finding: no Go program goes further with it.
pub fn check(cert: &Cert, expect: &Expect<'_>) -> Vec<Finding> {
    if let Err(go) = crate::go_parse::check(&cert.der, expect.go) {
        return vec![Finding::fail(Check::Read, format!("Go cannot parse this certificate: {go}"), Some(go))];
    }
    let mut out = vec![validity(cert, expect)];
    if !expect.roots.is_empty() || expect.chain_required {
        chain_findings(cert, expect, &mut out);
    } else {
        for usage in &expect.purposes {
            let allowed = !cert.ext.has_eku || cert.ext.usages.contains(usage);
            out.push(purpose_finding(cert, *usage, allowed));
        }
    }
    for host in &expect.hosts {
        match verify_hostname(cert, host, expect.go) {
            Ok(()) => out.push(Finding::ok(Check::Host, format!("valid for {host}"))),
            Err(go) => out.push(Finding::fail(
                Check::Host,
                format!("not valid for {host}: SANs are {}", describe_sans(cert)),
                Some(go),
            )),
        }
    }
    out.extend(identity(cert, expect));
    out
}

/// The certificate's own validity at the time of the check, or its nearing end.
fn validity(cert: &Cert, expect: &Expect<'_>) -> Finding {
    let at = expect.at;
    if let Some(go) = go_validity_error(cert, at) {
        let when = format!(
            "valid {} to {}; checked at {}",
            format_time(cert.not_before),
            format_time(cert.not_after),
            format_time(at)
        );
        return Finding::fail(Check::Validity, when, Some(go));
    }
    let left = cert.not_after - at;
    if left < expect.warn_within {
        Finding::warn(Check::Expiry, format!("expires {} ({} days left)", format_time(cert.not_after), left / DAY))
    } else {
        Finding::ok(Check::Validity, format!("valid until {}", format_time(cert.not_after)))
    }
}

/// The chain to the roots, for each required usage, as Go builds it; first at a time inside
/// every validity period, so a chain defect is reported as such even when a certificate has also
/// expired (that is reported apart, with Go's words). Then the CAs' own validity, a certificate
/// outliving its CA, and whatever else Go refuses.
fn chain_findings(cert: &Cert, expect: &Expect<'_>, out: &mut Vec<Finding>) {
    let mut chain_time = clamp(expect.at, cert.not_before, cert.not_after);
    for ca in expect.roots.iter().chain(expect.intermediates) {
        chain_time = clamp(chain_time, ca.not_before, ca.not_after);
    }
    let opts = |usages: Vec<Usage>| chain::Options {
        roots: expect.roots,
        intermediates: expect.intermediates,
        at: chain_time,
        usages,
        go: expect.go,
    };
    let path: Vec<&Cert> = match chain::verify(cert, &opts(Vec::new())) {
        Ok(chains) => {
            let path = chains.first().cloned().unwrap_or_default();
            out.push(Finding::ok(Check::Chain, describe_path(&path, &expect.ca_name)));
            for usage in chain_usages(cert, expect) {
                let allowed = chain::verify(cert, &opts(vec![usage])).is_ok();
                out.push(purpose_finding(cert, usage, allowed));
            }
            path
        }
        // No moment is inside every validity period (the certificate ended before a CA began,
        // or the reverse): Go's words at a made-up time would mislead; the dates say it.
        Err(GoError::Expired(_)) if !valid_together(cert, expect, chain_time) => {
            out.push(Finding::fail(Check::Chain, never_together(cert, expect), None));
            Vec::new()
        }
        Err(e) => {
            let why = match &e {
                GoError::UnknownAuthority(hint, missing) => issuer_note(cert, expect, hint.as_ref(), missing),
                other => format!("does not chain to {}: {other}", expect.ca_name),
            };
            out.push(Finding::fail(Check::Chain, why, Some(e.to_string())));
            Vec::new()
        }
    };
    let root = path.last().copied();
    out.extend(ca_validity(expect, &path, root));
    // Verifies today, stops when the CA ends: a warning (the verdict is today's).
    if let Some(ca) = root.filter(|ca| cert.not_after > ca.not_after) {
        out.push(Finding::warn(
            Check::Lifetime,
            format!(
                "outlives its CA: expires {}, the CA {}; it stops verifying when the CA expires",
                format_time(cert.not_after),
                format_time(ca.not_after)
            ),
        ));
    }
    // One decision: whatever Go refuses at this time, for these usages and hosts, is a failure
    // here too, said in Go's words when no finding above names it.
    if let Err(go) = go_result(cert, expect)
        && !out.iter().any(|f| f.status == crate::finding::Status::Fail && f.go_error.as_deref() == Some(go.as_str()))
    {
        out.push(Finding::fail(Check::Chain, format!("Go refuses it at {}: {go}", format_time(expect.at)), Some(go)));
    }
}

/// The validity at the time of the check of the root the chain reached (of every root when none
/// was reached) and of the intermediates on the path.
fn ca_validity(expect: &Expect<'_>, path: &[&Cert], root: Option<&Cert>) -> Vec<Finding> {
    let at = expect.at;
    let mut out = Vec::new();
    for ca in expect.roots.iter().filter(|r| root.is_none_or(|found| found.der == r.der)) {
        if let Some(go) = go_validity_error(ca, at) {
            let what = format!("the CA {} is not valid at {}", expect.ca_name, format_time(at));
            out.push(Finding::fail(Check::CaValidity, what, Some(go)));
        }
    }
    for inter in path.iter().skip(1).filter(|c| root.is_none_or(|r| r.der != c.der)) {
        if let Some(go) = go_validity_error(inter, at) {
            let what = format!(
                "the intermediate '{}' is not valid at {}: valid {} to {}",
                crate::term::sanitize_line(&inter.subject.to_string()),
                format_time(at),
                format_time(inter.not_before),
                format_time(inter.not_after)
            );
            out.push(Finding::fail(Check::CaValidity, what, Some(go)));
        }
    }
    out
}

/// The identity checks: CN (the Kubernetes user), O (the groups), the private key.
fn identity(cert: &Cert, expect: &Expect<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(cn) = &expect.cn {
        match cert.subject.cn() {
            Some(actual) if actual == cn => out.push(Finding::ok(Check::Cn, format!("CN {cn}"))),
            actual => {
                out.push(Finding::fail(Check::Cn, format!("CN is '{}', expected '{cn}'", actual.unwrap_or("")), None))
            }
        }
    }
    if !expect.orgs.is_empty() {
        let mut actual = cert.subject.orgs();
        actual.sort();
        let fits = expect.orgs.iter().any(|want| {
            let mut want = want.clone();
            want.sort();
            want == actual
        });
        let want: Vec<String> = expect.orgs.iter().map(|o| format!("[{}]", o.join(", "))).collect();
        let groups = cert.subject.orgs().join(", ");
        out.push(if fits {
            Finding::ok(Check::O, format!("groups [{groups}]"))
        } else {
            Finding::fail(Check::O, format!("groups (O) are [{groups}], expected {}", want.join(" or ")), None)
        });
    }
    if let Some(key) = &expect.key {
        out.push(if *key == cert.public_key {
            Finding::ok(Check::Key, "the private key matches")
        } else {
            Finding::fail(
                Check::Key,
                "the private key does not match the certificate",
                Some("tls: private key does not match public key".into()),
            )
        });
    }
    out
}

/// The finding for one required usage.
fn purpose_finding(cert: &Cert, usage: Usage, allowed: bool) -> Finding {
    if allowed {
        Finding::ok(Check::Purpose, format!("allowed for TLS {} auth", usage.name()))
    } else {
        Finding::fail(
            Check::Purpose,
            format!("not allowed for TLS {} auth (extended key usages: {})", usage.name(), describe_usages(cert)),
            Some(GoError::IncompatibleUsage.to_string()),
        )
    }
}

/// `serverAuth, clientAuth`, or `none` / `any (no extension)`.
pub fn describe_usages(cert: &Cert) -> String {
    if !cert.ext.has_eku {
        return "any (no extendedKeyUsage extension)".into();
    }
    let mut names: Vec<String> = cert.ext.usages.iter().map(|u| format!("{}Auth", u.name())).collect();
    names.extend(cert.ext.other_ekus.iter().map(|o| o.to_string()));
    if names.is_empty() { "none".into() } else { names.join(", ") }
}

/// `DNS:a, IP:1.2.3.4` or `none`.
pub fn describe_sans(cert: &Cert) -> String {
    if cert.ext.sans.is_empty() {
        return "none".into();
    }
    let shown: Vec<String> = cert.ext.sans.iter().take(SANS_SHOWN).map(San::to_openssl).collect();
    match cert.ext.sans.len().checked_sub(SANS_SHOWN) {
        Some(more) if more > 0 => format!("{} and {more} more", shown.join(", ")),
        _ => shown.join(", "),
    }
}

/// SANs named in one message; a certificate may carry thousands.
const SANS_SHOWN: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{Csr, build};
    use crate::finding::{Status, worst};
    use crate::issue::{Ca, IssueOptions};
    use crate::key::{Algorithm, PrivateKey};
    use crate::name::Subject;
    use crate::request::Request;

    use crate::test_pki::{NOW, ca};

    fn host(h: &str) -> Host {
        h.parse().expect("host")
    }

    fn go_hostname_error(cert: &Cert, h: &str) -> String {
        verify_hostname(cert, &host(h), GoRelease::default()).expect_err("mismatch")
    }

    fn leaf(ca: &Ca, usages: &[Usage], sans: &[&str]) -> Cert {
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let req = Request {
            subject: Subject::new(Some("srv"), &["g".to_string()]),
            sans: sans.iter().map(|s| San::parse(s).expect("san")).collect(),
            usages: usages.to_vec(),
            is_ca: false,
            path_len: None,
        };
        let csr = Csr::from_der(&build(&req, &key).expect("csr"), "t").expect("csr");
        let opts = IssueOptions { lifetime: 365 * DAY, now: NOW, ..IssueOptions::default() };
        Cert::from_der(&ca.issue(&csr, &opts).expect("leaf").der, "leaf").expect("parse")
    }

    #[test]
    fn good_certificate_passes_every_check() {
        let ca = ca();
        let cert = leaf(&ca, &[Usage::Server], &["node-1", "10.0.0.10"]);
        let expect = Expect {
            roots: std::slice::from_ref(&ca.cert),
            ca_name: "ca.crt".into(),
            purposes: vec![Usage::Server],
            hosts: vec![host("node-1"), host("10.0.0.10")],
            cn: Some("srv".into()),
            orgs: vec![vec!["g".into()]],
            at: NOW,
            ..Expect::default()
        };
        let findings = check(&cert, &expect);
        assert_eq!(worst(&findings), Status::Ok, "{findings:#?}");
    }

    #[test]
    fn defects_are_named_with_gos_words() {
        let ca = ca();
        let other = self::ca();
        let cert = leaf(&ca, &[Usage::Server], &["10.0.0.10", "node-1"]);
        let expect = Expect {
            roots: std::slice::from_ref(&other.cert),
            ca_name: "etcd/ca.crt".into(),
            hosts: vec![host("10.0.0.11"), host("node-2")],
            cn: Some("kube-apiserver".into()),
            at: NOW + 400 * DAY,
            ..Expect::default()
        };
        let findings = check(&cert, &expect);
        let go: Vec<&str> = findings.iter().filter_map(|f| f.go_error.as_deref()).collect();
        // Both CAs are named CN=kubernetes: Go tries the other one and says why it failed.
        assert!(
            go.contains(
                &"x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"kubernetes\")"
            ),
            "{go:?}"
        );
        assert!(go.contains(&"x509: certificate is valid for 10.0.0.10, not 10.0.0.11"), "{go:?}");
        assert!(go.contains(&"x509: certificate is valid for node-1, not node-2"), "{go:?}");
        assert!(go.iter().any(|g| g.starts_with("x509: certificate has expired or is not yet valid: current time")));
        assert!(findings.iter().any(|f| f.check == Check::Cn && f.status == Status::Fail));
        let purpose = check(
            &cert,
            &Expect {
                roots: std::slice::from_ref(&ca.cert),
                purposes: vec![Usage::Client],
                at: NOW,
                ..Expect::default()
            },
        );
        assert!(
            purpose
                .iter()
                .any(|f| f.go_error.as_deref() == Some("x509: certificate specifies an incompatible key usage"))
        );
    }

    #[test]
    fn hostname_messages_for_missing_san_kinds() {
        let ca = ca();
        let cert = leaf(&ca, &[Usage::Client], &[]);
        assert_eq!(
            go_hostname_error(&cert, "10.0.0.1"),
            "x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs"
        );
        assert_eq!(
            go_hostname_error(&cert, "a"),
            "x509: certificate is not valid for any names, but wanted to match a"
        );
    }
}
