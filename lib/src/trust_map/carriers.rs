//! The carriers: every object field that holds a CA, found kind by kind as docs/trust-map.md's
//! table says, with the system-trust and skip-TLS-verify findings of webhooks, APIServices and
//! CRD conversions.

use super::certs::Certs;
use super::fields::{self, Encoding, Holds, Place, Role};
use super::finding::{Finding, Findings};
use super::object::{ClientConfig, Object, ObjectRef};
use crate::error::Result;

/// One field of one object that holds CAs.
#[derive(Clone, Debug)]
pub struct Carrier {
    /// The object.
    pub object: ObjectRef,
    /// The field (`data.ca.crt`, `webhooks[0].clientConfig.caBundle`, …).
    pub field: String,
    /// For ConfigMaps and Secrets: the data key, which is what a Pod's `items` select.
    pub key: Option<String>,
    /// The CAs' keys, in the field's order.
    pub cas: Vec<String>,
    /// Whether the field holds nothing but these CAs' certificates.
    pub pure: bool,
    /// Who keeps it up to date, when its kind says so (a service-account token Secret's
    /// `ca.crt`: kube-controller-manager's tokens controller, from its `--root-ca-file`).
    pub by: Option<super::kinds::UpdatedBy>,
}

impl Carrier {
    /// `Kind namespace/name field`, escaped.
    pub fn label(&self) -> String {
        format!("{} {}", self.object.label(), self.field)
    }
}

/// The carriers of one object.
pub fn of(r: &ObjectRef, o: &Object, certs: &mut Certs, findings: &mut Findings) -> Result<Vec<Carrier>> {
    let mut walk = Walk { r, file: &o.file, label: r.label(), certs, findings, out: Vec::new() };
    match r.kind.as_str() {
        "ConfigMap" => walk.config_map(o)?,
        "Secret" => {
            walk.secret(o)?;
            // pkg/controller/serviceaccount/tokens_controller.go rewrites ca.crt from --root-ca-file.
            if o.secret_type.as_deref() == Some("kubernetes.io/service-account-token") {
                for c in walk.out.iter_mut().filter(|c| c.field == "data.ca.crt") {
                    c.by = Some(super::kinds::UpdatedBy::KubeControllerManager);
                }
            }
        }
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            for (i, w) in o.webhooks.iter().flatten().enumerate() {
                walk.client_config(&w.client_config, format!("webhooks[{i}].clientConfig"))?;
            }
        }
        "APIService" => walk.api_service(o)?,
        "CustomResourceDefinition" => {
            let conversion = o.spec.as_ref().and_then(|s| s.conversion.as_ref());
            if let Some(c) = conversion.filter(|c| c.strategy.as_deref() == Some("Webhook"))
                && let Some(w) = &c.webhook
            {
                walk.client_config(&w.client_config, "spec.conversion.webhook.clientConfig".into())?;
            }
        }
        "ClusterTrustBundle" => {
            if let Some(pem) = o.spec.as_ref().and_then(|s| s.trust_bundle.as_deref()) {
                walk.value(pem, Encoding::Pem, TRUST, "spec.trustBundle".into(), None)?;
            }
        }
        _ => {}
    }
    Ok(walk.out)
}

const TRUST: Role = Role { trust: true, kubeconfig: false, public: false };

struct Walk<'a> {
    r: &'a ObjectRef,
    file: &'a str,
    label: String,
    certs: &'a mut Certs,
    findings: &'a mut Findings,
    out: Vec<Carrier>,
}

impl Walk<'_> {
    fn value(&mut self, value: &str, enc: Encoding, role: Role, field: String, key: Option<&str>) -> Result<()> {
        let place = Place { file: self.file, object: &self.label, field };
        let found = match fields::read(value, enc, role, &place, self.certs, self.findings)? {
            Holds::Nothing => Vec::new(),
            Holds::Cas(cas, _) if cas.is_empty() => Vec::new(),
            Holds::Cas(cas, pure) => vec![fields::Found { field: place.field.clone(), cas, pure }],
            Holds::Kubeconfig(bytes) => super::embedded::read(&bytes, role.public, &place, self.certs, self.findings)?,
        };
        for found in found {
            self.out.push(Carrier {
                object: self.r.clone(),
                field: found.field,
                key: key.map(str::to_string),
                cas: found.cas,
                pure: found.pure,
                by: None,
            });
        }
        Ok(())
    }

    fn config_map(&mut self, o: &Object) -> Result<()> {
        let role = |k: &str| Role { trust: super::kinds::is_trust_key(k), kubeconfig: true, public: true };
        for (k, v) in o.data.iter().flatten() {
            self.value(v, Encoding::Pem, role(k), format!("data.{k}"), Some(k))?;
        }
        for (k, v) in o.binary_data.iter().flatten() {
            self.value(v, Encoding::Base64, role(k), format!("binaryData.{k}"), Some(k))?;
        }
        Ok(())
    }

    /// A Secret's values are read only to look for certificates; `tls.key` is not read at all.
    fn secret(&mut self, o: &Object) -> Result<()> {
        let tls = o.secret_type.as_deref() == Some("kubernetes.io/tls");
        let role = |k: &str| Role { trust: super::kinds::is_trust_key(k), kubeconfig: true, public: false };
        for (k, v) in o.data.iter().flatten().filter(|(k, _)| !(tls && *k == "tls.key")) {
            self.value(v, Encoding::Base64, role(k), format!("data.{k}"), Some(k))?;
        }
        for (k, v) in o.string_data.iter().flatten().filter(|(k, _)| !(tls && *k == "tls.key")) {
            self.value(v, Encoding::Pem, role(k), format!("stringData.{k}"), Some(k))?;
        }
        Ok(())
    }

    fn client_config(&mut self, c: &ClientConfig, at: String) -> Result<()> {
        match c.ca_bundle.as_deref().filter(|b| !b.is_empty()) {
            Some(bundle) => self.value(bundle, Encoding::Base64, TRUST, format!("{at}.caBundle"), None),
            None if c.url.is_some() || c.service.is_some() => {
                self.system_trust(format!("{at}.caBundle"));
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn system_trust(&mut self, field: String) {
        let object = format!("{} {field}", self.label);
        self.findings.push(Finding::ok(object, "no caBundle: kube-apiserver's system trust roots (consumes no CA)"));
    }

    /// An APIService without a `service` is served by kube-apiserver itself: skipped.
    fn api_service(&mut self, o: &Object) -> Result<()> {
        let Some(spec) = o.spec.as_ref().filter(|s| s.service.is_some()) else {
            return Ok(());
        };
        if spec.insecure_skip_tls_verify {
            let object = format!("{} spec.insecureSkipTLSVerify", self.label);
            self.findings.push(Finding::warn(object, "kube-aggregator does not verify this service's certificate"));
        }
        match spec.ca_bundle.as_deref().filter(|b| !b.is_empty()) {
            Some(bundle) => self.value(bundle, Encoding::Base64, TRUST, "spec.caBundle".into(), None),
            None if !spec.insecure_skip_tls_verify => {
                self.system_trust("spec.caBundle".into());
                Ok(())
            }
            None => Ok(()),
        }
    }
}
