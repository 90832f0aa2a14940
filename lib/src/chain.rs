//! Path validation as Go's `x509.Certificate.Verify` does it (crypto/x509/verify.go and
//! cert_pool.go, go1.19 through go1.24): the same candidate order, the same checks in the
//! same order, the same error — including the "possibly because of …" hint. Kubernetes
//! verifies every certificate this way, so this is what k8s-verify's verdicts follow.

use std::fmt;

use crate::cert::Cert;
use crate::go_release::GoRelease;
use crate::go_signature::check_signature_from;
use crate::name_constraints::{Refusal, go_quote};
use crate::usage::Usage;
use crate::validity::format_time;

/// What `VerifyOptions` would say.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// `Roots`.
    pub roots: &'a [Cert],
    /// `Intermediates`.
    pub intermediates: &'a [Cert],
    /// `CurrentTime`, seconds.
    pub at: i64,
    /// `KeyUsages`; empty means `ExtKeyUsageAny` here (the chain only).
    pub usages: Vec<Usage>,
    /// Which release's rules.
    pub go: GoRelease,
}

/// Go's error, by kind; `Display` is Go's `Error()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GoError {
    /// UnhandledCriticalExtension.
    UnhandledCriticalExtension,
    /// CertificateInvalidError{Expired}, with Go's detail.
    Expired(String),
    /// NotAuthorizedToSign.
    NotAuthorizedToSign,
    /// TooManyIntermediates.
    TooManyIntermediates,
    /// IncompatibleUsage.
    IncompatibleUsage,
    /// NameMismatch.
    NameMismatch,
    /// TooManyConstraints: the name-constraint comparison budget spent.
    TooManyConstraints,
    /// CANotAuthorizedForThisName, with detail.
    NotAuthorizedForName(String),
    /// An error Go returns as is (constraint parsing, signature limit).
    Other(String),
    /// UnknownAuthorityError, with the hint (error text, candidate's name) and the issuer
    /// that was not found (of the leaf, or of an intermediate on the way).
    UnknownAuthority(Option<(String, String)>, String),
}

impl fmt::Display for GoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoError::UnhandledCriticalExtension => f.write_str("x509: unhandled critical extension"),
            GoError::Expired(detail) => write!(f, "x509: certificate has expired or is not yet valid: {detail}"),
            GoError::NotAuthorizedToSign => {
                f.write_str("x509: certificate is not authorized to sign other certificates")
            }
            GoError::TooManyIntermediates => f.write_str("x509: too many intermediates for path length constraint"),
            GoError::IncompatibleUsage => f.write_str("x509: certificate specifies an incompatible key usage"),
            GoError::NameMismatch => f.write_str("x509: issuer name does not match subject from issuing certificate"),
            // CertificateInvalidError.Error() has no case for TooManyConstraints.
            GoError::TooManyConstraints => f.write_str("x509: unknown error"),
            GoError::NotAuthorizedForName(detail) => {
                write!(f, "x509: a root or intermediate certificate is not authorized to sign for this name: {detail}")
            }
            GoError::Other(text) => f.write_str(text),
            GoError::UnknownAuthority(None, _) => f.write_str("x509: certificate signed by unknown authority"),
            GoError::UnknownAuthority(Some((err, name)), _) => write!(
                f,
                "x509: certificate signed by unknown authority (possibly because of {} while trying to verify candidate authority certificate {})",
                go_quote(err),
                go_quote(name)
            ),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Leaf,
    Intermediate,
    Root,
}

/// Extensions Go's parser handles (parser.go processExtensions); a critical extension outside
/// this list is unhandled.
const HANDLED: &[&str] = &[
    "2.5.29.15",         // key usage
    "2.5.29.19",         // basic constraints
    "2.5.29.17",         // subject alternative name
    "2.5.29.30",         // name constraints
    "2.5.29.31",         // CRL distribution points
    "2.5.29.35",         // authority key identifier
    "2.5.29.37",         // extended key usage
    "2.5.29.14",         // subject key identifier
    "2.5.29.32",         // certificate policies
    "1.3.6.1.5.5.7.1.1", // authority information access
];
const POLICY_EXTENSIONS: &[&str] = &["2.5.29.33", "2.5.29.36", "2.5.29.54"];

fn has_unhandled_critical(c: &Cert, go: GoRelease) -> bool {
    let unknown = c.ext.unknown.iter().any(|(oid, critical)| {
        let oid = oid.to_string();
        *critical
            && !HANDLED.contains(&oid.as_str())
            && !(go.handles_policy_extensions() && POLICY_EXTENSIONS.contains(&oid.as_str()))
    });
    // A critical SAN of no name Go parses, or critical name constraints of a kind it does not handle.
    let san = c.ext.san_critical && c.ext.sans.is_empty();
    let nc = c.ext.name_constraints.as_ref().is_some_and(|(nc, critical)| *critical && nc.unhandled);
    unknown || san || nc
}

