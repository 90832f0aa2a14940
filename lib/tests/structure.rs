//! The shape a maintainer relies on, seen file by file: every file of `lib/src` stays under ~400
//! lines of non-test code, and no two files import each other, directly or through others — in
//! the library and in the end-to-end suite (`tests/e2e`). A file's imports are every `crate::…`
//! and `super::…` path in it (inside `use` braces too) and every path through a module it
//! declares (`mod child;` then `child::…`), each resolved to the deepest file it names; its unit
//! tests' imports count as much as the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Most lines of non-test code a file may have.
const MAX_LINES: usize = 400;

/// Most lines a function may have.
const MAX_FUNCTION_LINES: usize = 80;

/// Functions already longer, with their length when this list was made: each may shrink, none
/// may grow, and no other may join them. They are the next to split (ARCHITECTURE.md).
const LONG_FUNCTIONS: &[(&str, &str, usize)] = &[];

/// Every `.rs` file under `root`, with its module path (`rotation::tree`; `rotation` for
/// `rotation/mod.rs`; `` for the crate root).
fn sources(root: &Path) -> BTreeMap<String, PathBuf> {
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

fn lib_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn e2e() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/e2e")
}

/// The code before the unit tests.
fn non_test_code(text: &str) -> &str {
    text.split("\n#[cfg(test)]\nmod tests").next().unwrap_or(text)
}

/// Drops comments and string literals, which may hold `crate::` as prose.
fn code_only(text: &str) -> String {
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

fn ident_at(text: &str) -> &str {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    &text[..end]
}

/// The paths that follow `prefix` (`crate::`, `super::`, `child::`) in `code`, braces expanded:
/// `crate::{a::B, c}` gives `a::B` and `c`.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
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
fn expand(text: &str) -> Vec<String> {
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
fn resolve(path: &str, files: &BTreeMap<String, PathBuf>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| files.contains_key(m))
}

fn parent(module: &str) -> String {
    module.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// Which files each file imports.
fn graph(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
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
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
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
fn tangles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
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

#[test]
fn no_file_is_over_the_limit() {
    let mut over = Vec::new();
    for path in sources(&lib_src()).values() {
        let text = std::fs::read_to_string(path).expect("read");
        let lines = non_test_code(&text).lines().count();
        if lines > MAX_LINES {
            over.push(format!("{} has {lines} lines of non-test code", path.display()));
        }
    }
    assert!(over.is_empty(), "split these along their nouns:\n{}", over.join("\n"));
}

/// Each function of `code` with a body: its name and its number of lines, signature to `}`.
fn functions(code: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let words: Vec<&str> = lines[i].split_whitespace().collect();
        let Some(at) = words.iter().position(|w| *w == "fn") else {
            i += 1;
            continue;
        };
        let first = words.first().copied().unwrap_or_default();
        let is_item = at == 0 || first.starts_with("pub") || matches!(first, "const" | "async" | "unsafe");
        let name = words.get(at + 1).map(|w| ident_at(w).to_string()).unwrap_or_default();
        if !is_item || name.is_empty() {
            i += 1;
            continue;
        }
        let (mut depth, mut opened, mut j) = (0i32, false, i);
        while j < lines.len() {
            depth += lines[j].matches('{').count() as i32 - lines[j].matches('}').count() as i32;
            opened |= lines[j].contains('{');
            if (opened && depth <= 0) || (!opened && lines[j].trim_end().ends_with(';')) {
                break;
            }
            j += 1;
        }
        if opened {
            out.push((name, j - i + 1));
        }
        i = j + 1;
    }
    out
}

#[test]
fn no_function_is_over_the_limit() {
    let root = lib_src();
    let mut over = Vec::new();
    let mut seen = Vec::new();
    for path in sources(&root).values() {
        let rel = path.strip_prefix(&root).expect("under src").display().to_string();
        let code = code_only(non_test_code(&std::fs::read_to_string(path).expect("read")));
        for (name, lines) in functions(&code) {
            let allowed = LONG_FUNCTIONS.iter().find(|(f, n, _)| *f == rel && *n == name).map(|(_, _, l)| *l);
            if lines > allowed.unwrap_or(MAX_FUNCTION_LINES) {
                over.push(format!(
                    "{rel}: fn {name} has {lines} lines (at most {})",
                    allowed.unwrap_or(MAX_FUNCTION_LINES)
                ));
            }
            if allowed.is_some() && lines > MAX_FUNCTION_LINES {
                seen.push((rel.clone(), name));
            }
        }
    }
    assert!(over.is_empty(), "split these:\n{}", over.join("\n"));
    // A function split below the limit leaves the list.
    for (f, n, _) in LONG_FUNCTIONS {
        assert!(
            seen.iter().any(|(sf, sn)| sf == f && sn == n),
            "{f}: fn {n} is gone or short: drop it from LONG_FUNCTIONS"
        );
    }
}

#[test]
fn no_import_cycles_between_files() {
    let mut found = Vec::new();
    for root in [lib_src(), e2e()] {
        let graph = graph(&root);
        if let Some(c) = cycle(&graph) {
            let all: Vec<String> = tangles(&graph)
                .iter()
                .map(|g| {
                    let edges: Vec<String> = g
                        .iter()
                        .flat_map(|a| graph[a].iter().filter(|b| g.contains(*b)).map(move |b| format!("{a} > {b}")))
                        .collect();
                    edges.join(", ")
                })
                .collect();
            found.push(format!(
                "{}: import cycle between files: {}\n  files that import each other:\n  {}",
                root.display(),
                c.join(" -> "),
                all.join("\n  ")
            ));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The resolver itself: a cycle between siblings through `super::`, one through `crate::` braces,
/// and a parent and child that use each other are all seen; a parent using a child alone is not.
#[test]
fn the_cycle_finder_sees_files() {
    let dir = std::env::temp_dir().join(format!("structure-{}", std::process::id()));
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    for i in 0..9 {
        write(&format!("pad{i}.rs"), "");
    }
    write("lib.rs", "mod a;\nmod b;\n");
    write("a/mod.rs", "mod x;\nmod y;\nuse x::X;\n");
    write("a/x.rs", "// crate::b::Q is prose\npub struct X;\nfn f() { let _ = \"crate::b::Q\"; super::y::g(); }\n");
    write("a/y.rs", "pub fn g() {}\n");
    write("b.rs", "pub struct Q;\n");
    assert_eq!(cycle(&graph(&dir)), None, "{:?}", graph(&dir));
    write("a/y.rs", "use crate::{b::Q, a::{x::X}};\npub fn g() {}\n");
    assert_eq!(cycle(&graph(&dir)), Some(vec!["a::x".into(), "a::y".into(), "a::x".into()]));
    write("a/y.rs", "pub fn g() {}\n");
    write("a/x.rs", "use super::Z;\npub struct X;\n");
    assert_eq!(cycle(&graph(&dir)), Some(vec!["a".into(), "a::x".into(), "a".into()]));
    let _ = std::fs::remove_dir_all(&dir);
}
