//! See k8s_pki::fuzzing::cluster_dump: the same code replays the corpus in `make test`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| k8s_pki::fuzzing::cluster_dump(data));
