//! What every k8s-pki command shares: the output and input flags, other tools' spellings, the
//! one-line error format, warnings, and the mapping of results to exit codes.

mod args;
mod parse;
mod report;
mod spelling;

pub use args::*;
pub use parse::{Example, after_help, exit_status_help, parse};
pub use report::{finish, note, stderr_line};
pub use spelling::{Spelling, respell, single_dash_word};
