//! The `k8s-genkey` binary: parse flags, run, exit.
fn main() {
    std::process::exit(k8s_genkey::main_with(std::env::args_os()));
}
