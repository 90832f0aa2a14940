//! The fields of a dumped object the trust map reads, and nothing else: the rest of an object
//! is skipped while parsing. Field names are the API's (kubernetes/api `core/v1/types.go`,
//! `admissionregistration/v1`, kube-aggregator `apiregistration/v1`, apiextensions-apiserver
//! `apiextensions/v1`, `certificates/v1beta1`, v0.33.0).

use std::collections::BTreeMap;

use serde::Deserialize;

/// A value of any shape the map only needs to know is there: skipped, not kept.
pub type Skip = Option<serde::de::IgnoredAny>;

/// What identifies an object: API group, kind, namespace, name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// The API group (`""` for core).
    pub group: String,
    /// The kind.
    pub kind: String,
    /// The namespace (none for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

/// `Kind namespace/name` (or `Kind name`), as messages name objects: the values as they are (the
/// text output escapes them, JSON writes them escaped).
pub fn label(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

impl ObjectRef {
    /// Its [`label`].
    pub fn label(&self) -> String {
        label(&self.kind, self.namespace.as_deref(), &self.name)
    }
}

/// One object of a dump.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Object {
    /// The dump it came from (for messages).
    #[serde(skip)]
    pub file: String,
    /// `metadata`.
    pub metadata: Meta,
    /// ConfigMap and Secret `data` (a Secret's values are base64).
    #[serde(deserialize_with = "super::bounded::opt_map")]
    pub data: Option<BTreeMap<String, String>>,
    /// ConfigMap `binaryData` (base64).
    #[serde(deserialize_with = "super::bounded::opt_map")]
    pub binary_data: Option<BTreeMap<String, String>>,
    /// Secret `stringData`.
    #[serde(deserialize_with = "super::bounded::opt_map")]
    pub string_data: Option<BTreeMap<String, String>>,
    /// Secret `type`.
    #[serde(rename = "type")]
    pub secret_type: Option<String>,
    /// Webhook configurations' `webhooks`.
    #[serde(deserialize_with = "super::bounded::opt_vec")]
    pub webhooks: Option<Vec<Webhook>>,
    /// `spec` of Pods, APIServices, CRDs and ClusterTrustBundles (the fields of each).
    pub spec: Option<Box<Spec>>,
}

/// What every item is read for first: its identity (the rest is read only for the kinds the
/// map reads).
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Header {
    /// `apiVersion`.
    pub api_version: Option<String>,
    /// `kind`.
    pub kind: Option<String>,
    /// `metadata.name` and `namespace` (labels are read with the object).
    pub metadata: HeaderMeta,
}

/// `metadata`, without labels.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct HeaderMeta {
    /// Name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
}

impl Header {
    /// Its identity, if it has a kind and a name.
    pub fn reference(&self) -> Option<ObjectRef> {
        let kind = self.kind.clone()?;
        let name = self.metadata.name.clone()?;
        let group = match &self.api_version {
            Some(v) => v.rsplit_once('/').map(|(g, _)| g.to_string()).unwrap_or_default(),
            None => super::kinds::group_of(&kind).unwrap_or_default().to_string(),
        };
        Some(ObjectRef { group, kind, namespace: self.metadata.namespace.clone(), name })
    }
}

/// `metadata`.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct Meta {
    /// Name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Labels (ClusterTrustBundle selection).
    #[serde(deserialize_with = "super::bounded::map")]
    pub labels: BTreeMap<String, String>,
}

/// A webhook's (or a CRD conversion's) `clientConfig`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientConfig {
    /// `caBundle`: base64 of PEM.
    pub ca_bundle: Option<String>,
    /// `url`.
    pub url: Option<String>,
    /// `service`.
    pub service: Skip,
}

/// One entry of `webhooks`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Webhook {
    /// `clientConfig`.
    pub client_config: ClientConfig,
}

/// The `spec` fields read, of every kind that has one.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Spec {
    /// APIService `caBundle`.
    pub ca_bundle: Option<String>,
    /// APIService `service` (none: served by kube-apiserver itself).
    pub service: Skip,
    /// APIService `insecureSkipTLSVerify`.
    #[serde(rename = "insecureSkipTLSVerify", deserialize_with = "super::bounded::flag")]
    pub insecure_skip_tls_verify: bool,
    /// CRD `conversion`.
    pub conversion: Option<Conversion>,
    /// ClusterTrustBundle `trustBundle` (PEM).
    pub trust_bundle: Option<String>,
    /// ClusterTrustBundle `signerName`.
    pub signer_name: Option<String>,
    /// Pod `volumes`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub volumes: Vec<Volume>,
    /// Pod `containers`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub containers: Vec<Container>,
    /// Pod `initContainers`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub init_containers: Vec<Container>,
    /// Pod `ephemeralContainers`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub ephemeral_containers: Vec<Container>,
}

