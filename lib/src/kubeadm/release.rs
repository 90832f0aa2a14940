//! The kubeadm releases the project follows and what changed between them, as data: one row per
//! release, one column per fact. The profile table (`profile::PROFILES`) is the newest release;
//! a row here says only where an older one differs, by profile name. docs/kubeadm.md section 6 cites the
//! kubeadm source of every column, and a test walks it against these rows.

use crate::error::{Error, Result};

/// `O=system:masters`: what kubeadm 1.28 put in its administrator and component client
/// certificates (certlist.go, kubeconfig.go of v1.28.0).
const MASTERS: &[&str] = &["system:masters"];

/// How many days a leaf certificate lasts unless told otherwise, in every release followed
/// (constants.go `CertificateValidity` to 1.30; v1beta4's `certificateValidityPeriod` default,
/// 8760h, from 1.31; docs/kubeadm.md section 6).
pub const LEAF_DAYS: i64 = 365;

/// How many days a CA lasts unless told otherwise (client-go `NewSelfSignedCACert`,
/// `duration365d * 10`, to 1.30; v1beta4's `caCertificateValidityPeriod` default, 87600h, from 1.31).
pub const CA_DAYS: i64 = 3650;

/// A leaf's NotBefore, as kubeadm sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotBefore {
    /// The issuing CA's NotBefore (pki_helpers.go `NewSignedCert`, 1.28–1.30).
    CaNotBefore,
    /// Five minutes before kubeadm started (certlist.go `GetConfig`, 1.31 and later).
    Backdated5m,
}

/// Which API server URL kubeadm writes into a kubeconfig (util/endpoint.go).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// The control-plane endpoint, `https://CPE` (`GetControlPlaneEndpoint`; the local URL when
    /// there is none).
    ControlPlane,
    /// The node's own API server, `https://ADVERTISE:6443` (`GetLocalAPIEndpoint`).
    Local,
}

/// How `kubeadm certs check-expiration` words RESIDUAL TIME.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Residual {
    /// apimachinery `duration.ShortHumanDuration` (`364d`).
    Short,
    /// apimachinery `duration.HumanDuration` (`364d`, `23h`, `8y`).
    Human,
}

/// One kubeadm release.
#[derive(Debug)]
pub struct Release {
    /// The minor version: `28` for 1.28.
    pub minor: u32,
    /// Profiles whose O values differ from the profile table's, with this release's values.
    pub orgs: &'static [(&'static str, &'static [&'static str])],
    /// Profiles this release does not write.
    pub absent: &'static [&'static str],
    /// NotBefore of the certificates under `pki/`.
    pub leaf_not_before: NotBefore,
    /// kubelet.conf's server on a control-plane node (the local one from 1.33:
    /// `ControlPlaneKubeletLocalMode` on by default).
    pub kubelet_server: Server,
    /// `check-expiration`'s residual-time wording.
    pub residual: Residual,
}

/// 1.29 and 1.30: the newest groups, the issuing CA's NotBefore, kubelet.conf at the
/// control-plane endpoint, `ShortHumanDuration`. Each later row says what it changed.
const V1_29: Release = Release {
    minor: 29,
    orgs: &[],
    absent: &[],
    leaf_not_before: NotBefore::CaNotBefore,
    kubelet_server: Server::ControlPlane,
    residual: Residual::Short,
};

/// 1.31: v1beta4's `GetConfig` backdates every certificate; `HumanDuration`.
const V1_31: Release =
    Release { minor: 31, leaf_not_before: NotBefore::Backdated5m, residual: Residual::Human, ..V1_29 };

/// 1.33: `ControlPlaneKubeletLocalMode` on by default.
const V1_33: Release = Release { minor: 33, kubelet_server: Server::Local, ..V1_31 };

/// The releases followed, oldest first; the last is the default.
pub const RELEASES: &[Release] = &[
    Release {
        minor: 28,
        orgs: &[
            ("admin", MASTERS),
            ("apiserver-kubelet-client", MASTERS),
            ("etcd-healthcheck-client", MASTERS),
            ("apiserver-etcd-client", MASTERS),
        ],
        absent: &["super-admin"],
        ..V1_29
    },
    V1_29,
    Release { minor: 30, ..V1_29 },
    V1_31,
    Release { minor: 32, ..V1_31 },
    V1_33,
];

/// The release followed when none is named: the newest.
pub fn newest() -> &'static Release {
    &V1_33
}

/// The release `text` names: `v1.31`, `1.31` or `1.31.2` (a patch release behaves as its
/// minor release here).
pub fn parse(text: &str) -> Result<&'static Release> {
    let bad = |why: &str| Error::usage(format!("--kubernetes-version '{}': {why}", crate::term::sanitize(text)));
    let trimmed = text.trim().trim_start_matches('v');
    let mut parts = trimmed.split('.');
    let (Some("1"), Some(minor)) = (parts.next(), parts.next()) else {
        return Err(bad("expected 1.MINOR or 1.MINOR.PATCH, e.g. 1.31 or v1.31.2"));
    };
    let patch_ok = parts.next().is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !patch_ok || parts.next().is_some() {
        return Err(bad("expected 1.MINOR or 1.MINOR.PATCH, e.g. 1.31 or v1.31.2"));
    }
    let minor: u32 = minor.parse().map_err(|_| bad("the minor version is not a number"))?;
    RELEASES.iter().find(|r| r.minor == minor).ok_or_else(|| {
        let known: Vec<String> = RELEASES.iter().map(Release::name).collect();
        bad(&format!("not a release this version follows ({})", known.join(", ")))
    })
}

impl Release {
    /// `1.31`.
    pub fn name(&self) -> String {
        format!("1.{}", self.minor)
    }

    /// The O values this release writes for the profile named `profile`, where they differ from
    /// the profile table's.
    pub fn orgs_for(&self, profile: &str) -> Option<&'static [&'static str]> {
        self.orgs.iter().find(|(name, _)| *name == profile).map(|(_, o)| *o)
    }

    /// Whether this release writes the profile named `profile`.
    pub fn writes(&self, profile: &str) -> bool {
        !self.absent.contains(&profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_as_users_write_them() {
        for text in ["1.31", "v1.31", "1.31.2", "v1.31.0"] {
            assert_eq!(parse(text).map(|r| r.minor).ok(), Some(31), "{text}");
        }
        for text in ["1.27", "2.0", "1", "1.x", "1.31.", "1.31.2.3", "1.31.x", ""] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert_eq!(newest().minor, 33);
        assert_eq!(RELEASES.last().map(|r| r.minor), Some(newest().minor), "the default is the last row");
        let err = parse("1.40").expect_err("unknown").to_string();
        assert!(err.contains("1.28, 1.29, 1.30, 1.31, 1.32, 1.33"), "{err}");
    }

    #[test]
    fn the_newest_release_is_the_profile_table_itself() {
        assert!(newest().orgs.is_empty() && newest().absent.is_empty());
        assert_eq!(parse("1.28").ok().and_then(|r| r.orgs_for("admin")), Some(MASTERS));
        assert!(parse("1.28").is_ok_and(|r| !r.writes("super-admin")));
    }
}
