//! The trust map: which objects of a cluster carry which CA, found by key, and which Pods mount
//! them, from `kubectl get … -o json` dumps (docs/trust-map.md). `k8s-verify --cluster-dump`
//! prints it; `k8s-rotate plan` and `distrust` read it to say which objects a step needs updated
//! and to refuse distrust while one would break.

mod bounded;
pub mod carriers;
pub mod certs;
pub mod commands;
pub mod dump;
mod embedded;
pub mod fields;
pub mod finding;
pub mod go_pem;
pub mod kinds;
pub mod object;
pub mod pods;
pub mod render;
pub mod rotation;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use carriers::Carrier;
use certs::Certs;
use finding::{Finding, Findings};
use object::ObjectRef;

use crate::error::Result;

/// One CA and who carries and mounts it.
#[derive(Debug)]
pub struct CaEntry {
    /// `sha256:HEX` of its key.
    pub spki: String,
    /// The `k8s-rotate` target name, with `--pki-dir`.
    pub name: Option<&'static str>,
    /// `old` or `new` while a rotation is under way.
    pub generation: Option<&'static str>,
    /// What its certificates say.
    pub ca: certs::Ca,
    /// Carriers and the Pods that mount them, sorted by kind, namespace, name, field.
    pub consumers: Vec<Consumer>,
}

/// A carrier, or a Pod mounting one (`via` names the carrier).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Consumer {
    /// Kind.
    pub kind: String,
    /// Namespace (none: cluster-scoped).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// The field.
    pub field: String,
    /// For a Pod: the carrier it mounts (`ConfigMap team-a/kube-root-ca.crt`).
    pub via: Option<String>,
}

/// The map.
#[derive(Debug)]
pub struct TrustMap {
    /// Every CA, sorted by name (unnamed last), then key.
    pub cas: Vec<CaEntry>,
    /// Every field holding a CA.
    pub carriers: Vec<Carrier>,
    /// The findings, in the order found.
    pub findings: Findings,
    /// The rotation under way (`--pki-dir`).
    pub rotation: Option<tree::Rotation>,
    /// The key of each CA target's current certificate (`--pki-dir`), by target name.
    pub current: std::collections::HashMap<&'static str, String>,
}

/// Maps the objects of the dumps; `pki_dir` names the tree's CAs and reads its rotation.
pub fn build(objects: &dump::Objects, pki_dir: Option<&Path>) -> Result<TrustMap> {
    let mut certs = Certs::default();
    let tree = pki_dir.map(|d| tree::read(d, &mut certs)).transpose()?.unwrap_or_default();
    let mut findings = Findings::default();
    reading_findings(objects, &mut findings);
    let mut carriers = Vec::new();
    for (r, o) in &objects.by_ref {
        carriers.extend(carriers::of(r, o, &mut certs, &mut findings)?);
    }
    let index = pods::Index::new(&objects.by_ref, &carriers);
    let mut uses = Vec::new();
    for (r, o) in objects.by_ref.iter().filter(|(r, _)| r.kind == "Pod" && r.group.is_empty()) {
        if let Some(spec) = &o.spec {
            uses.extend(pods::uses(r, spec, &index, &mut findings));
        }
    }
    let cas = entries(certs, &tree, &carriers, &uses);
    Ok(TrustMap { cas, carriers, findings, rotation: tree.rotation, current: tree.current })
}

impl TrustMap {
    /// Adds the rotation's verdict on each carrier of a rotated CA (none without a rotation).
    pub fn judge_rotation(&mut self) {
        if let Some(rotation) = &self.rotation {
            rotation::verdicts(&self.carriers, rotation, &mut self.findings);
        }
    }
}

/// What reading the dumps noticed: objects held twice, items without a name, objects whose
/// fields could not be read, and the kinds skipped.
fn reading_findings(objects: &dump::Objects, findings: &mut Findings) {
    for (r, first, again) in &objects.replaced {
        let message = if first == again {
            format!("held twice in {again}: the later one was kept")
        } else {
            format!("held by {first} and {again}: the one in {again} was kept")
        };
        findings.push(Finding::warn(r.label(), message));
    }
    for file in &objects.nameless {
        findings.push(Finding::warn(file.clone(), "an item without a kind or a name: skipped"));
    }
    for (r, why) in &objects.invalid {
        findings.push(Finding::fail(r.label(), why.clone()));
    }
    if !objects.skipped.is_empty() {
        let total: usize = objects.skipped.values().sum();
        let kinds: Vec<&str> = objects.skipped.keys().take(8).map(String::as_str).collect();
        let what = if total == 1 { "object of another kind" } else { "objects of other kinds" };
        findings.push(Finding::ok("dump".into(), format!("{total} {what} skipped ({})", kinds.join(", "))));
    }
}

