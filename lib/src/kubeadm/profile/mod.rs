//! The kubeadm identities: what a profile is (who signs it, where kubeadm keeps it, its CN,
//! groups, usages and SANs), how one is looked up, recognised and filled in with a cluster's
//! parameters. The rows themselves are data, in [`table`]; this is the only place kubeadm
//! knowledge lives, and `docs/kubeadm.md` cites the kubeadm source for each column.

mod listing;
mod model;
mod releases;
mod san_origin;
mod table;

use std::net::IpAddr;

use crate::error::{Error, Result};
use crate::name::Subject;
use crate::request::Request;
use crate::san::San;
use crate::usage::Usage;

pub use listing::{table, table_json};
pub use model::{CaName, Location, Params, Profile, SanRule, ServerRule};
pub use table::PROFILES;

/// The profiles an identity fits: a CA by its CN; a leaf by its CN, its O values (current or an
/// older release's) and exactly the profile's usages.
pub fn matching(cn: &str, orgs: &[String], usages: &[Usage], is_ca: bool) -> Vec<&'static Profile> {
    let mut got_usages = usages.to_vec();
    got_usages.sort();
    PROFILES
        .iter()
        .filter(|p| p.is_ca == is_ca)
        .filter(|p| if is_ca { p.matches_cn(cn) } else { p.matches(cn, orgs) && got_usages == p.usages })
        .collect()
}

/// Looks a profile up by name.
pub fn find(name: &str) -> Result<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
        Error::usage(format!("unknown profile '{name}'; profiles: {}", names.join(", ")))
    })
}

/// A signer's `--profile`: one profile's usages for every CSR, or `auto`, the profile of each
/// CSR's identity ([`for_identity`]).
#[derive(Clone, Copy, Debug)]
pub enum Choice {
    /// `auto`.
    Auto,
    /// A profile by name.
    Named(&'static Profile),
}

impl Choice {
    /// `auto` or a profile's name.
    pub fn parse(name: &str) -> Result<Choice> {
        if name == "auto" { Ok(Choice::Auto) } else { find(name).map(Choice::Named) }
    }

    /// The named profile, if one was named.
    pub fn named(self) -> Option<&'static Profile> {
        match self {
            Choice::Auto => None,
            Choice::Named(p) => Some(p),
        }
    }
}

/// The leaf profile a requested identity belongs to (CN with `{node}` filled in, the same set of
/// O values), for signers that apply kubeadm's usages to CSRs that request none. kubelet and
/// kubelet-serving share an identity: a CSR with SANs is the serving one; the API server's and
/// etcd's profiles need their tell-tale SAN (`kubernetes`, `localhost`).
pub fn for_identity(cn: &str, orgs: &[String], sans: &[San]) -> Option<&'static Profile> {
    let has = |name: &str| sans.contains(&San::Dns(name.to_string()));
    let candidates: Vec<&Profile> = PROFILES
        .iter()
        .filter(|p| !p.is_ca && p.matches(cn, orgs))
        .filter(|p| match p.sans {
            SanRule::ApiServer => has("kubernetes"),
            SanRule::Etcd => has("localhost"),
            SanRule::KubeletServing => !sans.is_empty(),
            SanRule::None | SanRule::CaName => true,
        })
        .collect();
    candidates.iter().find(|p| (p.sans == SanRule::None) == sans.is_empty()).or_else(|| candidates.first()).copied()
}

/// The kubeconfig profile a client certificate's identity is (admin, super-admin, kubelet,
/// controller-manager, scheduler), in the current or an older release's groups.
pub fn kubeconfig_for(cn: &str, orgs: &[String]) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.server != ServerRule::None && p.matches(cn, orgs))
}

/// The kubeconfigs kubeadm writes on every control-plane node (admin.conf, super-admin.conf,
/// controller-manager.conf, scheduler.conf: the profile table's kubeconfigs that are not a
/// node's own), each pointing at that node's API endpoint or the control-plane endpoint
/// (kubeadm phases/kubeconfig/kubeconfig.go).
pub fn control_plane_kubeconfigs() -> impl Iterator<Item = &'static str> {
    PROFILES.iter().filter(|p| p.per_node.is_none()).filter_map(|p| match p.location {
        Location::Kubeconfig(file) => Some(file),
        _ => None,
    })
}

