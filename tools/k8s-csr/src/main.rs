//! The `k8s-csr` binary: parse flags, run, exit.
fn main() {
    std::process::exit(k8s_csr::main_with(std::env::args_os()));
}
