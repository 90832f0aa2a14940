//! What a signer says about a certificate it is about to issue: a subject with characters
//! outside ASCII (a look-alike is another name to Kubernetes), a validity window that cannot
//! verify (already expired, not valid yet, never valid while its CA is), a server certificate
//! without SANs.

use crate::csr::Csr;
use crate::usage::Usage;
use crate::validity::format_time;

/// The warnings for issuing `csr` as `(is_ca, usages)` for `window` under a CA valid `ca_window`.
pub(super) fn before_signing(
    csr: &Csr,
    (is_ca, usages): (bool, &[Usage]),
    window: (i64, i64),
    ca_window: (i64, i64),
    now: i64,
) -> Vec<String> {
    let mut out: Vec<String> = csr
        .request
        .subject
        .non_ascii()
        .into_iter()
        .map(|marked| {
            format!(
                "signed a subject with characters outside ASCII: {marked}; Kubernetes compares names byte for byte, so a look-alike is another user or group"
            )
        })
        .collect();
    out.extend(window_warnings(window, ca_window, now));
    if !is_ca && usages.contains(&Usage::Server) && csr.request.sans.is_empty() {
        out.push(format!(
            "a server certificate without SANs: Go clients ignore the CN (since Go 1.15) and refuse it: \
             'x509: certificate relies on legacy Common Name field, use SANs instead'; add the names clients dial \
             (k8s-csr --san){}",
            csr.request.subject.cn().map(|cn| format!(", e.g. --san {}", crate::explain::sh(cn))).unwrap_or_default()
        ));
    }
    out
}

/// What is wrong with a validity window chosen by date (`--not-before`, `--not-after`): a
/// certificate issued already expired, not valid for more than a day yet, or never valid while
/// its CA is.
fn window_warnings((not_before, not_after): (i64, i64), (ca_from, ca_until): (i64, i64), now: i64) -> Vec<String> {
    let mut out = Vec::new();
    if not_after < now {
        out.push(format!(
            "the certificate has already expired: its notAfter {} is in the past",
            format_time(not_after)
        ));
    } else if not_before > now + crate::validity::DAY {
        out.push(format!("the certificate is not valid yet: its notBefore is {}", format_time(not_before)));
    }
    if not_after < ca_from || ca_until < not_before {
        out.push(format!(
            "the certificate ({} to {}) is never valid while its CA is ({} to {}): no verifier accepts it",
            format_time(not_before),
            format_time(not_after),
            format_time(ca_from),
            format_time(ca_until)
        ));
    }
    out
}
