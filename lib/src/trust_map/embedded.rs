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
    clusters: Vec<NamedCluster>,
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

/// The fields holding CAs of the kubeconfig in `bytes`.
pub fn read(bytes: &[u8], place: &Place<'_>, certs: &mut Certs, findings: &mut Findings) -> Result<Vec<Found>> {
    if bytes.len() > super::fields::MAX_KUBECONFIG {
        return Err(super::fields::kubeconfig_too_big(place));
    }
    let shape = crate::yaml::shape(bytes);
    if shape.anchors > 0 || shape.tags > 0 || shape.aliases > 0 {
        findings.push(Finding::fail(place.label(), "a kubeconfig with YAML anchors, aliases or tags: not read"));
        return Ok(Vec::new());
    }
    let config: Kubeconfig = match crate::yaml::from_slice(bytes, "cluster dump", "kubeconfig") {
        Ok(c) => c,
        Err(e) => {
            let why = e.message();
            findings.push(Finding::fail(place.label(), format!("a kubeconfig that cannot be read: {why}")));
            return Ok(Vec::new());
        }
    };
    if config.kind.as_deref() != Some("Config") {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for (i, named) in config.clusters.iter().enumerate() {
        let field = format!("{}:clusters[{i}].cluster.certificate-authority-data", place.field);
        let inner = Place { object: place.object, field };
        if let Some(data) = &named.cluster.certificate_authority_data {
            let role = Role { trust: true, kubeconfig: false, public: false };
            if let Holds::Cas(cas) = super::fields::read(data, Encoding::Base64, role, &inner, certs, findings)?
                && !cas.is_empty()
            {
                found.push(Found { field: inner.field.clone(), cas });
            }
        } else if let Some(file) = &named.cluster.certificate_authority {
            let file = crate::term::escape(file);
            findings
                .push(Finding::ok(inner.label().replace("-data", ""), format!("names the file {file}: not followed")));
        }
    }
    Ok(found)
}
