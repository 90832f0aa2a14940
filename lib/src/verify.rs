//! Checks on one certificate → findings. Path validation (chain, validity, EKU, names) is
//! rustls-webpki's; we only turn its verdicts into plain words and into the error string
//! the consuming Go component (kube-apiserver, kubelet, etcd) would log for the same cert.

use std::net::IpAddr;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use webpki::{EndEntityCert, KeyUsage};

use crate::cert::Cert;
use crate::finding::{Check, Finding};
use crate::key::PublicKey;
use crate::san::San;
use crate::usage::Usage;
use crate::validity::{DAY, format_time};

/// What a certificate is expected to be.
#[derive(Clone, Debug, Default)]
pub struct Expect<'a> {
    /// The CA it must chain to.
    pub ca: Option<&'a Cert>,
    /// The CA's name for messages (`pki/ca.crt`).
    pub ca_name: String,
    /// Required usages.
    pub purposes: Vec<Usage>,
    /// Names and IPs a TLS client would dial.
    pub hosts: Vec<String>,
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
}

/// Go's wording for a certificate outside its validity at `at`.
pub fn go_validity_error(cert: &Cert, at: i64) -> Option<String> {
    if at > cert.not_after {
        Some(format!(
            "x509: certificate has expired or is not yet valid: current time {} is after {}",
            format_time(at),
            format_time(cert.not_after)
        ))
    } else if at < cert.not_before {
        Some(format!(
            "x509: certificate has expired or is not yet valid: current time {} is before {}",
            format_time(at),
            format_time(cert.not_before)
        ))
    } else {
        None
    }
}

/// Go's wording when `host` is not among the certificate's SANs.
pub fn go_hostname_error(cert: &Cert, host: &str) -> String {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        let ips: Vec<String> =
            cert.ext.sans.iter().filter_map(|s| if let San::Ip(i) = s { Some(i.to_string()) } else { None }).collect();
        if ips.is_empty() {
            return format!("x509: cannot validate certificate for {ip} because it doesn't contain any IP SANs");
        }
        return format!("x509: certificate is valid for {}, not {ip}", ips.join(", "));
    }
    let names: Vec<String> =
        cert.ext.sans.iter().filter_map(|s| if let San::Dns(d) = s { Some(d.clone()) } else { None }).collect();
    if names.is_empty() {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    }
    format!("x509: certificate is valid for {}, not {host}", names.join(", "))
}

const UNKNOWN_AUTHORITY: &str = "x509: certificate signed by unknown authority";
const INCOMPATIBLE_USAGE: &str = "x509: certificate specifies an incompatible key usage";

fn unix(at: i64) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(u64::try_from(at).unwrap_or(0)))
}

/// Runs webpki's path validation of `cert` to `ca` for one usage at `at`.
fn webpki_chain(cert: &Cert, ca: &Cert, usage: Usage, at: i64) -> Result<(), webpki::Error> {
    let der = CertificateDer::from(cert.der.as_slice());
    let ee = EndEntityCert::try_from(&der)?;
    let ca_der = CertificateDer::from(ca.der.as_slice());
    let anchor = webpki::anchor_from_trusted_cert(&ca_der)?;
    let usage = match usage {
        Usage::Server => KeyUsage::server_auth(),
        Usage::Client => KeyUsage::client_auth(),
    };
    ee.verify_for_usage(webpki::ALL_VERIFICATION_ALGS, &[anchor], &[], unix(at), usage, None, None).map(|_| ())
}

/// Whether webpki accepts `cert` for `host`.
fn webpki_host(cert: &Cert, host: &str) -> bool {
    let der = CertificateDer::from(cert.der.as_slice());
    let Ok(ee) = EndEntityCert::try_from(&der) else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let Ok(name) = ServerName::try_from(host) else { return false };
    ee.verify_is_valid_for_subject_name(&name).is_ok()
}