/// The names of every profile (for completions and help).
pub fn names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name).collect()
}

impl Profile {
    /// Whether it needs `--node-name` (its CN or SANs name the node).
    pub fn needs_node(&self) -> bool {
        self.cn.contains("{node}") || matches!(self.sans, SanRule::ApiServer | SanRule::Etcd | SanRule::KubeletServing)
    }

    /// Whether it needs `--advertise-address`.
    pub fn needs_address(&self) -> bool {
        matches!(self.sans, SanRule::ApiServer | SanRule::Etcd)
    }

    /// Whether `cn` is this profile's CN (any non-empty node name standing for `{node}`).
    pub fn matches_cn(&self, cn: &str) -> bool {
        match self.cn.split_once("{node}") {
            Some((pre, post)) => cn.len() > pre.len() + post.len() && cn.starts_with(pre) && cn.ends_with(post),
            None => self.cn == cn,
        }
    }

    /// Every set of O values kubeadm has written for it: the current one first, then older
    /// releases' ([`crate::kubeadm::release`]).
    pub fn org_sets(&self) -> Vec<Vec<String>> {
        std::iter::once(self.orgs)
            .chain(self.older_orgs().into_iter().map(|(orgs, _)| orgs))
            .map(|set| set.iter().map(|o| o.to_string()).collect())
            .collect()
    }

    /// Whether a subject with this CN and these O values (in any order) is this identity, as
    /// the current or an older kubeadm release wrote it. The one test of identity used by the
    /// signer's `--profile auto`, inspection and the audit.
    pub fn matches(&self, cn: &str, orgs: &[String]) -> bool {
        let mut got = orgs.to_vec();
        got.sort();
        self.matches_cn(cn)
            && self.org_sets().into_iter().any(|mut want| {
                want.sort();
                want == got
            })
    }

