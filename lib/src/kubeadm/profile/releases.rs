//! A profile across the kubeadm releases followed ([`crate::kubeadm::release`]): the groups each release
//! writes for it, and which releases wrote a given set.

use super::model::{Profile, ServerRule};
use crate::kubeadm::release::{RELEASES, Release, Server};

impl Profile {
    /// The O values `release` writes for it.
    pub fn orgs_in(&self, release: &Release) -> &'static [&'static str] {
        release.orgs_for(self.name).unwrap_or(self.orgs)
    }

    /// The API server `release` writes into its kubeconfig, if kubeadm writes one for it.
    pub fn server_in(&self, release: &Release) -> Option<Server> {
        match self.server {
            ServerRule::None => None,
            ServerRule::Fixed(server) => Some(server),
            ServerRule::Kubelet => Some(release.kubelet_server),
        }
    }

    /// Every O set a followed release wrote for it other than the profile table's, with the
    /// releases that wrote it: what an audit accepts as "an older kubeadm".
    pub fn older_orgs(&self) -> Vec<(&'static [&'static str], Vec<String>)> {
        let mut out: Vec<(&'static [&'static str], Vec<String>)> = Vec::new();
        for r in RELEASES {
            let orgs = self.orgs_in(r);
            if orgs == self.orgs {
                continue;
            }
            match out.iter_mut().find(|(o, _)| *o == orgs) {
                Some((_, releases)) => releases.push(r.name()),
                None => out.push((orgs, vec![r.name()])),
            }
        }
        out
    }

    /// The releases that write exactly `orgs` (in any order) for it.
    pub fn writers_of(&self, orgs: &[String]) -> Vec<String> {
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let got = sorted(orgs.to_vec());
        RELEASES
            .iter()
            .filter(|r| sorted(self.orgs_in(r).iter().map(|o| o.to_string()).collect()) == got)
            .map(Release::name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::PROFILES;
    use super::*;
    use crate::kubeadm::profile::find;

    #[test]
    fn release_rows_name_profiles_and_1_28_is_system_masters() {
        for r in RELEASES {
            for name in r.orgs.iter().map(|(n, _)| *n).chain(r.absent.iter().copied()) {
                assert!(find(name).is_ok(), "{name}");
            }
        }
        let admin = find("admin").expect("admin");
        let masters: &[&str] = &["system:masters"];
        assert_eq!(admin.older_orgs(), vec![(masters, vec!["1.28".to_string()])]);
        assert_eq!(admin.writers_of(&["system:masters".into()]), ["1.28"]);
        assert_eq!(admin.writers_of(&["kubeadm:cluster-admins".into()]).len(), 5);
        assert!(PROFILES.iter().filter(|p| !p.older_orgs().is_empty()).count() == 4);
    }
}
