//! Reading cluster dumps: the JSON `kubectl get … -o json` writes (a `List`), a typed list the
//! API returns (`ConfigMapList`), or one object; several files merged, the later one winning for
//! an object held twice. Every bound is checked on the bytes before anything is allocated for
//! them, and only the fields the map reads are kept (docs/trust-map.md, "Inputs").

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::object::{Object, ObjectRef};
use crate::error::{Error, Result};

/// Most bytes of one dump file (stdin included).
pub const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Most bytes of every dump together.
pub const MAX_TOTAL: u64 = 256 * 1024 * 1024;
/// Most objects across the dumps.
pub const MAX_ITEMS: usize = 200_000;
/// Deepest JSON nesting.
pub const MAX_DEPTH: usize = 128;
/// Most JSON values (array elements and object members) in one file: what keeps a file of
/// empty objects from growing tenfold once parsed.
pub const MAX_VALUES: usize = 8_000_000;

/// The objects of every dump, by their identity, and what the reading noticed.
#[derive(Default)]
pub struct Objects {
    /// Each object once: the last file that held it wins.
    pub by_ref: BTreeMap<ObjectRef, Object>,
    /// Objects held by two files (the later one was kept).
    pub replaced: Vec<(ObjectRef, String)>,
    /// Objects without a kind or a name, by file.
    pub nameless: Vec<String>,
}

/// One file's top level: a list (`items`) or an object.
#[derive(Deserialize)]
struct Top {
    #[serde(default, deserialize_with = "counted_items")]
    items: Option<Vec<Object>>,
    #[serde(flatten)]
    object: Object,
}

thread_local! {
    static ITEMS_LEFT: std::cell::Cell<usize> = const { std::cell::Cell::new(MAX_ITEMS) };
}

/// A list's items, refused at the first one over [`MAX_ITEMS`] (counted across files).
fn counted_items<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<Object>>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<Vec<Object>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of objects")
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            loop {
                if ITEMS_LEFT.with(|left| left.get()) == 0 {
                    return Err(serde::de::Error::custom(TOO_MANY));
                }
                match seq.next_element::<Object>()? {
                    Some(item) => {
                        ITEMS_LEFT.with(|left| left.set(left.get() - 1));
                        items.push(item);
                    }
                    None => return Ok(Some(items)),
                }
            }
        }
    }
    d.deserialize_any(Visit)
}

const TOO_MANY: &str = "more than 200000 items";

/// Reads every dump (`-` is stdin, at most once) and merges their objects.
pub fn read_all(paths: &[std::path::PathBuf]) -> Result<Objects> {
    if paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::usage("--cluster-dump - (stdin) can be given once"));
    }
    ITEMS_LEFT.with(|left| left.set(MAX_ITEMS));
    let mut objects = Objects::default();
    let mut total = 0u64;
    for path in paths {
        let input = crate::input::Input::open(Some(path), "a cluster dump (kubectl get … -o json)")?;
        let name = input.name.clone();
        // Sized once from the file's length (no doubling past it); stdin grows as it comes.
        let hint = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0).min(MAX_FILE + 1);
        let bytes = read_bounded(input, &name, MAX_TOTAL - total, hint as usize)?;
        total += bytes.len() as u64;
        let items = parse(&bytes, &name)?;
        drop(bytes);
        merge(&mut objects, items, &name);
    }
    Ok(objects)
}

fn read_bounded(input: crate::input::Input, name: &str, total_left: u64, hint: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(hint.saturating_add(1));
    let limit = MAX_FILE.min(total_left);
    input.into_reader().take(limit + 1).read_to_end(&mut buf).map_err(|e| Error::io(Path::new(name), &e))?;
    if buf.len() as u64 > limit {
        let what = if limit < MAX_FILE { "the dumps together are larger than 256 MiB" } else { "larger than 64 MiB" };
        return Err(Error::input(name, format!("cluster dump refused: {what}")));
    }
    Ok(buf)
}

