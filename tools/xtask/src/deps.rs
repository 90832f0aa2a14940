//! `cargo run -p xtask -- deps`: the dependency checks — every package built for this machine's
//! platform has a licence the project accepts, and no crate is built in two versions except the
//! duplicates listed here with the reason. The packages are those `cargo metadata --locked
//! --filter-platform HOST` lists, which cargo downloads from the registry like a build would: a
//! fresh machine has none of them cached, and packages only other platforms build (Windows ones)
//! are neither downloaded nor checked. (Security advisories need an advisory database that cannot
//! be fetched here; the README says so.)

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Licences any dependency may carry (one alternative of an `OR` is enough).
const ALLOWED: &[&str] = &[
    "MIT",
    "MIT-0",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Unicode-3.0",
    "Zlib",
    "CC0-1.0",
    "Unlicense",
    "BSL-1.0",
];

/// Crates that appear in two versions, and why that is accepted.
const DUPLICATES: &[(&str, &str)] = &[
    ("syn", "3 for clap_derive, 2 for x509-parser's asn1-rs-derive; build time only"),
    ("untrusted", "0.7 for aws-lc-rs, 0.9 for rustls-webpki (under rustls); a few hundred lines each"),
    (
        "getrandom",
        "0.2 only under ring, rustls-webpki's optional backend: cargo metadata lists it, cargo tree shows it is not built",
    ),
];

/// Whether an SPDX expression is satisfied by [`ALLOWED`]: `A OR B` needs one side, `A AND B`
/// both, `A WITH exception` is `A`; `/` is an old spelling of `OR`.
fn allowed(expr: &str) -> bool {
    let expr = expr.replace('/', " OR ").replace('(', " ( ").replace(')', " ) ");
    let tokens: Vec<&str> = expr.split_whitespace().collect();
    let mut pos = 0;
    parse_or(&tokens, &mut pos) && pos == tokens.len()
}

fn parse_or(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = parse_and(t, pos);
    while t.get(*pos) == Some(&"OR") {
        *pos += 1;
        ok |= parse_and(t, pos);
    }
    ok
}

fn parse_and(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = parse_atom(t, pos);
    while t.get(*pos) == Some(&"AND") {
        *pos += 1;
        ok &= parse_atom(t, pos);
    }
    ok
}

fn parse_atom(t: &[&str], pos: &mut usize) -> bool {
    let Some(tok) = t.get(*pos) else { return false };
    *pos += 1;
    let ok = if *tok == "(" {
        let inner = parse_or(t, pos);
        let closed = t.get(*pos) == Some(&")");
        *pos += 1;
        inner && closed
    } else {
        ALLOWED.contains(tok)
    };
    if t.get(*pos) == Some(&"WITH") {
        *pos += 2;
    }
    ok
}

/// The platform this machine builds for: rustc's host triple.
fn host_triple() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc).arg("-vV").output().with_context(|| format!("running {rustc} -vV"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find_map(|l| l.strip_prefix("host: ")) {
        Some(host) if out.status.success() => Ok(host.trim().to_string()),
        _ => bail!("{rustc} -vV printed no host triple"),
    }
}

/// Runs the checks over `cargo metadata` of the locked workspace, for the host platform.
pub fn check() -> Result<()> {
    let host = host_triple()?;
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--filter-platform", &host])
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).context("reading cargo metadata")?;
    let packages = meta["packages"].as_array().context("no packages in cargo metadata")?;
    let mut problems = Vec::new();
    let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in packages {
        let name = p["name"].as_str().unwrap_or("?").to_string();
        let version = p["version"].as_str().unwrap_or("?").to_string();
        match p["license"].as_str() {
            Some(l) if allowed(l) => {}
            Some(l) => problems.push(format!("{name} {version}: licence '{l}' is not accepted")),
            None => problems.push(format!("{name} {version}: no licence declared")),
        }
        versions.entry(name).or_default().insert(version);
    }
    for (name, vs) in &versions {
        if vs.len() > 1 && !DUPLICATES.iter().any(|(d, _)| d == name) {
            problems.push(format!(
                "{name} is built in {} versions ({}): unify them or list the reason",
                vs.len(),
                vs.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    for (name, _) in DUPLICATES {
        if versions.get(*name).is_none_or(|vs| vs.len() < 2) {
            problems.push(format!("{name} is no longer duplicated: remove it from the list"));
        }
    }
    if !problems.is_empty() {
        bail!("dependency check failed:\n  {}", problems.join("\n  "));
    }
    println!("xtask: {} packages for {host}: licences accepted, {} known duplicates", packages.len(), DUPLICATES.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_expressions_are_evaluated() {
        assert!(allowed("MIT OR Apache-2.0"));
        assert!(allowed("MIT/Apache-2.0"));
        assert!(allowed("Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"));
        assert!(allowed("(MIT OR Apache-2.0) AND Unicode-3.0"));
        assert!(allowed("MIT OR Apache-2.0 OR LGPL-2.1-or-later"));
        assert!(!allowed("GPL-3.0-only"));
        assert!(!allowed("MIT AND GPL-3.0-only"));
        assert!(!allowed("(MIT"));
        assert!(!allowed(""));
    }
}
