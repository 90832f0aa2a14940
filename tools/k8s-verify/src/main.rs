//! The `k8s-verify` binary: parse flags, run, exit.
fn main() {
    std::process::exit(k8s_verify::main_with(std::env::args_os()));
}
