//! The kubeconfig document as kubectl writes it (client-go's clientcmd/api/v1 types): clusters,
//! contexts and users by name, every field kubectl knows, and anything else kept as it is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_norway::Value;

/// A kubeconfig (`kind: Config`). Unknown fields are kept on merge.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Kubeconfig {
    /// Always `v1`.
    #[serde(rename = "apiVersion", default = "v1")]
    pub api_version: String,
    /// Clusters by name.
    #[serde(default)]
    pub clusters: Vec<NamedCluster>,
    /// Contexts by name.
    #[serde(default)]
    pub contexts: Vec<NamedContext>,
    /// The context kubectl uses.
    #[serde(rename = "current-context", default)]
    pub current_context: String,
    /// Always `Config`.
    #[serde(default = "config")]
    pub kind: String,
    /// kubectl writes `preferences: {}`.
    #[serde(default = "empty_map")]
    pub preferences: Value,
    /// Users by name.
    #[serde(default)]
    pub users: Vec<NamedUser>,
    /// Anything else (extensions, ...), kept as is.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl Kubeconfig {
    /// An empty kubeconfig as kubectl writes one: `apiVersion: v1`, `kind: Config`,
    /// `preferences: {}`.
    pub fn empty() -> Kubeconfig {
        Kubeconfig { api_version: v1(), kind: config(), preferences: empty_map(), ..Kubeconfig::default() }
    }
}

fn v1() -> String {
    "v1".into()
}

fn config() -> String {
    "Config".into()
}

fn empty_map() -> Value {
    Value::Mapping(Default::default())
}

/// A named cluster entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct NamedCluster {
    /// The cluster.
    pub cluster: Cluster,
    /// Its name.
    pub name: String,
    /// Anything else, kept as is.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// How to reach and trust an API server.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Cluster {
    /// Base64 of the CA PEM.
    #[serde(rename = "certificate-authority-data", skip_serializing_if = "Option::is_none", default)]
    pub certificate_authority_data: Option<String>,
    /// Path of the CA file.
    #[serde(rename = "certificate-authority", skip_serializing_if = "Option::is_none", default)]
    pub certificate_authority: Option<String>,
    /// `https://host:port`.
    #[serde(default)]
    pub server: String,
    /// Name to check the server certificate against, if not the server's host.
    #[serde(rename = "tls-server-name", skip_serializing_if = "Option::is_none", default)]
    pub tls_server_name: Option<String>,
    /// Anything else.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The cluster field kubectl refuses beside CA data.
pub const INSECURE: &str = "insecure-skip-tls-verify";

/// A named context entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct NamedContext {
    /// The context.
    pub context: Context,
    /// Its name.
    pub name: String,
    /// Anything else, kept as is.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A (cluster, user) pair.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Context {
    /// Cluster name.
    pub cluster: String,
    /// User name.
    pub user: String,
    /// Anything else (namespace, ...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A named user entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct NamedUser {
    /// Its name.
    pub name: String,
    /// The credentials.
    pub user: User,
    /// Anything else, kept as is.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Client credentials.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct User {
    /// Base64 of the client certificate PEM.
    #[serde(rename = "client-certificate-data", skip_serializing_if = "Option::is_none", default)]
    pub client_certificate_data: Option<String>,
    /// Base64 of the client key PEM.
    #[serde(rename = "client-key-data", skip_serializing_if = "Option::is_none", default)]
    pub client_key_data: Option<String>,
    /// Path of the client certificate.
    #[serde(rename = "client-certificate", skip_serializing_if = "Option::is_none", default)]
    pub client_certificate: Option<String>,
    /// Path of the client key.
    #[serde(rename = "client-key", skip_serializing_if = "Option::is_none", default)]
    pub client_key: Option<String>,
    /// Anything else (token, exec, ...).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}