    /// Fills the profile with cluster parameters.
    pub fn request(&self, params: &Params) -> Result<Request> {
        let node = params.node_name.as_deref();
        if self.needs_node() && node.is_none() {
            return Err(Error::usage(format!("profile '{}' needs --node-name", self.name)));
        }
        if self.needs_address() && params.advertise_address.is_none() {
            return Err(Error::usage(format!("profile '{}' needs --advertise-address", self.name)));
        }
        if !params.release.writes(self.name) {
            return Err(Error::usage(format!(
                "kubeadm {} does not write profile '{}' (it came later)",
                params.release.name(),
                self.name
            )));
        }
        let cn = self.cn.replace("{node}", node.unwrap_or(""));
        let orgs: Vec<String> = self.orgs_in(params.release).iter().map(|s| s.to_string()).collect();
        let mut req = Request {
            subject: Subject::new(Some(&cn), &orgs),
            sans: Vec::new(),
            usages: self.usages.to_vec(),
            is_ca: self.is_ca,
            path_len: None,
        };
        let node_san = || San::parse(node.unwrap_or_default());
        match self.sans {
            SanRule::None => {}
            SanRule::CaName => req.add_sans([San::Dns(cn.clone())]),
            SanRule::ApiServer => {
                let mut dns = vec![
                    node_san()?,
                    San::Dns("kubernetes".into()),
                    San::Dns("kubernetes.default".into()),
                    San::Dns("kubernetes.default.svc".into()),
                    San::parse(&format!("kubernetes.default.svc.{}", params.dns_domain))?,
                ];
                let mut ips = vec![San::Ip(params.service_cidr.first_ip())];
                ips.extend(params.advertise_address.map(San::Ip));
                if let Some(endpoint) = &params.control_plane_endpoint {
                    match &endpoint.host {
                        ip @ San::Ip(_) => ips.push(ip.clone()),
                        other => dns.push(other.clone()),
                    }
                }
                // kubeadm de-duplicates and sorts the DNS names.
                dns.sort();
                dns.dedup();
                req.add_sans(dns);
                req.add_sans(ips);
            }
            SanRule::Etcd => {
                req.add_sans([node_san()?, San::Dns("localhost".into())]);
                req.add_sans(params.advertise_address.map(San::Ip));
                req.add_sans([
                    San::Ip("127.0.0.1".parse().map_err(|_| Error::usage("ip"))?),
                    San::Ip(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)),
                ]);
            }
            SanRule::KubeletServing => {
                req.add_sans([node_san()?]);
                req.add_sans(params.advertise_address.map(San::Ip));
            }
        }
        if self.sans != SanRule::KubeletServing {
            // What kubeadm signs goes through pkiutil.RemoveDuplicateAltNames: DNS sorted.
            req.order_sans_as_kubeadm();
        }
        Ok(req)
    }

    /// The file stem under the kubeadm tree (`pki/apiserver`, `admin.conf`), if any.
    pub fn path(&self) -> Option<String> {
        self.location.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params { node_name: Some("node-1".into()), advertise_address: "10.0.0.10".parse().ok(), ..Params::default() }
    }

    fn sans(p: &str) -> Vec<String> {
        find(p).and_then(|p| p.request(&params())).expect("request").sans.iter().map(San::to_openssl).collect()
    }

    #[test]
    fn the_control_plane_kubeconfigs_are_the_shared_kubeconfig_rows() {
        let files: Vec<&str> = control_plane_kubeconfigs().collect();
        assert_eq!(files, ["admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf"]);
    }

    #[test]
    fn apiserver_sans_follow_kubeadm() {
        assert_eq!(
            sans("apiserver"),
            vec![
                "DNS:kubernetes",
                "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc",
                "DNS:kubernetes.default.svc.cluster.local",
                "DNS:node-1",
                "IP:10.96.0.1",
                "IP:10.0.0.10"
            ]
        );
    }

    #[test]
    fn etcd_sans_follow_kubeadm() {
        // kubeadm sorts the DNS names: localhost before node-1.
        let want = vec!["DNS:localhost", "DNS:node-1", "IP:10.0.0.10", "IP:127.0.0.1", "IP:::1"];
        assert_eq!(sans("etcd-server"), want);
        assert_eq!(sans("etcd-peer"), want);
    }

    #[test]
    fn node_profiles_need_a_node_name() {
        let err = find("kubelet").and_then(|p| p.request(&Params::default())).expect_err("needs node");
        assert!(err.to_string().contains("--node-name"));
        let req = find("kubelet").and_then(|p| p.request(&params())).expect("ok");
        assert_eq!(req.subject.cn(), Some("system:node:node-1"));
        assert_eq!(req.subject.orgs(), vec!["system:nodes"]);
        assert!(find("apiserver").and_then(|p| p.request(&Params { advertise_address: None, ..params() })).is_err());
    }

    #[test]
    fn every_profile_has_a_unique_name_and_a_signer_or_is_a_ca() {
        let mut names = names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), PROFILES.len());
        for p in PROFILES {
            assert_eq!(p.signer.is_none(), p.is_ca, "{}", p.name);
            assert_eq!(p.usages.is_empty(), p.is_ca, "{}", p.name);
        }
        assert!(find("nope").is_err());
    }

    #[test]
    fn identities_find_their_profile() {
        let nodes = vec!["system:nodes".to_string()];
        let dns = |n: &str| vec![San::Dns(n.into())];
        assert_eq!(for_identity("system:node:n1", &nodes, &[]).map(|p| p.name), Some("kubelet"));
        assert_eq!(for_identity("system:node:n1", &nodes, &dns("n1")).map(|p| p.name), Some("kubelet-serving"));
        assert_eq!(for_identity("kube-apiserver", &[], &dns("kubernetes")).map(|p| p.name), Some("apiserver"));
        let admins = vec!["kubeadm:cluster-admins".to_string()];
        assert_eq!(for_identity("kubernetes-admin", &admins, &[]).map(|p| p.name), Some("admin"));
        assert_eq!(for_identity("node-1", &[], &dns("localhost")).map(|p| p.name), Some("etcd-server"));
        assert!(for_identity("alice", &[], &[]).is_none());
        assert!(for_identity("alice", &[], &dns("alice.example")).is_none());
        assert!(for_identity("system:node:", &nodes, &[]).is_none());
    }
}