fn entries(certs: Certs, tree: &tree::TreeCas, carriers: &[Carrier], uses: &[pods::Use]) -> Vec<CaEntry> {
    let mut by_ca: BTreeMap<&str, BTreeSet<Consumer>> = BTreeMap::new();
    for c in carriers {
        for id in &c.cas {
            by_ca.entry(id).or_default().insert(consumer(&c.object, &c.field, None));
        }
    }
    for u in uses {
        for id in &u.cas {
            by_ca.entry(id).or_default().insert(consumer(&u.pod, &u.field, Some(u.via.clone())));
        }
    }
    let mut out: Vec<CaEntry> = certs
        .cas
        .into_iter()
        .map(|(spki, ca)| CaEntry {
            name: tree.names.get(&spki).copied(),
            generation: tree.generations.get(&spki).copied(),
            consumers: by_ca.remove(spki.as_str()).map(|s| s.into_iter().collect()).unwrap_or_default(),
            spki,
            ca,
        })
        .collect();
    out.sort_by(|a, b| (a.name.is_none(), a.name, &a.spki).cmp(&(b.name.is_none(), b.name, &b.spki)));
    out
}

fn consumer(r: &ObjectRef, field: &str, via: Option<String>) -> Consumer {
    Consumer {
        kind: r.kind.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
        field: field.to_string(),
        via,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(json: &str) -> dump::Objects {
        dump::reset();
        dump::Objects::from_items(dump::parse(json.as_bytes(), "t").expect("parses"), "t")
    }

    fn pem() -> String {
        crate::pem::encode_pem("CERTIFICATE", &crate::test_pki::ca().cert.der)
    }

    #[test]
    fn a_pod_consumes_only_the_keys_it_names_and_unknown_objects_warn() {
        let ca = serde_json::to_string(&pem()).expect("json");
        let dump = format!(
            r#"{{"kind":"List","items":[
            {{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c","namespace":"n"}},"data":{{"ca.crt":{ca},"app.conf":"x"}}}},
            {{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"only-app","namespace":"n"}},"spec":{{"volumes":[
                {{"configMap":{{"name":"c","items":[{{"key":"app.conf"}}]}}}}]}}}},
            {{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"all","namespace":"n"}},"spec":{{"volumes":[
                {{"configMap":{{"name":"c"}}}},{{"secret":{{"secretName":"gone","optional":true}}}}]}}}},
            {{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"d","namespace":"n"}}}}]}}"#
        );
        let map = build(&objects(&dump), None).expect("map");
        assert_eq!(map.cas.len(), 1);
        let consumers: Vec<(&str, &str, Option<&str>)> =
            map.cas[0].consumers.iter().map(|c| (c.name.as_str(), c.field.as_str(), c.via.as_deref())).collect();
        assert_eq!(
            consumers,
            [("c", "data.ca.crt", None), ("all", "spec.volumes[0].configMap", Some("ConfigMap n/c"))],
            "ConfigMap first (kind order), and only the Pod that takes ca.crt"
        );
        let findings: Vec<(crate::finding::Status, &str)> =
            map.findings.all().iter().map(|f| (f.status, f.message.as_str())).collect();
        assert_eq!(
            findings,
            [
                (crate::finding::Status::Ok, "1 object of another kind skipped (Deployment)"),
                (crate::finding::Status::Warn, "Secret n/gone is not in the dump: unknown"),
            ]
        );
    }

    #[test]
    fn the_same_key_in_two_encodings_is_one_ca() {
        use base64::Engine;
        let text = pem();
        let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        let rewrapped = text.replace('\n', "\r\n");
        let dump = format!(
            r#"{{"kind":"List","items":[
            {{"apiVersion":"v1","kind":"Secret","metadata":{{"name":"s","namespace":"n"}},"data":{{"ca.crt":"{b64}"}}}},
            {{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c","namespace":"n"}},"data":{{"ca.crt":{}}}}},
            {{"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{{"name":"v1.x"}},"spec":{{"service":{{"name":"s"}},"caBundle":"{b64}"}}}}]}}"#,
            serde_json::to_string(&rewrapped).expect("json")
        );
        let map = build(&objects(&dump), None).expect("map");
        assert_eq!(map.cas.len(), 1);
        assert_eq!(map.cas[0].consumers.len(), 3);
        assert_eq!(map.cas[0].ca.certificates.len(), 1);
    }
}