/// CRD `spec.conversion`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Conversion {
    /// `None` or `Webhook`.
    pub strategy: Option<String>,
    /// `webhook`.
    pub webhook: Option<Webhook>,
}

/// A Pod volume.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Volume {
    /// `configMap`.
    pub config_map: Option<Source>,
    /// `secret` (named by `secretName`).
    pub secret: Option<Source>,
    /// `projected`.
    pub projected: Option<Projected>,
}

/// A ConfigMap or Secret a volume or projection names, and the keys it takes.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Source {
    /// `name` (ConfigMap, projected Secret).
    pub name: Option<String>,
    /// `secretName` (Secret volume).
    pub secret_name: Option<String>,
    /// `items`: only these keys (none or empty: every key, as the kubelet reads it).
    #[serde(deserialize_with = "super::bounded::opt_vec")]
    pub items: Option<Vec<KeyToPath>>,
}

impl Source {
    /// The keys it takes, `None` for every key (`items` absent or empty: the kubelet's
    /// `len(items) == 0`).
    pub fn keys(&self) -> Option<Vec<&str>> {
        self.items.as_ref().filter(|i| !i.is_empty()).map(|i| i.iter().map(|k| k.key.as_str()).collect())
    }

    /// The object's name.
    pub fn object_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.secret_name.as_deref())
    }
}

/// One of `items`.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct KeyToPath {
    /// The key.
    pub key: String,
}

/// `projected`.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct Projected {
    /// `sources`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub sources: Vec<Projection>,
}

/// One projected source.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Projection {
    /// `configMap`.
    pub config_map: Option<Source>,
    /// `secret`.
    pub secret: Option<Source>,
    /// `clusterTrustBundle`.
    pub cluster_trust_bundle: Option<TrustBundleProjection>,
}

/// `clusterTrustBundle`: one bundle by name, or those of a signer matching a selector.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct TrustBundleProjection {
    /// `name`.
    pub name: Option<String>,
    /// `signerName`.
    pub signer_name: Option<String>,
    /// `labelSelector` (unset: matches nothing; empty: matches every bundle of the signer).
    pub label_selector: Option<LabelSelector>,
}

/// A label selector.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    /// `matchLabels`.
    #[serde(deserialize_with = "super::bounded::map")]
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub match_expressions: Vec<Requirement>,
}

/// One of `matchExpressions`.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct Requirement {
    /// The label.
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    /// The values.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub values: Vec<String>,
}

impl LabelSelector {
    /// Whether `labels` match (apimachinery `labels.Selector`; an unknown operator matches nothing).
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let value = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

/// A container's environment.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    /// `env`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub env: Vec<EnvVar>,
    /// `envFrom`.
    #[serde(deserialize_with = "super::bounded::vec")]
    pub env_from: Vec<EnvFrom>,
}

/// One of `env`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvVar {
    /// `valueFrom`.
    pub value_from: Option<ValueFrom>,
}

/// `valueFrom`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct ValueFrom {
    /// `configMapKeyRef`.
    pub config_map_key_ref: Option<KeyRef>,
    /// `secretKeyRef`.
    pub secret_key_ref: Option<KeyRef>,
}

/// A `…KeyRef`: one key of one object.
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct KeyRef {
    /// The object.
    pub name: Option<String>,
    /// The key.
    pub key: String,
}

/// One of `envFrom`.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvFrom {
    /// `configMapRef`.
    pub config_map_ref: Option<Source>,
    /// `secretRef`.
    pub secret_ref: Option<Source>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_as_apimachinery_does() {
        let labels: BTreeMap<String, String> = [("a".to_string(), "1".to_string())].into();
        let sel = |json: &str| serde_json::from_str::<LabelSelector>(json).expect("selector");
        assert!(sel("{}").matches(&labels));
        assert!(sel(r#"{"matchLabels":{"a":"1"}}"#).matches(&labels));
        assert!(!sel(r#"{"matchLabels":{"a":"2"}}"#).matches(&labels));
        assert!(sel(r#"{"matchExpressions":[{"key":"a","operator":"In","values":["1","2"]}]}"#).matches(&labels));
        assert!(!sel(r#"{"matchExpressions":[{"key":"b","operator":"Exists"}]}"#).matches(&labels));
        assert!(sel(r#"{"matchExpressions":[{"key":"b","operator":"NotIn","values":["1"]}]}"#).matches(&labels));
        assert!(!sel(r#"{"matchExpressions":[{"key":"a","operator":"Bogus"}]}"#).matches(&labels));
    }

    #[test]
    fn an_item_without_api_version_takes_its_kinds_group() {
        let h: Header = serde_json::from_str(r#"{"kind":"APIService","metadata":{"name":"v1.x"}}"#).expect("o");
        assert_eq!(h.reference().expect("ref").group, "apiregistration.k8s.io");
    }
}