/// The objects of one file's bytes.
pub fn parse(bytes: &[u8], name: &str) -> Result<Vec<Object>> {
    let shape = shape(bytes);
    if shape.depth > MAX_DEPTH {
        return Err(Error::input(name, format!("cluster dump refused: JSON nests deeper than {MAX_DEPTH} levels")));
    }
    if shape.values > MAX_VALUES {
        return Err(Error::input(name, format!("cluster dump refused: more than {MAX_VALUES} JSON values")));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = Top::deserialize(&mut de).and_then(|t| de.end().map(|()| t)).map_err(|e| refusal(&e, bytes, name))?;
    Ok(match top.items {
        Some(items) => items,
        None if top.object.kind.is_some() => vec![top.object],
        None => {
            return Err(Error::input(name, "not a cluster dump: neither a list with items nor an object with a kind"));
        }
    })
}

fn refusal(e: &serde_json::Error, bytes: &[u8], name: &str) -> Error {
    let text = e.to_string();
    if text.starts_with(TOO_MANY) {
        return Error::input(name, format!("cluster dump refused: {TOO_MANY}"));
    }
    if text.starts_with("recursion limit exceeded") {
        return Error::input(name, format!("cluster dump refused: JSON nests deeper than {MAX_DEPTH} levels"));
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let message = match (e.classify(), first) {
        (_, None) => "empty: expected the JSON of kubectl get … -o json".to_string(),
        (_, Some(b)) if *b != b'{' && *b != b'[' => {
            "not JSON (YAML is refused: write the dump with kubectl get … -o json)".to_string()
        }
        (serde_json::error::Category::Syntax, _) if text.starts_with("trailing characters") => {
            "more than one JSON document: give one kubectl get … -o json per file".to_string()
        }
        _ => format!("not a cluster dump{}", crate::input::json_where(e)),
    };
    Error::input(name, message)
}

impl Objects {
    /// The objects of one file's items.
    pub fn from_items(items: Vec<Object>, file: &str) -> Objects {
        let mut objects = Objects::default();
        merge(&mut objects, items, file);
        objects
    }
}

fn merge(into: &mut Objects, objects: Vec<Object>, file: &str) {
    for object in objects {
        match object.reference() {
            Some(r) => {
                if into.by_ref.insert(r.clone(), object).is_some() {
                    into.replaced.push((r, file.to_string()));
                }
            }
            None => into.nameless.push(file.to_string()),
        }
    }
}

/// What the bytes say before parsing: the deepest nesting, and how many values there are.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    /// Deepest nesting of `[` and `{`.
    pub depth: usize,
    /// Array elements and object members (opening brackets and commas outside strings).
    pub values: usize,
}

/// Measures JSON bytes outside strings, in one pass, without allocating.
pub fn shape(bytes: &[u8]) -> Shape {
    let (mut depth, mut max, mut values) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
                values += 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => values += 1,
            _ => {}
        }
        i += 1;
    }
    Shape { depth: max, values }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_a_typed_list_and_one_object_are_read() {
        let list = br#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n"},"data":{"k":"v"}}]}"#;
        assert_eq!(parse(list, "d").expect("list").len(), 1);
        let typed =
            br#"{"kind":"ConfigMapList","apiVersion":"v1","items":[{"metadata":{"name":"a","namespace":"n"}}]}"#;
        let items = parse(typed, "d").expect("typed");
        assert_eq!(items.len(), 1);
        let one = br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"n"}}"#;
        assert_eq!(parse(one, "d").expect("one")[0].kind.as_deref(), Some("Secret"));
    }

    #[test]
    fn yaml_two_documents_and_deep_nesting_are_refused_by_name() {
        let e = parse(b"apiVersion: v1\nkind: List\n", "d").expect_err("yaml");
        assert!(e.to_string().contains("YAML is refused"), "{e}");
        assert_eq!(e.exit_code(), 3);
        let e = parse(br#"{"kind":"List","items":[]} {"kind":"List","items":[]}"#, "d").expect_err("two");
        assert!(e.to_string().contains("more than one JSON document"), "{e}");
        let deep = format!(
            r#"{{"kind":"List","items":[{{"kind":"ConfigMap","x":{}1{}}}]}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let e = parse(deep.as_bytes(), "d").expect_err("deep");
        assert!(e.to_string().contains("deeper than 128"), "{e}");
    }

    #[test]
    fn the_shape_skips_strings_and_escapes() {
        assert_eq!(shape(br#"{"a":"[[{\"","b":[1,2]}"#), Shape { depth: 2, values: 4 });
    }

    #[test]
    fn too_many_items_are_refused_while_reading() {
        ITEMS_LEFT.with(|left| left.set(2));
        let e = parse(br#"{"kind":"List","items":[{"kind":"A"},{"kind":"B"},{"kind":"C"}]}"#, "d").expect_err("3");
        ITEMS_LEFT.with(|left| left.set(MAX_ITEMS));
        assert!(e.to_string().contains("more than 200000 items"), "{e}");
    }
}
