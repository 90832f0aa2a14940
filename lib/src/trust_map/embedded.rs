//! A kubeconfig inside a ConfigMap or Secret value (`cluster-info`'s `kubeconfig`, a Secret
//! holding a whole kubeconfig): read as plain YAML (no anchors, aliases or tags), only
//! `clusters[].cluster` (a user's `client-key-data` is skipped unread), each
//! `certificate-authority-data` as base64 of PEM.

use serde::Deserialize;

use super::certs::Certs;
use super::fields::{Encoding, Found, Holds, Place, Role};
use super::finding::{Finding, Findings};
use crate::error::Result;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Kubeconfig {
    kind: Option<String>,
    // `null` as kubeadm writes cluster-info's (`users: null`): Option, not a list.
    clusters: Option<Vec<NamedCluster>>,
    users: Option<Vec<NamedUser>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NamedCluster {
    cluster: Cluster,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct Cluster {
    certificate_authority_data: Option<String>,
    certificate_authority: Option<String>,
}

/// A user, read only for whether it holds a key (never what the key is).
#[derive(Deserialize, Default)]
#[serde(default)]
struct NamedUser {
    user: User,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
struct User {
    client_key_data: Option<serde::de::IgnoredAny>,
}

/// The fields holding CAs of the kubeconfig in `bytes` (`public`: it is in a ConfigMap, where a
/// user's key is a finding).
pub fn read(
    bytes: &[u8],
    public: bool,
    place: &Place<'_>,
    certs: &mut Certs,
    findings: &mut Findings,
) -> Result<Vec<Found>> {
    if bytes.len() > super::fields::MAX_KUBECONFIG {
        return Err(super::fields::kubeconfig_too_big(place));
    }
    if !certs.charge_yaml(bytes.len()) {
        findings.push(Finding::warn(
            place.label(),
            "a kubeconfig not read: the dump's kubeconfigs are larger than 16 MiB together",
        ));
        return Ok(Vec::new());
    }
    let shape = crate::yaml::shape(bytes);
    if shape.anchors > 0 || shape.tags > 0 || shape.aliases > 0 {
        findings.push(Finding::fail(place.label(), "a kubeconfig with YAML anchors, aliases or tags: not read"));
        return Ok(Vec::new());
    }
    let Ok(config) = crate::yaml::from_slice::<Kubeconfig>(bytes, "cluster dump", "kubeconfig") else {
        findings.push(Finding::fail(place.label(), "a kubeconfig that cannot be read"));
        return Ok(Vec::new());
    };
    if config.kind.as_deref().is_some_and(|k| k != "Config") {
        return Ok(Vec::new());
    }
    if public && config.users.iter().flatten().any(|u| u.user.client_key_data.is_some()) {
        findings.push(Finding::fail(place.label(), "a private key in a ConfigMap, which is not secret"));
    }
    let mut found = Vec::new();
    for (i, named) in config.clusters.iter().flatten().enumerate() {
        let field = format!("{}:clusters[{i}].cluster.certificate-authority-data", place.field);
        let inner = Place { file: place.file, object: place.object, field };
        match (
            named.cluster.certificate_authority_data.as_deref().filter(|d| !d.is_empty()),
            &named.cluster.certificate_authority,
        ) {
            (Some(data), _) => {
                let role = Role { trust: true, kubeconfig: false, public };
                if let Holds::Cas(cas, pure) =
                    super::fields::read(data, Encoding::Base64, role, &inner, certs, findings)?
                    && !cas.is_empty()
                {
                    found.push(Found { field: inner.field.clone(), cas, pure });
                }
            }
            (None, Some(_)) => {
                let field = inner.field.strip_suffix("-data").unwrap_or(&inner.field);
                findings.push(Finding::ok(format!("{} {field}", place.object), "names a file: not followed"));
            }
            (None, None) => {}
        }
    }
    Ok(found)
}
