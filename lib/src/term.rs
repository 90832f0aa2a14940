//! Terminal decisions, made once: colour only for human output on a terminal, never with
//! `NO_COLOR`, and never in data; certificate text is sanitised before it is printed.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_means_plain() {
        assert!(!use_color(ColorChoice::Never));
        assert!(use_color(ColorChoice::Always));
        assert_eq!(Paint::new(false).bad("x"), "x");
        assert_eq!(Paint::new(true).bad("x"), "\x1b[31mx\x1b[0m");
    }
}
