//! Terminal decisions, made once: colour only for human output on a terminal, never with
//! `NO_COLOR`, and never in data; text from input (certificate fields, labels, file names,
//! kubeconfig and CSR-object fields) is sanitised before it is printed, so that no escape
//! sequence, bidi override or invisible character from an attacker reaches a terminal.

use std::io::IsTerminal;

/// `--color auto|always|never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour stdout.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
        }
    }
}

/// Paints text with ANSI colours, or leaves it plain.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// A painter that colours when `on`.
    pub fn new(on: bool) -> Paint {
        Paint { on }
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }

    /// Green.
    pub fn good(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    /// Red.
    pub fn bad(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    /// Yellow.
    pub fn warn(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    /// Dim.
    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}

/// Whether `c` must not reach a terminal raw: C0/C1 controls (escape sequences start with
/// ESC or CSI), Unicode bidi controls (which reorder what is shown), and zero-width or
/// invisible characters (which hide what is there).
/// Whether a character must not reach a terminal raw: controls (C0, DEL, C1), bidi overrides and
/// isolates, zero-width and other invisible characters.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
            | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}')
}

/// Text from input made safe for one line of a terminal: unsafe characters become `?`,
/// and the whole is cut at 80 characters (with `…`).
pub fn sanitize(s: &str) -> String {
    let mut out: String = s.chars().take(80).map(|c| if is_unsafe(c) { '?' } else { c }).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// Text from input made safe for a terminal, at any length: unsafe characters become `?`.
pub fn sanitize_line(s: &str) -> String {
    s.chars().map(|c| if is_unsafe(c) { '?' } else { c }).collect()
}

/// Text from input shown so that what was there can still be read: controls (C0, DEL, C1) as
/// `\xNN`, other unsafe characters (bidi, invisible) as `\u{NNNN}`, a backslash as `\\`; cut
/// at 256 characters (with `…`). Used where a name identifies an object (the trust map).
pub fn escape(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 256 {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x100 && is_unsafe(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// JSON text with every unsafe character that serde_json leaves raw (DEL, C1, bidi, invisible)
/// written as a `\uNNNN` escape instead: the same JSON value, and no raw control on a terminal.
pub fn json_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Human-readable text of many lines made safe for a terminal: each line as
/// [`sanitize_line`], the line breaks kept (colour codes are added after this, never before).
pub fn sanitize_text(s: &str) -> String {
    s.split('\n').map(sanitize_line).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_names_show_what_was_there() {
        assert_eq!(escape("a\x1b[0m\u{202E}b\\c\u{9b}"), "a\\x1b[0m\\u{202e}b\\\\c\\x9b");
        assert_eq!(escape(&"x".repeat(300)).chars().count(), 257);
        let json = serde_json::to_string(&"a\u{7f}\u{202E}b").expect("json");
        let safe = json_safe(&json);
        assert!(safe.chars().all(|c| !is_unsafe(c)), "{safe}");
        assert_eq!(serde_json::from_str::<String>(&safe).expect("same value"), "a\u{7f}\u{202E}b");
    }

    #[test]
    fn controls_bidi_and_invisible_characters_are_replaced() {
        let hostile = "a\x1b]0;title\x07b\u{202E}c\u{200B}d\u{2066}e\u{FEFF}f\u{9b}g\nh";
        assert_eq!(sanitize_line(hostile), "a?]0;title?b?c?d?e?f?g?h");
        assert_eq!(sanitize_line("système:nœud ✓"), "système:nœud ✓");
        assert_eq!(sanitize_text("a\x1b[2J\nb\u{202E}\n"), "a?[2J\nb?\n");
        let long = "x".repeat(100);
        assert_eq!(sanitize(&long).chars().count(), 81);
        assert!(sanitize(&long).ends_with('…'));
    }

    #[test]
    fn never_means_plain() {
        assert!(!use_color(ColorChoice::Never));
        assert!(use_color(ColorChoice::Always));
        assert_eq!(Paint::new(false).bad("x"), "x");
        assert_eq!(Paint::new(true).bad("x"), "\x1b[31mx\x1b[0m");
    }
}
