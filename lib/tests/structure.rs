//! The shape a maintainer relies on: every module of `lib/src` stays under ~400 lines of
//! non-test code, and no two modules import each other (directly or through others).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Most lines of non-test code a module may have.
const MAX_LINES: usize = 400;

fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read lib/src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    assert!(out.len() > 10, "found only {} modules", out.len());
    out
}

/// The code before the unit tests.
fn non_test_code(text: &str) -> &str {
    text.split("\n#[cfg(test)]\nmod tests").next().unwrap_or(text)
}

/// The module a file is: `stream`, or `cmd` for everything under `cmd/`.
fn module_of(path: &Path) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rel = path.strip_prefix(&src).expect("under src");
    let first = rel.components().next().expect("component").as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

#[test]
fn no_module_is_over_the_limit() {
    let mut over = Vec::new();
    for path in sources() {
        let text = std::fs::read_to_string(&path).expect("read");
        let lines = non_test_code(&text).lines().count();
        if lines > MAX_LINES {
            over.push(format!("{} has {lines} lines of non-test code", path.display()));
        }
    }
    assert!(over.is_empty(), "split these along their nouns:\n{}", over.join("\n"));
}

#[test]
fn no_import_cycles() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in sources() {
        let from = module_of(&path);
        let text = std::fs::read_to_string(&path).expect("read");
        let deps = graph.entry(from.clone()).or_default();
        for (i, _) in non_test_code(&text).match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() && name != from && !matches!(name.as_str(), "Error" | "Result") {
                deps.insert(name);
            }
        }
    }
    assert!(graph.contains_key("pem") && graph.contains_key("cmd"), "modules: {:?}", graph.keys());
    // Depth-first search; a back edge is a cycle.
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
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}
