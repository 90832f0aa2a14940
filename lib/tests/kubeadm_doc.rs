//! `docs/kubeadm.md` is the spec the profile table follows, with the kubeadm source of each
//! row: this walks its profile table against `profile::PROFILES`, row by row, column by column.

use k8s_pki::kubeadm::profile::PROFILES;

/// The rows between `<!-- NAME: begin -->` and `<!-- NAME: end -->`, as cells without backticks.
fn table(doc: &str, name: &str) -> Vec<Vec<String>> {
    let begin = format!("<!-- {name}: begin -->");
    let end = format!("<!-- {name}: end -->");
    let start = doc.find(&begin).unwrap_or_else(|| panic!("docs/kubeadm.md has no {begin}"));
    let stop = doc[start..].find(&end).unwrap_or_else(|| panic!("docs/kubeadm.md has no {end}")) + start;
    doc[start + begin.len()..stop]
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|l| l.trim().trim_matches('|').split('|').map(|c| c.trim().replace('`', "")).collect())
        .collect()
}

fn joined(values: &[&str]) -> String {
    if values.is_empty() { "–".to_string() } else { values.join(", ") }
}

#[test]
fn the_profile_table_is_the_documented_one() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/kubeadm.md"))
        .expect("docs/kubeadm.md is in the repository");
    let rows = table(&doc, "profiles");
    assert_eq!(rows.len(), PROFILES.len(), "one documented row per profile");
    for (row, p) in rows.iter().zip(PROFILES) {
        assert_eq!(row.len(), 7, "{row:?}");
        let signer = p.signer.map(|s| s.profile()).unwrap_or("self-signed");
        let usages =
            if p.is_ca { "CA".to_string() } else { joined(&p.usages.iter().map(|u| u.name()).collect::<Vec<_>>()) };
        let want = [
            p.name.to_string(),
            p.path().unwrap_or_else(|| "–".into()),
            signer.to_string(),
            p.cn.replace("{node}", "NODE"),
            joined(p.orgs),
            usages,
        ];
        assert_eq!(&row[..6], &want[..], "profile {} differs from docs/kubeadm.md", p.name);
        assert!(!row[6].is_empty(), "profile {} cites no upstream source", p.name);
    }
}

#[test]
fn the_release_rows_are_the_documented_release_table() {
    use k8s_pki::kubeadm::release::{NotBefore, RELEASES, Residual, Server};
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/kubeadm.md"))
        .expect("docs/kubeadm.md is in the repository");
    let rows = table(&doc, "releases");
    let header: Vec<String> = RELEASES.iter().map(|r| r.name()).collect();
    let want_header = format!("| what | {} | upstream |", header.join(" | "));
    assert!(doc.contains(&want_header), "the release table's columns are {header:?}");
    let row = |what: &str| {
        rows.iter().find(|r| r[0] == what).unwrap_or_else(|| panic!("docs/kubeadm.md has no release row '{what}'"))
    };
    let mut checked = 0;
    for r in rows.iter().filter(|r| r[0].ends_with(" O")) {
        let file = r[0].trim_end_matches(" O");
        let profile = PROFILES
            .iter()
            .find(|p| p.name == file || p.path().as_deref() == Some(file))
            .unwrap_or_else(|| panic!("no profile for release row {file}"));
        for (i, release) in RELEASES.iter().enumerate() {
            assert_eq!(r[i + 1], joined(profile.orgs_in(release)), "{file} in {}", release.name());
        }
        checked += 1;
    }
    assert_eq!(checked, 4, "admin.conf, apiserver-kubelet-client and the two etcd clients");
    let super_admin = PROFILES.iter().find(|p| p.name == "super-admin").expect("super-admin");
    let leaves = row("NotBefore of leaves under pki/");
    let kubelet = row("kubelet.conf server written by init");
    let residual = row("check-expiration text RESIDUAL TIME");
    for (i, release) in RELEASES.iter().enumerate() {
        let cell = |r: &Vec<String>| r[i + 1].clone();
        let name = release.name();
        assert_eq!(
            cell(row("super-admin.conf written by kubeadm init")) == "yes",
            release.writes(super_admin.name),
            "{name}"
        );
        let backdated = release.leaf_not_before == NotBefore::Backdated5m;
        assert_eq!(cell(leaves).starts_with("START − 5m"), backdated, "{name}: {}", cell(leaves));
        let local = release.kubelet_server == Server::Local;
        assert_eq!(cell(kubelet).starts_with("local URL"), local, "{name}: {}", cell(kubelet));
        let short = release.residual == Residual::Short;
        assert_eq!(cell(residual).starts_with("ShortHumanDuration"), short, "{name}: {}", cell(residual));
    }
}
