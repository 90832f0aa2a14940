//! Every input the fuzzers keep (fuzz/corpus/TARGET/) and every crash they ever found
//! (fuzz/regressions/TARGET/, kept forever) replayed through the code each target runs:
//! a panic here is a crash found again.

use std::path::Path;

#[test]
fn every_kept_fuzz_input_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut replayed = 0;
    for (name, run) in k8s_pki::fuzzing::TARGETS {
        let corpus = root.join("corpus").join(name);
        let seeds = std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0);
        assert!(seeds > 0, "{} has no seeds", corpus.display());
        for dir in [corpus, root.join("regressions").join(name)] {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                let bytes = std::fs::read(entry.path()).expect("readable corpus file");
                run(&bytes);
                replayed += 1;
            }
        }
    }
    assert!(replayed >= k8s_pki::fuzzing::TARGETS.len());
}
