//! `docs/kubeadm.md` is the spec the profile table follows, with the kubeadm source of each
//! row: this walks its profile table against `profile::PROFILES`, row by row, column by column.

use k8s_pki::profile::PROFILES;

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
fn older_groups_are_the_documented_1_28_ones() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/kubeadm.md"))
        .expect("docs/kubeadm.md is in the repository");
    let releases = table(&doc, "releases");
    let header_ok = doc.contains("| what | 1.28 | 1.29 | 1.30 | 1.31 | 1.32 | 1.33 | upstream |");
    assert!(header_ok, "the release table's columns are 1.28 to 1.33");
    let mut checked = 0;
    for row in &releases {
        let Some(file) = row[0].strip_suffix(" O") else { continue };
        let profile = PROFILES
            .iter()
            .find(|p| p.name == file || p.path().as_deref() == Some(file))
            .unwrap_or_else(|| panic!("no profile for release row {file}"));
        let newest = &row[6];
        let oldest = &row[1];
        assert_eq!(newest, &joined(profile.orgs), "{file}: the default release's O");
        if oldest != newest {
            let older: Vec<String> = profile.older_orgs.iter().map(|set| joined(set)).collect();
            assert!(older.contains(oldest), "{file}: 1.28's O {oldest} is not among the older groups {older:?}");
        }
        checked += 1;
    }
    assert_eq!(checked, 4, "admin.conf, apiserver-kubelet-client and the two etcd clients");
}
