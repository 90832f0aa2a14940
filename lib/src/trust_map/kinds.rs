//! What carries a CA in the cluster API, as data: the kinds the map reads, the objects whose
//! writer is known, and who updates each during a rotation. Each row cites the upstream code
//! (Kubernetes v1.33.0; docs/trust-map.md has the same table).

/// A kind the map reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The kind.
    pub kind: &'static str,
    /// Its API group (`""` for core).
    pub group: &'static str,
    /// Whether objects of it live in a namespace.
    pub namespaced: bool,
    /// Which fields carry a CA (as the map names them).
    pub fields: &'static str,
    /// Where the field is defined.
    pub source: &'static str,
}

/// The kinds read; every other kind is skipped and counted.
pub const KINDS: &[Kind] = &[
    Kind {
        kind: "ConfigMap",
        group: "",
        namespaced: true,
        fields: "data.KEY (PEM), binaryData.KEY (base64 of PEM), a kubeconfig in either",
        source: "kubernetes/api core/v1/types.go ConfigMap",
    },
    Kind {
        kind: "Secret",
        group: "",
        namespaced: true,
        fields: "data.KEY (base64 of PEM), stringData.KEY (PEM), a kubeconfig in either; tls.key is never read",
        source: "kubernetes/api core/v1/types.go Secret, SecretTypeTLS, ServiceAccountRootCAKey",
    },
    Kind {
        kind: "Pod",
        group: "",
        namespaced: true,
        fields: "none: consumes ConfigMaps, Secrets and ClusterTrustBundles through volumes, projections and env",
        source: "kubernetes/api core/v1/types.go PodSpec",
    },
    Kind {
        kind: "ValidatingWebhookConfiguration",
        group: "admissionregistration.k8s.io",
        namespaced: false,
        fields: "webhooks[i].clientConfig.caBundle",
        source: "kubernetes/api admissionregistration/v1/types.go WebhookClientConfig",
    },
    Kind {
        kind: "MutatingWebhookConfiguration",
        group: "admissionregistration.k8s.io",
        namespaced: false,
        fields: "webhooks[i].clientConfig.caBundle",
        source: "kubernetes/api admissionregistration/v1/types.go WebhookClientConfig",
    },
    Kind {
        kind: "APIService",
        group: "apiregistration.k8s.io",
        namespaced: false,
        fields: "spec.caBundle (spec.insecureSkipTLSVerify)",
        source: "kubernetes/kube-aggregator pkg/apis/apiregistration/v1/types.go APIServiceSpec",
    },
    Kind {
        kind: "CustomResourceDefinition",
        group: "apiextensions.k8s.io",
        namespaced: false,
        fields: "spec.conversion.webhook.clientConfig.caBundle",
        source: "kubernetes/apiextensions-apiserver pkg/apis/apiextensions/v1/types.go WebhookConversion",
    },
    Kind {
        kind: "ClusterTrustBundle",
        group: "certificates.k8s.io",
        namespaced: false,
        fields: "spec.trustBundle (PEM)",
        source: "kubernetes/api certificates/v1beta1/types.go ClusterTrustBundleSpec",
    },
];

/// The row of `kind`.
pub fn find(kind: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The group of a kind the map reads (for list items without `apiVersion`).
pub fn group_of(kind: &str) -> Option<&'static str> {
    find(kind).map(|k| k.group)
}

/// Who updates a carrier during a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdatedBy {
    /// kube-controller-manager's root-CA publisher, after its restart with the new bundle.
    KubeControllerManager,
    /// kube-apiserver's authentication ConfigMap controller, after its restart.
    KubeApiserver,
    /// Nobody in the cluster: the operator.
    Operator,
}

impl UpdatedBy {
    /// Its word in text and JSON.
    pub fn word(self) -> &'static str {
        match self {
            UpdatedBy::KubeControllerManager => "kube-controller-manager",
            UpdatedBy::KubeApiserver => "kube-apiserver",
            UpdatedBy::Operator => "operator",
        }
    }
}

/// An object whose writer is known: (kind, namespace or any, name), the writer, and the code.
pub struct Writer {
    /// Kind.
    pub kind: &'static str,
    /// Namespace (`None`: in every namespace).
    pub namespace: Option<&'static str>,
    /// Name.
    pub name: &'static str,
    /// Who keeps it up to date.
    pub by: UpdatedBy,
    /// What writes it, for `--explain`.
    pub explain: &'static str,
}

/// The objects kubeadm clusters have whose writer is known.
pub const WRITERS: &[Writer] = &[
    Writer {
        kind: "ConfigMap",
        namespace: None,
        name: "kube-root-ca.crt",
        by: UpdatedBy::KubeControllerManager,
        explain: "kube-controller-manager's root CA publisher writes its --root-ca-file into every namespace \
                  (kubernetes/kubernetes pkg/controller/certificates/rootcacertpublisher/publisher.go); every Pod \
                  mounts it through kube-api-access-* (plugin/pkg/admission/serviceaccount/admission.go)",
    },
    Writer {
        kind: "ConfigMap",
        namespace: Some("kube-public"),
        name: "cluster-info",
        by: UpdatedBy::Operator,
        explain: "kubeadm's bootstrap-token phase copies admin.conf's cluster into it \
                  (kubernetes/kubernetes cmd/kubeadm/app/phases/bootstraptoken/clusterinfo/clusterinfo.go); \
                  kubeadm join pins the CA it holds",
    },
    Writer {
        kind: "ConfigMap",
        namespace: Some("kube-system"),
        name: "extension-apiserver-authentication",
        by: UpdatedBy::KubeApiserver,
        explain: "kube-apiserver writes its --client-ca-file and --requestheader-client-ca-file here \
                  (kubernetes/kubernetes pkg/controlplane/controller/clusterauthenticationtrust); aggregated \
                  API servers read it (kubernetes/apiserver pkg/server/options/authentication.go)",
    },
];

/// The writer of an object, if known.
pub fn writer(kind: &str, namespace: Option<&str>, name: &str) -> Option<&'static Writer> {
    WRITERS.iter().find(|w| w.kind == kind && w.name == name && (w.namespace.is_none() || w.namespace == namespace))
}

/// Whether a ConfigMap or Secret key is meant to hold trust (a non-CA certificate in it is a
/// warning, not a chain to skip): `ca.crt`, `*ca.crt`, `*ca.pem`, `*-ca-file`, `*bundle*`.
pub fn is_trust_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with("ca.crt") || k.ends_with("ca.pem") || k.ends_with("-ca-file") || k.contains("bundle")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_source_and_writers_name_known_kinds() {
        for k in KINDS {
            assert!(k.source.contains(".go"), "{}", k.kind);
        }
        for w in WRITERS {
            assert!(find(w.kind).is_some(), "{}", w.name);
        }
        assert_eq!(
            writer("ConfigMap", Some("team-a"), "kube-root-ca.crt").map(|w| w.by),
            Some(UpdatedBy::KubeControllerManager)
        );
        assert!(writer("ConfigMap", Some("default"), "cluster-info").is_none());
    }

    #[test]
    fn trust_keys() {
        for k in ["ca.crt", "client-ca-file", "requestheader-client-ca-file", "ca-bundle.crt", "etcd-ca.pem"] {
            assert!(is_trust_key(k), "{k}");
        }
        for k in ["tls.crt", "token", "kubeconfig", "app.conf"] {
            assert!(!is_trust_key(k), "{k}");
        }
    }
}
