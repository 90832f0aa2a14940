//! The COMING FROM OPENSSL, CFSSL, KUBEADM section of a man page, from each tool's
//! `SPELLINGS`, and the check that each spelling is really accepted.

use clap_mangen::roff::{Roff, bold, roman};
use k8s_pki_cli::Spelling;

/// Renders the section (nothing when a tool has no spellings).
pub fn section(roff: &mut Roff, spellings: &[Spelling]) {
    if spellings.is_empty() {
        return;
    }
    roff.control("SH", ["COMING FROM OPENSSL, CFSSL, KUBEADM"]);
    roff.text([roman(
        "These spellings of other tools are accepted as written. Single-dash words are openssl's and cfssl's (also as -word=value); the others are aliases. Any other single-dash word of more than one letter is a usage error (exit 2), never read as short options.",
    )]);
    for s in spellings {
        roff.control("TP", []);
        roff.text([bold(s.theirs)]);
        roff.text([roman(format!("means {} ({})", s.ours, s.from))]);
    }
}

/// Why a spelling is not what `command` accepts, if it is not.
#[cfg(test)]
pub fn check(command: &clap::Command, spelling: &Spelling) -> Result<(), String> {
    let mut command = command.clone();
    command.build();
    let ours: Vec<&str> = spelling.ours.split_whitespace().collect();
    let long = |word: &str| word.strip_prefix("--").map(str::to_string);
    let find = |name: &str| {
        command
            .get_arguments()
            .find(|a| a.get_long() == Some(name) || a.get_visible_aliases().is_some_and(|v| v.contains(&name)))
    };
    let first = ours.first().and_then(|w| long(w)).ok_or("ours is not a --flag")?;
    let arg = find(&first).ok_or(format!("no flag --{first}"))?;
    if spelling.rewritten() {
        return Ok(());
    }
    let theirs: Vec<&str> = spelling.theirs.split_whitespace().collect();
    let their_flag = theirs.first().and_then(|w| long(w)).ok_or("theirs is not a --flag")?;
    let same = find(&their_flag).is_some_and(|a| a.get_id() == arg.get_id());
    if !same {
        return Err(format!("--{their_flag} is not an alias of --{first}"));
    }
    if let Some(value) = theirs.get(1) {
        let accepted = arg.get_possible_values().iter().any(|v| v.matches(value, false));
        if !accepted {
            return Err(format!("--{first} does not accept '{value}'"));
        }
    }
    Ok(())
}
