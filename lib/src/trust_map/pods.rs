//! Who mounts a carrier: every Pod reference to a ConfigMap, Secret or ClusterTrustBundle
//! (volumes, projected sources, `env` key references and `envFrom`, in every kind of
//! container), matched in the Pod's namespace and, with `items` or a key reference, by key. A
//! reference to an object the dump lacks is a warning, `optional` or not: unknown is never ok.

use std::collections::HashMap;

use super::carriers::Carrier;
use super::finding::{Finding, Findings};
use super::object::{Object, ObjectRef, Source, Spec, TrustBundleProjection};

/// A Pod consuming an object that carries CAs (once per place it names the object, whatever
/// the number of the object's fields it takes).
#[derive(Clone, Debug)]
pub struct Use {
    /// The Pod.
    pub pod: ObjectRef,
    /// Where the Pod names it (`spec.volumes[2].projected.sources[1].configMap`).
    pub field: String,
    /// The object (`ConfigMap team-a/kube-root-ca.crt`).
    pub via: String,
    /// The CAs the Pod takes from it, each once.
    pub cas: Vec<String>,
}

/// What the Pods are matched against: the objects present and their carriers.
pub struct Index<'a> {
    /// Carriers of each object, by (kind, namespace, name).
    by_object: HashMap<(&'a str, Option<&'a str>, &'a str), Vec<usize>>,
    /// Objects present, by (kind, namespace, name).
    present: HashMap<(&'a str, Option<&'a str>, &'a str), &'a Object>,
    /// ClusterTrustBundles by signer name: (name, labels).
    by_signer: HashMap<&'a str, Vec<(&'a str, &'a Object)>>,
    carriers: &'a [Carrier],
}

impl<'a> Index<'a> {
    /// Indexes the dump's objects and the carriers found in them.
    pub fn new(objects: &'a std::collections::BTreeMap<ObjectRef, Object>, carriers: &'a [Carrier]) -> Index<'a> {
        let mut by_object: HashMap<_, Vec<usize>> = HashMap::new();
        for (i, c) in carriers.iter().enumerate() {
            by_object
                .entry((c.object.kind.as_str(), c.object.namespace.as_deref(), c.object.name.as_str()))
                .or_default()
                .push(i);
        }
        let present =
            objects.iter().map(|(r, o)| ((r.kind.as_str(), r.namespace.as_deref(), r.name.as_str()), o)).collect();
        let mut by_signer: HashMap<&str, Vec<(&str, &Object)>> = HashMap::new();
        for (r, o) in objects.iter().filter(|(r, _)| r.kind == "ClusterTrustBundle") {
            if let Some(signer) = o.spec.as_ref().and_then(|s| s.signer_name.as_deref()) {
                by_signer.entry(signer).or_default().push((r.name.as_str(), o));
            }
        }
        Index { by_object, present, by_signer, carriers }
    }
}

/// Every use of a carrier by `pod`, and a warning for each object it names that the dump lacks.
pub fn uses(pod: &ObjectRef, spec: &Spec, index: &Index<'_>, findings: &mut Findings) -> Vec<Use> {
    let mut refs = Refs { pod, index, findings, out: Vec::new() };
    for (i, v) in spec.volumes.iter().enumerate() {
        if let Some(s) = &v.config_map {
            refs.object("ConfigMap", s, format!("spec.volumes[{i}].configMap"));
        }
        if let Some(s) = &v.secret {
            refs.object("Secret", s, format!("spec.volumes[{i}].secret"));
        }
        for (j, p) in v.projected.iter().flat_map(|p| p.sources.iter()).enumerate() {
            let at = format!("spec.volumes[{i}].projected.sources[{j}]");
            if let Some(s) = &p.config_map {
                refs.object("ConfigMap", s, format!("{at}.configMap"));
            }
            if let Some(s) = &p.secret {
                refs.object("Secret", s, format!("{at}.secret"));
            }
            if let Some(b) = &p.cluster_trust_bundle {
                refs.trust_bundle(b, format!("{at}.clusterTrustBundle"));
            }
        }
    }
    for (set, list) in [
        ("containers", &spec.containers),
        ("initContainers", &spec.init_containers),
        ("ephemeralContainers", &spec.ephemeral_containers),
    ] {
        for (c, container) in list.iter().enumerate() {
            for (e, env) in container.env.iter().enumerate() {
                let Some(from) = &env.value_from else { continue };
                let at = format!("spec.{set}[{c}].env[{e}].valueFrom");
                if let Some(k) = &from.config_map_key_ref {
                    refs.key("ConfigMap", k.name.as_deref(), &k.key, format!("{at}.configMapKeyRef"));
                }
                if let Some(k) = &from.secret_key_ref {
                    refs.key("Secret", k.name.as_deref(), &k.key, format!("{at}.secretKeyRef"));
                }
            }
            for (e, env) in container.env_from.iter().enumerate() {
                let at = format!("spec.{set}[{c}].envFrom[{e}]");
                if let Some(s) = &env.config_map_ref {
                    refs.object("ConfigMap", s, format!("{at}.configMapRef"));
                }
                if let Some(s) = &env.secret_ref {
                    refs.object("Secret", s, format!("{at}.secretRef"));
                }
            }
        }
    }
    refs.out
}

