//! A file's imports, as the structure tests see them: every `crate::…` and `super::…` path (in
//! `use` braces too) and every path through a module it declares, each resolved to the deepest
//! file it names; and the cycles and tangles of the graph they make.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `root`, with its module path (`rotation::tree`; `rotation` for
/// `rotation/mod.rs`; `` for the crate root).
pub fn sources(root: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the sources") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).expect("under the root").with_extension("");
                let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    assert!(out.len() > 10, "found only {} files under {}", out.len(), root.display());
    out
}

/// Drops comments and string literals, which may hold `crate::` as prose.
pub fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            // A char literal ('"', '{') is skipped whole; a lifetime ('a) is one quote.
            '\'' => {
                let rest: String = chars.clone().take(3).collect();
                let len = if rest.starts_with('\\') {
                    rest.find('\'').map_or(0, |i| i + 1)
                } else if rest.chars().nth(1) == Some('\'') {
                    2
                } else {
                    0
                };
                for _ in 0..len {
                    chars.next();
                }
                out.push('\'');
            }
            c => out.push(c),
        }
    }
    out
}

pub fn ident_at(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The paths that follow `prefix` (`crate::`, `super::`, `child::`) in `code`, braces expanded:
/// `crate::{a::B, c}` gives `a::B` and `c`.
pub fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        out.extend(expand(&code[i + prefix.len()..]));
    }
    out
}

/// `a::b::C` or `{a::B, c::{D, E}}` at the start of `text`, as full paths.
pub fn expand(text: &str) -> Vec<String> {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('{') {
        let mut depth = 0;
        let mut end = inner.len();
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    end = i;
                    break;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        let mut items = Vec::new();
        let (mut depth, mut start) = (0, 0);
        let body = &inner[..end];
        for (i, c) in body.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(&body[start..]);
        return items.into_iter().flat_map(expand).collect();
    }
    let mut path = Vec::new();
    let mut rest = text;
    loop {
        let id = ident_at(rest);
        if id.is_empty() {
            if rest.starts_with('{') {
                let base = path.join("::");
                return expand(rest)
                    .into_iter()
                    .map(|p| if base.is_empty() { p } else { format!("{base}::{p}") })
                    .collect();
            }
            break;
        }
        path.push(id.to_string());
        rest = &rest[id.len()..];
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    if path.is_empty() { Vec::new() } else { vec![path.join("::")] }
}

/// The deepest file `path` (from the crate root) names.
pub fn resolve(path: &str, files: &BTreeMap<String, PathBuf>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| files.contains_key(m))
}

pub fn parent(module: &str) -> String {
    module.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// Which files each file imports.
pub fn graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = sources(root);
    let mut graph = BTreeMap::new();
    for (module, path) in &files {
        let code = code_only(&std::fs::read_to_string(path).expect("read"));
        let mut deps = BTreeSet::new();
        let mut add = |full: String| {
            if let Some(to) = resolve(&full, &files)
                && to != *module
                && !to.is_empty()
            {
                deps.insert(to);
            }
        };
        for p in paths_after(&code, "crate::") {
            add(p);
        }
        // super:: (and super::super::) from this file's module.
        for p in paths_after(&code, "super::") {
            let mut base = parent(module);
            let mut rest = p.as_str();
            while let Some(r) = rest.strip_prefix("super::") {
                base = parent(&base);
                rest = r;
            }
            if rest != "super" {
                add(if base.is_empty() { rest.to_string() } else { format!("{base}::{rest}") });
            }
        }
        // Paths through the modules this file declares.
        for line in code.lines().map(str::trim) {
            let decl = line.trim_start_matches("pub(crate) ").trim_start_matches("pub ");
            if let Some(child) = decl.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
                let child_module = if module.is_empty() { child.to_string() } else { format!("{module}::{child}") };
                for p in paths_after(&code, &format!("{child}::")) {
                    add(format!("{child_module}::{p}"));
                }
                // `use child::X` and `pub use child::{…}` at the start of a line.
                for p in paths_after(&code, &format!("use {child}::")) {
                    add(format!("{child_module}::{p}"));
                }
            }
        }
        graph.insert(module.clone(), deps);
    }
    graph
}

/// The first cycle in `graph`, if any.
pub fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Every group of files that import each other (strongly connected, more than one file).
pub fn tangles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Files that reach each other: a reaches b and b reaches a.
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            for next in graph.get(&n).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|k| (k, reach(k))).collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for a in graph.keys() {
        if out.iter().any(|g| g.contains(a)) || !reaches[a].contains(a) {
            continue;
        }
        out.push(graph.keys().filter(|b| reaches[a].contains(*b) && reaches[*b].contains(a)).cloned().collect());
    }
    out
}
