//! Other tools' spellings of our flags, and the single-dash words clap would split: openssl's
//! and cfssl's `-days`, `-CAkey`, `-config=FILE` are rewritten before parsing; any other
//! single-dash word is refused with the long options it may have meant.

/// Another tool's spelling of one of our flags or values, accepted as written: `theirs` as
/// openssl, cfssl, kubeadm or kubectl write it, `ours` the flag (and value) it means, `from` the
/// command it comes from. A single-dash `theirs` (`-days`, `-CAkey`) is rewritten to `ours`
/// before parsing, since clap has no single-dash long flags; the others are clap aliases of
/// `ours` (a test checks each). Man pages list them under COMING FROM OPENSSL, CFSSL, KUBEADM.
#[derive(Clone, Copy, Debug)]
pub struct Spelling {
    /// Their spelling.
    pub theirs: &'static str,
    /// What it means here.
    pub ours: &'static str,
    /// Where the spelling comes from.
    pub from: &'static str,
}

impl Spelling {
    /// Whether `theirs` is rewritten before parsing (a single-dash word).
    pub fn rewritten(&self) -> bool {
        self.theirs.starts_with('-') && !self.theirs.starts_with("--")
    }
}

/// The arguments with each single-dash spelling replaced by the words of `ours` (only whole
/// words that are exactly a spelling; everything else untouched).
pub fn respell(args: impl IntoIterator<Item = std::ffi::OsString>, spellings: &[Spelling]) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    for arg in args {
        // `-config ca-config.json`, or Go's flag package's `-config=ca-config.json`.
        let hit = arg.to_str().and_then(|text| {
            spellings.iter().filter(|s| s.rewritten()).find_map(|s| match text.strip_prefix(s.theirs)? {
                "" => Some((s, None)),
                rest => rest.strip_prefix('=').map(|value| (s, Some(value.to_string()))),
            })
        });
        match hit {
            Some((s, value)) => {
                let mut words: Vec<String> = s.ours.split_whitespace().map(str::to_string).collect();
                if let (Some(last), Some(value)) = (words.last_mut(), value) {
                    last.push('=');
                    last.push_str(&value);
                }
                out.extend(words.into_iter().map(std::ffi::OsString::from));
            }
            None => out.push(arg),
        }
    }
    out
}

/// The first argument (before a `--`) that is a single dash, a letter and more: not an option
/// here, whatever clap would make of it. `-` (stdin) and negative numbers (`-5`) are values.
pub fn single_dash_word(args: &[std::ffi::OsString]) -> Option<String> {
    args.iter()
        .skip(1)
        .map(|a| a.to_string_lossy())
        .take_while(|a| a != "--")
        .find(|a| {
            let mut chars = a.chars();
            chars.next() == Some('-')
                && chars.next().is_some_and(|c| c != '-' && !c.is_ascii_digit())
                && chars.next().is_some()
        })
        .map(|a| a.into_owned())
}

/// Why `word` is refused, and the long options it may have meant.
pub(crate) fn single_dash_hint(cmd: &clap::Command, word: &str) -> String {
    let bare = word.trim_start_matches('-').split('=').next().unwrap_or_default().to_ascii_lowercase();
    let mut longs: Vec<String> = Vec::new();
    collect_longs(cmd, &mut longs);
    let mut near: Vec<&String> = longs
        .iter()
        .filter(|l| {
            **l == bare
                || l.ends_with(&format!("-{bare}"))
                || l.starts_with(&format!("{bare}-"))
                || (bare.len() > 2 && l.starts_with(&bare))
        })
        .collect();
    near.sort_by_key(|l| (**l != bare, l.len()));
    near.dedup();
    let shown = k8s_pki::term::sanitize(word);
    let what = "a single-dash word is not an option here (long options take two dashes; the openssl and cfssl spellings accepted are in the man page)";
    match near.as_slice() {
        [] => format!("{shown}: {what}"),
        names => {
            let names: Vec<String> = names.iter().take(3).map(|n| format!("--{n}")).collect();
            format!("{shown}: {what}; did you mean {}?", names.join(" or "))
        }
    }
}

fn collect_longs(cmd: &clap::Command, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            out.push(long.to_string());
        }
        out.extend(arg.get_all_aliases().unwrap_or_default().into_iter().map(str::to_string));
    }
    for sub in cmd.get_subcommands() {
        collect_longs(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respell_takes_both_of_gos_flag_forms() {
        let spellings = [
            Spelling { theirs: "-config", ours: "--config", from: "cfssl gencert" },
            Spelling { theirs: "-signkey", ours: "--self-sign --key", from: "openssl x509 -req" },
        ];
        let args = ["k8s-sign", "-config=c.json", "-config", "d.json", "-signkey=k.pem", "-configx", "--config=e"];
        let out = respell(args.iter().map(std::ffi::OsString::from), &spellings);
        let out: Vec<&str> = out.iter().filter_map(|a| a.to_str()).collect();
        assert_eq!(
            out,
            [
                "k8s-sign",
                "--config=c.json",
                "--config",
                "d.json",
                "--self-sign",
                "--key=k.pem",
                "-configx",
                "--config=e"
            ]
        );
    }
}