struct Refs<'a, 'b> {
    pod: &'a ObjectRef,
    index: &'a Index<'b>,
    findings: &'a mut Findings,
    out: Vec<Use>,
}

impl Refs<'_, '_> {
    fn object(&mut self, kind: &str, s: &Source, field: String) {
        self.named(kind, s.object_name(), s.keys().as_deref(), field);
    }

    fn key(&mut self, kind: &str, name: Option<&str>, key: &str, field: String) {
        self.named(kind, name, Some(&[key]), field);
    }

    fn named(&mut self, kind: &str, name: Option<&str>, keys: Option<&[&str]>, field: String) {
        let Some(name) = name else { return };
        let ns = self.pod.namespace.as_deref();
        if !self.index.present.contains_key(&(kind, ns, name)) {
            self.unknown(field, format!("{} is not in the dump: unknown", super::object::label(kind, ns, name)));
            return;
        }
        let taken =
            |carrier: &Carrier| keys.is_none_or(|keys| carrier.key.as_deref().is_some_and(|k| keys.contains(&k)));
        self.push(kind, ns, name, field, taken);
    }

    /// One use of the object, with the CAs of the carriers of it that `taken` keeps.
    fn push(&mut self, kind: &str, ns: Option<&str>, name: &str, field: String, taken: impl Fn(&Carrier) -> bool) {
        let mut cas: Vec<String> = Vec::new();
        for &c in self.index.by_object.get(&(kind, ns, name)).into_iter().flatten() {
            let Some(carrier) = self.index.carriers.get(c).filter(|c| taken(c)) else { continue };
            for id in &carrier.cas {
                if !cas.contains(id) {
                    cas.push(id.clone());
                }
            }
        }
        if !cas.is_empty() {
            let via = super::object::label(kind, ns, name);
            self.out.push(Use { pod: self.pod.clone(), field, via, cas });
        }
    }

    /// One bundle by name, or the union of a signer's bundles that match the selector (unset:
    /// none match; empty: all match; kubernetes/api core/v1 ClusterTrustBundleProjection).
    fn trust_bundle(&mut self, b: &TrustBundleProjection, field: String) {
        if let Some(name) = &b.name {
            if !self.index.present.contains_key(&("ClusterTrustBundle", None, name.as_str())) {
                let label = format!("ClusterTrustBundle {name}");
                self.unknown(field, format!("{label} is not in the dump: unknown"));
                return;
            }
            self.named_bundle(name, &field);
            return;
        }
        let Some(signer) = &b.signer_name else { return };
        let matching: Vec<&str> = self
            .index
            .by_signer
            .get(signer.as_str())
            .into_iter()
            .flatten()
            .filter(|(_, o)| b.label_selector.as_ref().is_some_and(|sel| sel.matches(&o.metadata.labels)))
            .map(|(name, _)| *name)
            .collect();
        if matching.is_empty() {
            self.unknown(
                field.clone(),
                format!("no ClusterTrustBundle of signer {signer} in the dump matches: unknown"),
            );
        }
        for name in matching {
            self.named_bundle(name, &field);
        }
    }

    fn named_bundle(&mut self, name: &str, field: &str) {
        self.push("ClusterTrustBundle", None, name, field.to_string(), |_| true);
    }

    fn unknown(&mut self, field: String, message: String) {
        let object = format!("{} {field}", self.pod.label());
        self.findings.push(Finding::warn(object, message));
    }
}