/// Go's default `VerifyOptions.MaxConstraintComparisions` (verify.go isValid: 250000), the
/// name-constraint comparisons one candidate CA may cost before Go gives up.
pub const MAX_CONSTRAINT_COMPARISONS: usize = 250_000;

/// Go's validity check: `notBefore` and `notAfter` are inclusive.
pub fn validity(c: &Cert, at: i64) -> Result<(), GoError> {
    if at < c.not_before {
        return Err(GoError::Expired(format!(
            "current time {} is before {}",
            format_time(at),
            format_time(c.not_before)
        )));
    }
    if at > c.not_after {
        return Err(GoError::Expired(format!(
            "current time {} is after {}",
            format_time(at),
            format_time(c.not_after)
        )));
    }
    Ok(())
}

fn is_valid(c: &Cert, kind: Kind, chain: &[&Cert], opts: &Options<'_>) -> Result<(), GoError> {
    if has_unhandled_critical(c, opts.go) {
        return Err(GoError::UnhandledCriticalExtension);
    }
    if let Some(child) = chain.last()
        && child.issuer_raw != c.subject_raw
    {
        return Err(GoError::NameMismatch);
    }
    validity(c, opts.at)?;
    if kind != Kind::Leaf
        && let Some((nc, _)) = &c.ext.name_constraints
    {
        // go1.19/1.20: the leaf's SANs and the CA's own; go1.21: every certificate below the CA.
        let below: Vec<&Cert> = if opts.go.constrains_whole_chain() {
            chain.to_vec()
        } else {
            chain.first().copied().into_iter().chain(std::iter::once(c)).collect()
        };
        let with_sans = below.into_iter().filter(|x| !x.ext.sans.is_empty() || x.ext.san_critical);
        // Go's budget, counted afresh for each candidate (isValid: comparisonCount := 0).
        let mut count = 0usize;
        for cert in with_sans {
            for san in &cert.ext.sans {
                nc.check_counted(san, &mut count, MAX_CONSTRAINT_COMPARISONS, opts.go).map_err(|e| match e {
                    Refusal::TooManyComparisons => GoError::TooManyConstraints,
                    Refusal::Name(detail) if detail.starts_with("x509: cannot parse ") => GoError::Other(detail),
                    Refusal::Name(detail) => GoError::NotAuthorizedForName(detail),
                })?;
            }
        }
    }
    if kind == Kind::Intermediate && !c.is_ca() {
        return Err(GoError::NotAuthorizedToSign);
    }
    if let (Some(_), Some(max)) = (c.ext.is_ca, c.ext.path_len)
        && chain.len().saturating_sub(1) > usize::from(max)
    {
        return Err(GoError::TooManyIntermediates);
    }
    Ok(())
}

/// Go's CertPool.findPotentialParents: certificates whose subject is `cert`'s issuer, those
/// whose key identifiers match first, then those with one identifier missing, then the rest.
fn potential_parents<'a>(pool: &'a [Cert], cert: &Cert, go: GoRelease) -> Vec<&'a Cert> {
    let mut ranked: Vec<(u8, &Cert)> = Vec::new();
    let mut seen: Vec<&[u8]> = Vec::new();
    for candidate in pool {
        if candidate.subject_raw != cert.issuer_raw || seen.contains(&candidate.der.as_slice()) {
            continue;
        }
        // A pool never holds what Go cannot parse (AppendCertsFromPEM skips it); go1.22 also
        // skips an issuer whose key it cannot use.
        if crate::go_parse::check(&candidate.der, go).is_err()
            || (go.skips_unknown_key_issuers() && !crate::go_signature::key_is_known(candidate))
        {
            continue;
        }
        seen.push(&candidate.der);
        let (ski, aki) = (candidate.ext.ski.as_deref().unwrap_or(&[]), cert.ext.aki.as_deref().unwrap_or(&[]));
        let rank = if ski == aki {
            0
        } else if ski.is_empty() != aki.is_empty() {
            1
        } else {
            2
        };
        ranked.push((rank, candidate));
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    ranked.into_iter().map(|(_, c)| c).collect()
}

fn already_in_chain(candidate: &Cert, chain: &[&Cert]) -> bool {
    chain.iter().any(|c| {
        c.subject_raw == candidate.subject_raw
            && c.public_key == candidate.public_key
            && c.ext.sans == candidate.ext.sans
            && c.ext.other_sans == candidate.ext.other_sans
    })
}

const MAX_SIGNATURE_CHECKS: usize = 100;

