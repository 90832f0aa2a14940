//! The `k8s-rotate` binary: parse flags, run, exit.
fn main() {
    std::process::exit(k8s_rotate::main_with(std::env::args_os()));
}