/// Describes who signed `cert` when it is not `ca`.
fn issuer_note(cert: &Cert, ca: &Cert, ca_name: &str) -> String {
    if cert.issuer_raw == ca.subject_raw {
        format!("issuer name matches {ca_name} ({}) but the signature does not verify with its key", ca.subject)
    } else {
        format!("signed by '{}', not by {ca_name} ('{}')", cert.issuer, ca.subject)
    }
}

/// `x` brought into `[lo, hi]`; an empty range (notBefore after notAfter, from hostile input)
/// leaves it as it is instead of panicking as `i64::clamp` would.
fn clamp(x: i64, lo: i64, hi: i64) -> i64 {
    if lo <= hi { x.max(lo).min(hi) } else { x }
}

/// Every check `expect` asks for, in a fixed order.
pub fn check(cert: &Cert, expect: &Expect<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = expect.at;

    // Validity of the certificate itself.
    match go_validity_error(cert, at) {
        Some(go) => out.push(Finding::fail(
            Check::Validity,
            format!(
                "valid {} to {}; checked at {}",
                format_time(cert.not_before),
                format_time(cert.not_after),
                format_time(at)
            ),
            Some(go),
        )),
        None => {
            let left = cert.not_after - at;
            if left < expect.warn_within {
                out.push(Finding::warn(
                    Check::Expiry,
                    format!("expires {} ({} days left)", format_time(cert.not_after), left / DAY),
                ));
            } else {
                out.push(Finding::ok(Check::Validity, format!("valid until {}", format_time(cert.not_after))));
            }
        }
    }

    // Chain to the CA, for each required usage (webpki decides; we name the cause).
    if let Some(ca) = expect.ca {
        let usages: Vec<Usage> = if expect.purposes.is_empty() {
            vec![if cert.ext.usages.contains(&Usage::Server) { Usage::Server } else { Usage::Client }]
        } else {
            expect.purposes.clone()
        };
        // Chain first with a time inside the certificate's validity, so a chain defect is
        // reported as such even when the certificate has also expired.
        let chain_time = clamp(clamp(at, cert.not_before, cert.not_after), ca.not_before, ca.not_after);
        let mut chain_ok = true;
        let first = usages.first().copied().unwrap_or(Usage::Client);
        match webpki_chain(cert, ca, first, chain_time) {
            Ok(()) => {}
            Err(webpki::Error::RequiredEkuNotFoundContext(_)) => {}
            Err(e) => {
                chain_ok = false;
                let go = match e {
                    webpki::Error::CaUsedAsEndEntity => None,
                    _ => Some(UNKNOWN_AUTHORITY.to_string()),
                };
                let why = match e {
                    webpki::Error::UnknownIssuer | webpki::Error::InvalidSignatureForPublicKey => {
                        issuer_note(cert, ca, &expect.ca_name)
                    }
                    other => format!("does not chain to {}: {other:?}", expect.ca_name),
                };
                out.push(Finding::fail(Check::Chain, why, go));
            }
        }
        if chain_ok {
            out.push(Finding::ok(Check::Chain, format!("signed by {} ({})", expect.ca_name, ca.subject)));
            for usage in &usages {
                out.push(purpose_finding(cert, *usage, webpki_chain(cert, ca, *usage, chain_time).is_ok()));
            }
        }
        if let Some(go) = go_validity_error(ca, at) {
            out.push(Finding::fail(
                Check::CaValidity,
                format!("the CA {} is not valid at {}", expect.ca_name, format_time(at)),
                Some(go),
            ));
        }
        if cert.not_after > ca.not_after {
            out.push(Finding::fail(
                Check::Lifetime,
                format!(
                    "outlives its CA: expires {}, the CA {}; it stops verifying when the CA expires",
                    format_time(cert.not_after),
                    format_time(ca.not_after)
                ),
                None,
            ));
        }
    } else if !expect.purposes.is_empty() {
        for usage in &expect.purposes {
            let allowed = !cert.ext.has_eku || cert.ext.usages.contains(usage);
            out.push(purpose_finding(cert, *usage, allowed));
        }
    }

    for host in &expect.hosts {
        if webpki_host(cert, host) {
            out.push(Finding::ok(Check::Host, format!("valid for {host}")));
        } else {
            out.push(Finding::fail(
                Check::Host,
                format!("not valid for {host}: SANs are {}", describe_sans(cert)),
                Some(go_hostname_error(cert, host)),
            ));
        }
    }

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
        if fits {
            out.push(Finding::ok(Check::O, format!("groups [{}]", cert.subject.orgs().join(", "))));
        } else {
            out.push(Finding::fail(
                Check::O,
                format!("groups (O) are [{}], expected {}", cert.subject.orgs().join(", "), want.join(" or ")),
                None,
            ));
        }
    }
    if let Some(key) = &expect.key {
        if *key == cert.public_key {
            out.push(Finding::ok(Check::Key, "the private key matches"));
        } else {
            out.push(Finding::fail(
                Check::Key,
                "the private key does not match the certificate",
                Some("tls: private key does not match public key".into()),
            ));
        }
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
            Some(INCOMPATIBLE_USAGE.into()),
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
    cert.ext.sans.iter().map(San::to_openssl).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{Csr, build};
    use crate::finding::{Status, worst};
    use crate::issue::{Ca, IssueOptions, self_sign};
    use crate::key::{Algorithm, PrivateKey};
    use crate::name::Subject;
    use crate::profile::{Params, find};
    use crate::request::Request;

    const NOW: i64 = 1_795_000_000;

    fn ca() -> Ca {
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let req = find("ca").and_then(|p| p.request(&Params::default())).expect("req");
        let csr = Csr::from_der(&build(&req, &key).expect("csr"), "t").expect("csr");
        let opts = IssueOptions { lifetime: 3650 * DAY, now: NOW, ..IssueOptions::default() };
        let cert = Cert::from_der(&self_sign(&csr, &key, &opts).expect("ca").der, "ca").expect("parse");
        Ca::new(cert, key, "ca.crt", "ca.key", NOW).expect("ca")
    }

    fn leaf(ca: &Ca, usages: &[Usage], sans: &[&str]) -> Cert {
        let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
        let req = Request {
            subject: Subject::new(Some("srv"), &["g".to_string()]),
            sans: sans.iter().map(|s| San::parse(s).expect("san")).collect(),
            usages: usages.to_vec(),
            is_ca: false,
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
            ca: Some(&ca.cert),
            ca_name: "ca.crt".into(),
            purposes: vec![Usage::Server],
            hosts: vec!["node-1".into(), "10.0.0.10".into()],
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
            ca: Some(&other.cert),
            ca_name: "etcd/ca.crt".into(),
            hosts: vec!["10.0.0.11".into(), "node-2".into()],
            cn: Some("kube-apiserver".into()),
            at: NOW + 400 * DAY,
            ..Expect::default()
        };
        let findings = check(&cert, &expect);
        let go: Vec<&str> = findings.iter().filter_map(|f| f.go_error.as_deref()).collect();
        assert!(go.contains(&"x509: certificate signed by unknown authority"), "{go:?}");
        assert!(go.contains(&"x509: certificate is valid for 10.0.0.10, not 10.0.0.11"), "{go:?}");
        assert!(go.contains(&"x509: certificate is valid for node-1, not node-2"), "{go:?}");
        assert!(go.iter().any(|g| g.starts_with("x509: certificate has expired or is not yet valid: current time")));
        assert!(findings.iter().any(|f| f.check == Check::Cn && f.status == Status::Fail));
        let purpose =
            check(&cert, &Expect { ca: Some(&ca.cert), purposes: vec![Usage::Client], at: NOW, ..Expect::default() });
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
