//! The shape a maintainer relies on, seen file by file: every file of `lib/src` stays under ~400
//! lines of non-test code and every other Rust file of the workspace (the commands, the test
//! suites, the fuzz targets, xtask) under ~400 lines in all, and no two files import each other, directly or through others — in
//! the library and in the end-to-end suite (`tests/e2e`). A file's imports are every `crate::…`
//! and `super::…` path in it (inside `use` braces too) and every path through a module it
//! declares (`mod child;` then `child::…`), each resolved to the deepest file it names; its unit
//! tests' imports count as much as the rest.

mod imports;

use std::path::{Path, PathBuf};

use imports::{code_only, cycle, graph, ident_at, sources, tangles};

/// Most lines of non-test code a file may have.
const MAX_LINES: usize = 400;

/// Most lines a function may have.
const MAX_FUNCTION_LINES: usize = 80;

/// Functions already longer, with their length when this list was made: each may shrink, none
/// may grow, and no other may join them. They are the next to split (ARCHITECTURE.md).
const LONG_FUNCTIONS: &[(&str, &str, usize)] = &[];

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

/// Every `.rs` file of the workspace outside `lib/src` and build output.
fn other_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read the workspace") {
            let path = entry.expect("entry").path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if path.is_dir() {
                if !(name.starts_with('.') || name == "target" || path == root.join("lib/src")) {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn no_other_file_is_over_the_limit() {
    let files = other_sources();
    let seen = |rel: &str| files.iter().any(|p| p.ends_with(rel));
    assert!(seen("tests/e2e/main.rs") && seen("tools/common/src/lib.rs") && seen("lib/tests/structure/main.rs"));
    assert!(!files.iter().any(|p| p.to_string_lossy().contains("/target/")), "build output is not source");
    let mut over = Vec::new();
    for path in files {
        let lines = std::fs::read_to_string(&path).expect("read").lines().count();
        if lines > MAX_LINES {
            over.push(format!("{} has {lines} lines", path.display()));
        }
    }
    assert!(over.is_empty(), "split these along their subjects:\n{}", over.join("\n"));
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

/// The commands' code too (tools/, fuzz/; not their unit tests): no function over the limit.
#[test]
fn no_function_of_the_commands_is_over_the_limit() {
    let files: Vec<PathBuf> = other_sources()
        .into_iter()
        .filter(|p| ["/tools/", "/fuzz/"].iter().any(|d| p.to_string_lossy().contains(d)))
        .collect();
    assert!(files.iter().any(|p| p.ends_with("tools/k8s-rotate/src/cli.rs")), "the commands are read");
    let mut over = Vec::new();
    for path in files {
        let code = code_only(non_test_code(&std::fs::read_to_string(&path).expect("read")));
        for (name, lines) in functions(&code).into_iter().filter(|(_, l)| *l > MAX_FUNCTION_LINES) {
            over.push(format!("{}: fn {name} has {lines} lines", path.display()));
        }
    }
    assert!(over.is_empty(), "split these:\n{}", over.join("\n"));
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
