//! What the cluster makes of a certificate's identity: which component trusts it (by the CA
//! that signs it), the user and groups kube-apiserver would see, the default RBAC bindings
//! that name them, and for serving certificates who dials which name. The facts are data
//! below; `docs/kubeadm.md` ("Who trusts what") cites the source of each.

use crate::kubeadm::profile::{CaName, PROFILES, Profile, SanRule};
use crate::san::San;
use crate::usage::Usage;

/// Who a default binding names.
#[derive(Clone, Copy, Debug)]
enum Subject {
    User(&'static str),
    Group(&'static str),
}

/// A ClusterRoleBinding a cluster has without anyone creating it: (subject, binding, role,
/// who creates it). plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
/// (ClusterRoleBindings), and kubeadm's phases/kubeconfig/kubeconfig.go
/// (EnsureAdminClusterRoleBinding, from 1.29).
const BINDINGS: &[(Subject, &str, &str, &str)] = &[
    (Subject::Group("system:masters"), "cluster-admin", "cluster-admin", "Kubernetes"),
    (Subject::Group("kubeadm:cluster-admins"), "kubeadm:cluster-admins", "cluster-admin", "kubeadm >= 1.29"),
    (Subject::Group("system:authenticated"), "system:discovery", "system:discovery", "Kubernetes"),
    (Subject::Group("system:authenticated"), "system:basic-user", "system:basic-user", "Kubernetes"),
    (Subject::Group("system:authenticated"), "system:public-info-viewer", "system:public-info-viewer", "Kubernetes"),
    (Subject::User("system:kube-proxy"), "system:node-proxier", "system:node-proxier", "Kubernetes"),
    (
        Subject::User("system:kube-controller-manager"),
        "system:kube-controller-manager",
        "system:kube-controller-manager",
        "Kubernetes",
    ),
    (Subject::User("system:kube-scheduler"), "system:kube-scheduler", "system:kube-scheduler", "Kubernetes"),
    (Subject::User("system:kube-scheduler"), "system:volume-scheduler", "system:volume-scheduler", "Kubernetes"),
];

/// Groups whose name suggests a binding they do not have: (group, what to say).
const UNBOUND_GROUPS: &[(&str, &str)] = &[(
    "system:node-proxier",
    "group system:node-proxier is bound to nothing: the default ClusterRoleBinding system:node-proxier names the user system:kube-proxy, so only a CN of system:kube-proxy gets that role",
)];

/// What else trusts one of kubeadm's client identities: (profile, line). kubeadm's
/// componentconfigs/kubelet.go sets the kubelet's x509 client CA and Webhook authorization.
const PROFILE_NOTES: &[(&str, &str)] = &[(
    "apiserver-kubelet-client",
    "kubelets accept it (kubeadm's kubelet config: authentication.x509.clientCAFile pki/ca.crt) and ask kube-apiserver to authorize it (authorization mode Webhook), so its RBAC groups count there too",
)];

/// Who dials a kubeadm serving certificate, and by which of its names (kubeadm's
/// phases/kubeconfig/kubeconfig.go, phases/controlplane/manifests.go, phases/etcd/local.go).
const DIALLED: &[(SanRule, &str)] = &[
    (
        SanRule::ApiServer,
        "dialled as the control-plane endpoint (admin.conf, kubelet.conf up to 1.32), the advertise address (controller-manager.conf, scheduler.conf, kubelet.conf from 1.33), the first IP of the service CIDR (pods: KUBERNETES_SERVICE_HOST) and kubernetes.default.svc.DOMAIN (pods dialling by name)",
    ),
    (
        SanRule::Etcd,
        "etcd server: kube-apiserver dials --etcd-servers (kubeadm: https://127.0.0.1:2379, [::1] on IPv6), etcdctl on the node localhost; etcd peer: the other members dial https://ADVERTISE_IP:2380",
    ),
    (
        SanRule::KubeletServing,
        "kube-apiserver dials the node by --kubelet-preferred-address-types (kubeadm: InternalIP,ExternalIP,Hostname), and checks this certificate only with --kubelet-certificate-authority, which kubeadm does not set",
    ),
];

/// Whose CA signs a certificate, as far as it can be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer<'a> {
    /// A certificate: its issuer's CN.
    Issuer(&'a str),
    /// A CSR: not signed yet.
    Request,
}

/// The identity a certificate or CSR carries.
#[derive(Clone, Copy, Debug)]
pub struct Identity<'a> {
    /// CN.
    pub cn: Option<&'a str>,
    /// O values.
    pub orgs: &'a [String],
    /// Extended key usages.
    pub usages: &'a [Usage],
    /// Whether it has an EKU extension at all (none: any usage).
    pub has_eku: bool,
    /// Whether it is a CA.
    pub is_ca: bool,
    /// Its SANs.
    pub sans: &'a [San],
    /// Who signed it.
    pub signer: Signer<'a>,
}

/// One line per fact about how the cluster sees this identity.
pub fn explain(id: &Identity<'_>) -> Vec<String> {
    let mut profiles = crate::kubeadm::profile::matching(id.cn.unwrap_or(""), id.orgs, id.usages, id.is_ca);
    let mut id = *id;
    if id.signer == Signer::Request && id.usages.is_empty() && !id.is_ca {
        // A CSR that requests no usages (kubeadm's generate-csr): the usages its signer applies.
        if let Some(p) = crate::kubeadm::profile::for_identity(id.cn.unwrap_or(""), id.orgs, id.sans) {
            profiles = vec![p];
            id.usages = p.usages;
            id.has_eku = true;
        }
    }
    let id = &id;
    if id.is_ca {
        return ca_lines(id.cn.and_then(kubeadm_ca));
    }
    let ca = match id.signer {
        Signer::Issuer(cn) => kubeadm_ca(cn),
        Signer::Request => single(profiles.iter().filter_map(|p| p.signer)),
    };
    let basis = match (id.signer, ca) {
        (Signer::Issuer(cn), Some(ca)) => format!("issued by \"{cn}\", kubeadm's {}", ca_words(ca)),
        (Signer::Request, Some(ca)) => format!("kubeadm signs this identity with its {}", ca_words(ca)),
        (Signer::Issuer(cn), None) => {
            format!("issued by \"{cn}\", not one of kubeadm's CA names: if kube-apiserver's --client-ca-file holds it,")
        }
        (Signer::Request, None) => "once signed by a CA in kube-apiserver's --client-ca-file,".into(),
    };
    let mut lines = Vec::new();
    let client = !id.has_eku || id.usages.contains(&Usage::Client);
    if client {
        match ca {
            Some(CaName::Etcd) => etcd_lines(id, &basis, &mut lines),
            Some(CaName::FrontProxy) => front_proxy_lines(id, &basis, &mut lines),
            Some(CaName::Cluster) | None => cluster_lines(id, &basis, ca.is_some(), &profiles, &mut lines),
        }
    }
    if id.usages.contains(&Usage::Server) {
        server_lines(id, &profiles, &mut lines);
    }
    if !client && !id.usages.contains(&Usage::Server) {
        lines.push("neither a TLS client nor a server certificate".into());
    }
    lines
}

/// The kubeadm CA whose CN this is.
fn kubeadm_ca(cn: &str) -> Option<CaName> {
    let profile = PROFILES.iter().find(|p| p.is_ca && p.cn == cn)?;
    CaName::ALL.into_iter().find(|ca| ca.profile() == profile.name)
}

/// The one value of an iterator, if all its values are that one.
fn single(mut it: impl Iterator<Item = CaName>) -> Option<CaName> {
    let first = it.next()?;
    it.all(|c| c == first).then_some(first)
}

fn ca_words(ca: CaName) -> String {
    let what = match ca {
        CaName::Cluster => "cluster CA",
        CaName::Etcd => "etcd CA",
        CaName::FrontProxy => "front-proxy CA",
    };
    format!("{what} (pki/{}.crt)", ca.file())
}

/// A CA: which components trust what it signs, from the wiring table.
fn ca_lines(ca: Option<CaName>) -> Vec<String> {
    let Some(ca) = ca else {
        return vec![
            "a CA: components trust what it signs when they are given it as --client-ca-file, --etcd-cafile, --trusted-ca-file, ..."
                .into(),
        ];
    };
    let file = format!("pki/{}.crt", ca.file());
    let readers: Vec<String> = crate::kubeadm::components::flags()
        .filter(|(_, _, f, _)| *f == file)
        .map(|(component, flag, _, _)| format!("{component} {flag}"))
        .collect();
    vec![format!("kubeadm's {}: read by {}", ca_words(ca), readers.join(", "))]
}

fn cluster_lines(id: &Identity<'_>, basis: &str, known: bool, profiles: &[&Profile], lines: &mut Vec<String>) {
    let Some(cn) = id.cn.filter(|c| !c.is_empty()) else {
        lines.push(format!(
            "{basis} kube-apiserver would not authenticate it: its x509 authenticator takes the user from the CN, and there is none"
        ));
        return;
    };
    let mut groups: Vec<String> = id.orgs.iter().map(|o| format!("\"{o}\"")).collect();
    groups.push("\"system:authenticated\"".into());
    let sep = if known { ":" } else { "" };
    lines.push(format!("{basis}{sep} kube-apiserver would see user \"{cn}\" in groups {}", groups.join(", ")));
    if let Some(node) = cn.strip_prefix("system:node:") {
        if id.orgs.iter().any(|o| o == "system:nodes") {
            lines.push(format!(
                "the Node authorizer applies: it may act only for node '{node}' (and NodeRestriction admission, which kubeadm enables, keeps it to its own Node and pods)"
            ));
        } else {
            lines.push(
                "named like a node but not in group system:nodes: the Node authorizer will not recognise it".into(),
            );
        }
    }
    for (_, note) in PROFILE_NOTES.iter().filter(|(name, _)| profiles.iter().any(|p| p.name == *name)) {
        lines.push((*note).into());
    }
    for org in id.orgs {
        group_lines(org, lines);
    }
    let user: Vec<String> = bindings(|s| matches!(s, Subject::User(u) if u == cn));
    if !user.is_empty() {
        lines.push(format!("user {cn}: {}", user.join("; ")));
    }
}

fn group_lines(org: &str, lines: &mut Vec<String>) {
    if org == "system:masters" {
        lines.push(
            "group system:masters bypasses all authorization (superuser): kube-apiserver lets it through before Node and RBAC are asked, so no RBAC change can restrict it"
                .into(),
        );
        return;
    }
    if let Some((_, why)) = UNBOUND_GROUPS.iter().find(|(g, _)| *g == org) {
        lines.push((*why).into());
        return;
    }
    let bound = bindings(|s| matches!(s, Subject::Group(g) if g == org));
    if !bound.is_empty() {
        lines.push(format!("group {org}: {}", bound.join("; ")));
    } else if org != "system:nodes" {
        lines.push(format!(
            "group {org}: no default binding names it; it has what the cluster's own RoleBindings and ClusterRoleBindings give it"
        ));
    }
}

/// The default bindings naming a subject, in words.
fn bindings(names: impl Fn(Subject) -> bool) -> Vec<String> {
    BINDINGS
        .iter()
        .filter(|(subject, ..)| names(*subject))
        .map(|(_, binding, role, by)| {
            format!("ClusterRoleBinding {binding} (created by {by}) grants ClusterRole {role}")
        })
        .collect()
}

fn etcd_lines(id: &Identity<'_>, basis: &str, lines: &mut Vec<String>) {
    lines.push(format!(
        "{basis}: etcd accepts it (kubeadm runs etcd with --client-cert-auth and --peer-client-cert-auth against pki/etcd/ca.crt); kube-apiserver does not, its --client-ca-file is the cluster CA"
    ));
    let ignored =
        if id.orgs.is_empty() { String::new() } else { format!(" (O={} means nothing to etcd)", id.orgs.join(",")) };
    lines.push(format!(
        "etcd reads only the CN{ignored}: if etcd's own auth is enabled (etcdctl auth enable; kubeadm leaves it off), the CN \"{}\" is its etcd user",
        id.cn.unwrap_or("")
    ));
}

fn front_proxy_lines(id: &Identity<'_>, basis: &str, lines: &mut Vec<String>) {
    lines.push(format!(
        "{basis}: kube-apiserver and aggregated API servers accept it only as the front proxy: it must chain to --requestheader-client-ca-file (pki/front-proxy-ca.crt) and its CN must be in --requestheader-allowed-names (kubeadm: front-proxy-client)"
    ));
    let cn = id.cn.unwrap_or("");
    if cn != "front-proxy-client" {
        lines.push(format!(
            "its CN \"{cn}\" is not front-proxy-client: a kube-apiserver set up by kubeadm would not accept it as the front proxy"
        ));
    }
    lines.push(
        "the user and groups of each proxied request come from its X-Remote-User and X-Remote-Group headers, not from this certificate's CN or O"
            .into(),
    );
}

fn server_lines(id: &Identity<'_>, profiles: &[&Profile], lines: &mut Vec<String>) {
    if id.sans.is_empty() {
        let cn = id.cn.unwrap_or("");
        let message = if crate::hostname::valid_pattern(cn, crate::go_release::GoRelease::default()) {
            format!(
                ", and when they dial its CN \"{cn}\" Go says \"x509: certificate relies on legacy Common Name field, use SANs instead\""
            )
        } else {
            String::new()
        };
        lines.push(format!(
            "a serving certificate without SANs: Go clients (since Go 1.15) ignore the CN, so they refuse it for every name{message}"
        ));
        return;
    }
    lines.push(
        "a serving certificate: Go clients (since Go 1.15) match the name they dial against its SANs only, never the CN".into(),
    );
    let rules: Vec<SanRule> = profiles.iter().map(|p| p.sans).collect();
    for (_, who) in DIALLED.iter().filter(|(rule, _)| rules.contains(rule)) {
        lines.push((*who).into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(cn: &str, orgs: &[&str], usages: &[Usage], issuer: &str) -> Vec<String> {
        let orgs: Vec<String> = orgs.iter().map(|o| o.to_string()).collect();
        explain(&Identity {
            cn: Some(cn),
            orgs: &orgs,
            usages,
            has_eku: true,
            is_ca: false,
            sans: &[San::Dns("x".into())],
            signer: Signer::Issuer(issuer),
        })
    }

    #[test]
    fn only_the_cluster_ca_makes_a_kubernetes_user() {
        let node = view("system:node:n1", &["system:nodes"], &[Usage::Client], "kubernetes");
        assert!(node[0].contains("kube-apiserver would see user \"system:node:n1\" in groups \"system:nodes\""));
        assert!(node.iter().any(|l| l.contains("Node authorizer")));
        let etcd = view("kube-etcd-healthcheck-client", &["system:masters"], &[Usage::Client], "etcd-ca");
        assert!(etcd.iter().all(|l| !l.contains("would see user") && !l.contains("superuser")), "{etcd:?}");
        assert!(etcd[1].contains("O=system:masters means nothing to etcd"), "{etcd:?}");
        let proxy = view("front-proxy-client", &[], &[Usage::Client], "front-proxy-ca");
        assert!(proxy.iter().any(|l| l.contains("X-Remote-User")), "{proxy:?}");
        assert!(proxy.iter().all(|l| !l.contains("would see user")), "{proxy:?}");
        let other = view("alice", &[], &[Usage::Client], "my-ca");
        assert!(other[0].starts_with("issued by \"my-ca\", not one of kubeadm's CA names: if kube-apiserver's"));
    }

    #[test]
    fn groups_are_explained_by_their_bindings() {
        let admin = view("kubernetes-admin", &["kubeadm:cluster-admins"], &[Usage::Client], "kubernetes");
        assert!(admin.iter().any(|l| l.contains("ClusterRoleBinding kubeadm:cluster-admins")), "{admin:?}");
        let proxy = view("system:kube-proxy", &["system:node-proxier"], &[Usage::Client], "kubernetes");
        assert!(proxy.iter().any(|l| l.starts_with("group system:node-proxier is bound to nothing")), "{proxy:?}");
        assert!(proxy.iter().any(|l| l.starts_with("user system:kube-proxy: ClusterRoleBinding system:node-proxier")));
        let sup = view("kubernetes-super-admin", &["system:masters"], &[Usage::Client], "kubernetes");
        assert!(sup.iter().any(|l| l.contains("superuser")));
    }

    #[test]
    fn server_certificates_are_server_identities() {
        let api = view("kube-apiserver", &[], &[Usage::Server], "kubernetes");
        assert!(api.iter().all(|l| !l.contains("would see user")), "{api:?}");
        assert!(api.iter().any(|l| l.contains("never the CN")));
        let orgs: Vec<String> = Vec::new();
        let bare = explain(&Identity {
            cn: Some("kube-apiserver"),
            orgs: &orgs,
            usages: &[Usage::Server],
            has_eku: true,
            is_ca: false,
            sans: &[],
            signer: Signer::Request,
        });
        assert!(bare[0].contains("\"x509: certificate relies on legacy Common Name field, use SANs instead\""));
    }

    #[test]
    fn a_kubeadm_ca_lists_its_readers() {
        let orgs: Vec<String> = Vec::new();
        let ca = explain(&Identity {
            cn: Some("etcd-ca"),
            orgs: &orgs,
            usages: &[],
            has_eku: false,
            is_ca: true,
            sans: &[San::Dns("x".into())],
            signer: Signer::Issuer("etcd-ca"),
        });
        assert!(ca[0].contains("kube-apiserver --etcd-cafile, etcd --trusted-ca-file"), "{ca:?}");
    }
}
