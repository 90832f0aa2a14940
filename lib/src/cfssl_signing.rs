//! cfssl's signing configuration (`ca-config.json`: `{"signing":{"default":{…},"profiles":{…}}}`),
//! so `cfssl gencert -ca … -config ca-config.json -profile NAME` has a one-to-one translation,
//! `k8s-sign --config ca-config.json --profile NAME`. Read as cfssl 1.2's `config.LoadConfig`
//! and local signer read it (config/config.go, signer/signer.go), with two refusals where cfssl
//! is silent: a profile name the file does not have (cfssl signs with the default profile), and a
//! field k8s-sign does not apply (each is named in a warning, never dropped silently).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::usage::Usage;

/// `ca-config.json`.
#[derive(Debug, Deserialize)]
struct ConfigJson {
    signing: Option<SigningJson>,
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct SigningJson {
    default: Option<ProfileJson>,
    #[serde(default)]
    profiles: BTreeMap<String, ProfileJson>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct ProfileJson {
    #[serde(default)]
    usages: Vec<String>,
    expiry: Option<String>,
    ca_constraint: Option<CaConstraintJson>,
    /// Older cfssl releases' spelling of `ca_constraint.is_ca`.
    is_ca: Option<bool>,
    #[serde(flatten)]
    other: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct CaConstraintJson {
    #[serde(default)]
    is_ca: bool,
    #[serde(default)]
    max_path_len: i64,
    #[serde(default)]
    max_path_len_zero: bool,
}

/// What one profile decides for the certificates it signs.
#[derive(Clone, Debug)]
pub struct SigningProfile {
    /// The profile's name (`default` for the default profile).
    pub name: String,
    /// Extended key usages (serverAuth, clientAuth).
    pub usages: Vec<Usage>,
    /// The key usages cfssl would write, in cfssl's words, when they are not the ones k8s-sign
    /// writes (digitalSignature and keyEncipherment; CAs also keyCertSign).
    pub other_key_usages: Vec<String>,
    /// `expiry`, as written (`8760h`).
    pub expiry: crate::validity::Duration,
    /// `ca_constraint.is_ca`.
    pub is_ca: bool,
    /// The path length constraint of a CA: `max_path_len`, where it is a constraint (a positive
    /// value, or 0 with `max_path_len_zero`, as Go's crypto/x509 reads the pair).
    pub path_len: Option<u8>,
    /// Fields of the file that k8s-sign does not apply, for a warning each.
    pub ignored: Vec<String>,
}

/// cfssl's key usage words (config.KeyUsage) and whether k8s-sign writes that bit on a leaf.
const KEY_USAGES: &[(&str, bool)] = &[
    ("signing", true),
    ("digital signature", true),
    ("key encipherment", true),
    ("content commitment", false),
    ("content committment", false),
    ("data encipherment", false),
    ("key agreement", false),
    ("cert sign", false),
    ("crl sign", false),
    ("encipher only", false),
    ("decipher only", false),
];

/// Reads the signing config file at `path` and picks `profile` (the default profile when `None`).
pub fn read(path: &std::path::Path, name: Option<&str>) -> Result<SigningProfile> {
    profile(&crate::input::read_file(path)?, &path.display().to_string(), name)
}

/// Reads `ca-config.json` and picks `profile` (the default profile when `None`).
pub fn profile(bytes: &[u8], source: &str, profile: Option<&str>) -> Result<SigningProfile> {
    let config: ConfigJson = serde_json::from_slice(bytes)
        .map_err(|e| Error::input(source, format!("not a cfssl signing config{}", crate::input::json_where(&e))))?;
    let signing = config.signing.ok_or_else(|| Error::input(source, "no \"signing\" object"))?;
    let mut ignored: Vec<String> = config.other.keys().map(|k| format!("\"{}\"", crate::term::sanitize(k))).collect();
    let (name, chosen) = match profile {
        Some(name) => match signing.profiles.get(name) {
            Some(p) => (name.to_string(), p.clone()),
            None => {
                let known: Vec<&str> = signing.profiles.keys().map(String::as_str).collect();
                return Err(Error::usage(format!(
                    "{source} has no profile '{}' (it has: {}); cfssl would sign with the default profile instead",
                    crate::term::sanitize(name),
                    crate::term::sanitize(&known.join(", "))
                )));
            }
        },
        None => ("default".to_string(), signing.default.clone().unwrap_or_default()),
    };
    let shown = crate::term::sanitize(&name);
    let expiry = chosen.expiry.as_deref().filter(|e| !e.trim().is_empty()).ok_or_else(|| {
        Error::input(source, format!("profile {shown} has no \"expiry\" (cfssl refuses the file: empty expiry string)"))
    })?;
    let expiry: crate::validity::Duration =
        expiry.parse().map_err(|e: String| Error::input(source, format!("profile {shown}: expiry: {e}")))?;
    let mut usages = Vec::new();
    let mut other_key_usages = Vec::new();
    for word in &chosen.usages {
        match (word.as_str(), KEY_USAGES.iter().find(|(w, _)| w == word)) {
            ("server auth", _) => usages.push(Usage::Server),
            ("client auth", _) => usages.push(Usage::Client),
            (_, Some((_, true))) => {}
            (_, Some((w, false))) => other_key_usages.push((*w).to_string()),
            (other, None) => {
                return Err(Error::input(
                    source,
                    format!(
                        "profile {shown}: usage '{}' is not one k8s-sign issues (Kubernetes TLS: server auth, client auth)",
                        crate::term::sanitize(other)
                    ),
                ));
            }
        }
    }
    usages.sort();
    usages.dedup();
    let constraint = chosen.ca_constraint.clone().unwrap_or_default();
    let is_ca = constraint.is_ca || chosen.is_ca.unwrap_or(false);
    // A CA's own bits are keyCertSign (and cRLSign, which k8s-sign does not write).
    other_key_usages.retain(|u| !(is_ca && u == "cert sign"));
    if usages.is_empty() && !is_ca {
        return Err(Error::input(
            source,
            format!("profile {shown} grants no server auth or client auth (cfssl: no key usage available)"),
        ));
    }
    let path_len = crate::ext::go_path_len(constraint.max_path_len, constraint.max_path_len_zero)
        .map_err(|n| {
            Error::input(
                source,
                format!(
                    "profile {shown}: max_path_len {n} is not a path length (-1 or 0 for none, 0 with max_path_len_zero, 1 to 255)"
                ),
            )
        })?
        .filter(|_| is_ca);
    ignored.extend(chosen.other.keys().map(|k| format!("\"{}\" of profile {shown}", crate::term::sanitize(k))));
    Ok(SigningProfile { name, usages, other_key_usages, expiry, is_ca, path_len, ignored })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HARD_WAY: &[u8] = br#"{"signing":{"default":{"expiry":"8760h"},"profiles":{"kubernetes":{"usages":["signing","key encipherment","server auth","client auth"],"expiry":"8760h"},"intermediate":{"usages":["cert sign","crl sign"],"ca_constraint":{"is_ca":true,"max_path_len":0,"max_path_len_zero":true},"expiry":"43800h","ocsp_url":"http://x"}}}}"#;

    #[test]
    fn reads_kubernetes_the_hard_way_and_an_intermediate_profile() {
        let p = profile(HARD_WAY, "c", Some("kubernetes")).expect("profile");
        assert_eq!(p.usages, vec![Usage::Server, Usage::Client]);
        assert!(!p.is_ca && p.path_len.is_none() && p.ignored.is_empty() && p.other_key_usages.is_empty());
        assert_eq!(p.expiry.seconds_from(0).ok(), Some(8760 * 3600));
        let i = profile(HARD_WAY, "c", Some("intermediate")).expect("intermediate");
        assert!(i.is_ca && i.path_len == Some(0) && i.usages.is_empty());
        assert_eq!(i.other_key_usages, vec!["crl sign"]);
        assert_eq!(i.ignored, vec!["\"ocsp_url\" of profile intermediate"]);
    }

    #[test]
    fn refuses_what_cfssl_refuses_and_what_it_would_do_silently() {
        let unknown = profile(HARD_WAY, "c", Some("kubrnetes")).expect_err("unknown");
        assert!(unknown.to_string().contains("has no profile 'kubrnetes' (it has: intermediate, kubernetes)"));
        // The default profile has no usages: cfssl says "no key usage available".
        assert!(profile(HARD_WAY, "c", None).is_err());
        let no_expiry = br#"{"signing":{"profiles":{"p":{"usages":["client auth"]}}}}"#;
        assert!(profile(no_expiry, "c", Some("p")).expect_err("expiry").to_string().contains("empty expiry string"));
        let code = br#"{"signing":{"default":{"usages":["code signing"],"expiry":"1h"}}}"#;
        assert!(profile(code, "c", None).expect_err("code").to_string().contains("'code signing'"));
        assert!(profile(b"[]", "c", None).is_err());
    }
}