fn build_chains<'a>(
    c: &'a Cert,
    chain: &[&'a Cert],
    sig_checks: &mut usize,
    opts: &Options<'a>,
) -> Result<Vec<Vec<&'a Cert>>, GoError> {
    let mut chains: Vec<Vec<&'a Cert>> = Vec::new();
    let mut err: Option<GoError> = None;
    let mut hint: Option<(String, String)> = None;
    let candidates = potential_parents(opts.roots, c, opts.go)
        .into_iter()
        .map(|r| (Kind::Root, r))
        .chain(potential_parents(opts.intermediates, c, opts.go).into_iter().map(|i| (Kind::Intermediate, i)));
    for (kind, candidate) in candidates {
        if already_in_chain(candidate, chain) {
            continue;
        }
        *sig_checks += 1;
        if *sig_checks > MAX_SIGNATURE_CHECKS {
            err = Some(GoError::Other(
                "x509: signature check attempts limit reached while verifying certificate chain".into(),
            ));
            continue;
        }
        if let Err(e) = check_signature_from(c, candidate, opts.go) {
            hint.get_or_insert_with(|| (e, candidate_name(candidate)));
            continue;
        }
        let mut extended = chain.to_vec();
        if let Err(e) = is_valid(candidate, kind, chain, opts) {
            err = Some(e);
            continue;
        }
        err = None;
        extended.push(candidate);
        match kind {
            Kind::Root | Kind::Leaf => chains.push(extended),
            Kind::Intermediate => match build_chains(candidate, &extended, sig_checks, opts) {
                Ok(found) => chains.extend(found),
                Err(e) => err = Some(e),
            },
        }
    }
    if !chains.is_empty() {
        return Ok(chains);
    }
    Err(err.unwrap_or_else(|| GoError::UnknownAuthority(hint, c.issuer.to_string())))
}

/// Go's name for a candidate in the hint: its CN, else its first O, else `serial:N`.
fn candidate_name(c: &Cert) -> String {
    if let Some(cn) = c.subject.cn().filter(|cn| !cn.is_empty()) {
        return cn.to_string();
    }
    if let Some(o) = c.subject.orgs().first() {
        return o.clone();
    }
    format!("serial:{}", decimal(&c.serial))
}

/// A big-endian unsigned integer in decimal, as big.Int prints it.
fn decimal(be: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new();
    let mut n: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    while !n.is_empty() {
        let mut rem = 0u32;
        let mut next = Vec::with_capacity(n.len());
        for b in &n {
            let cur = rem * 256 + u32::from(*b);
            let q = cur / 10;
            rem = cur % 10;
            if !(next.is_empty() && q == 0) {
                next.push(q as u8);
            }
        }
        digits.push(b'0' + rem as u8);
        n = next;
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(*d)).collect()
}

/// Go's checkChainForKeyUsage: walking from the root, each certificate with EKUs (and not
/// anyExtendedKeyUsage) crosses out the requested usages it lacks.
fn chain_allows(chain: &[&Cert], wanted: &[Usage]) -> bool {
    let mut remaining: Vec<Usage> = wanted.to_vec();
    for cert in chain.iter().rev() {
        let e = &cert.ext;
        if e.usages.is_empty() && e.other_ekus.is_empty() {
            continue;
        }
        if e.other_ekus.iter().any(|o| o.to_string() == crate::usage::EKU_ANY) {
            continue;
        }
        remaining.retain(|u| e.usages.contains(u));
        if remaining.is_empty() {
            return false;
        }
    }
    true
}

/// `leaf.Verify(opts)`: the chains Go would return, or its error.
pub fn verify<'a>(leaf: &'a Cert, opts: &Options<'a>) -> Result<Vec<Vec<&'a Cert>>, GoError> {
    // A certificate Go cannot parse never reaches Verify: its parser's error is the verdict.
    crate::go_parse::check(&leaf.der, opts.go).map_err(GoError::Other)?;
    is_valid(leaf, Kind::Leaf, &[], opts)?;
    let candidates = if opts.roots.iter().any(|r| r.der == leaf.der) {
        vec![vec![leaf]]
    } else {
        build_chains(leaf, &[leaf], &mut 0, opts)?
    };
    if opts.usages.is_empty() {
        return Ok(candidates);
    }
    let chains: Vec<Vec<&Cert>> = candidates.into_iter().filter(|c| chain_allows(c, &opts.usages)).collect();
    if chains.is_empty() { Err(GoError::IncompatibleUsage) } else { Ok(chains) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_in_decimal() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0, 0x01, 0x00]), "256");
        assert_eq!(decimal(&[0xff; 9]), "4722366482869645213695");
    }
}
