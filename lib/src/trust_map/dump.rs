//! Reading cluster dumps: the JSON `kubectl get … -o json` writes (a `List`), a typed list the
//! API returns (`ConfigMapList`), or one object; several files merged, the later one winning for
//! an object held twice. Every bound is checked on the bytes before anything is allocated for
//! them, and only the fields the map reads are kept (docs/trust-map.md, "Inputs").

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

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

/// The objects of every dump the map reads, by their identity, and what the reading noticed.
#[derive(Default)]
pub struct Objects {
    /// Each object of a kind the map reads, once: the last one read wins.
    pub by_ref: BTreeMap<ObjectRef, Object>,
    /// Objects held twice: the object, where it was first and where again (that one was kept).
    pub replaced: Vec<(ObjectRef, String, String)>,
    /// Items without a kind or a name, by file.
    pub nameless: Vec<String>,
    /// Objects of a kind the map reads whose fields could not be read, and why.
    pub invalid: Vec<(ObjectRef, String)>,
    /// Objects of other kinds (or of a known kind in another API group), counted by kind.
    pub skipped: BTreeMap<String, usize>,
}

/// One item of a file, as read.
pub enum Parsed {
    /// An object of a kind the map reads.
    Read(ObjectRef, Box<Object>),
    /// An object of another kind.
    Other(String),
    /// Not an object with a kind and a name.
    Nameless,
    /// An object of a kind the map reads whose fields do not have their types.
    Invalid(ObjectRef, String),
}

/// One file's top level: a list (`items`, each kept as its bytes until read) or an object.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default, borrow, deserialize_with = "counted_items")]
    items: Option<Vec<&'a RawValue>>,
}

thread_local! {
    static ITEMS_LEFT: std::cell::Cell<usize> = const { std::cell::Cell::new(MAX_ITEMS) };
}

/// Starts the bounds that hold across the dumps of one run.
pub fn reset() {
    ITEMS_LEFT.with(|left| left.set(MAX_ITEMS));
    super::bounded::reset();
}

/// A list's items, refused at the first one over [`MAX_ITEMS`] (counted across files).
fn counted_items<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<&'de RawValue>>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<Vec<&'de RawValue>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of objects")
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<&'de RawValue>()? {
                if ITEMS_LEFT.with(|left| left.get()) == 0 {
                    return Err(super::bounded::refuse(TOO_MANY));
                }
                ITEMS_LEFT.with(|left| left.set(left.get() - 1));
                items.push(item);
            }
            Ok(Some(items))
        }
    }
    d.deserialize_any(Visit)
}

const TOO_MANY: &str = "more than 200000 items";

/// Reads every dump (`-` is stdin, at most once) and merges their objects.
pub fn read_all(paths: &[std::path::PathBuf]) -> Result<Objects> {
    if paths.iter().filter(|p| crate::input::is_dash(p)).count() > 1 {
        return Err(Error::usage("--cluster-dump - (stdin) can be given once"));
    }
    reset();
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
        objects.merge(items, &name);
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

/// The items of one file's bytes: each read for its identity, and in full only when the map
/// reads its kind.
pub fn parse(bytes: &[u8], name: &str) -> Result<Vec<Parsed>> {
    let shape = shape(bytes);
    if shape.depth > MAX_DEPTH {
        return Err(Error::input(name, format!("cluster dump refused: JSON nests deeper than {MAX_DEPTH} levels")));
    }
    if shape.values > MAX_VALUES {
        return Err(Error::input(name, format!("cluster dump refused: more than {MAX_VALUES} JSON values")));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Error::input(name, "not a cluster dump: not UTF-8 JSON"))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let top = Top::deserialize(&mut de).and_then(|t| de.end().map(|()| t)).map_err(|e| refusal(&e, bytes, name))?;
    // A typed list (ConfigMapList) names its items' kind and version; kubectl's List does not.
    let list_kind = top.kind.as_deref().and_then(|k| k.strip_suffix("List")).filter(|k| !k.is_empty());
    let inherited = (list_kind, top.api_version.as_deref());
    match top.items {
        Some(items) => items.into_iter().map(|raw| item(raw.get(), inherited, name)).collect(),
        None if top.kind.is_some() => Ok(vec![item(text, (None, None), name)?]),
        None => Err(Error::input(name, "not a cluster dump: neither a list with items nor an object with a kind")),
    }
}

/// One item: its identity, then (for a kind the map reads) its fields.
fn item(raw: &str, (kind, version): (Option<&str>, Option<&str>), name: &str) -> Result<Parsed> {
    let Ok(mut header) = serde_json::from_str::<super::object::Header>(raw) else { return Ok(Parsed::Nameless) };
    if header.kind.is_none() {
        header.kind = kind.map(str::to_string);
        header.api_version = header.api_version.or_else(|| version.map(str::to_string));
    }
    let Some(r) = header.reference() else { return Ok(Parsed::Nameless) };
    match super::kinds::find(&r.kind) {
        Some(k) if k.group == r.group => match serde_json::from_str::<Object>(raw) {
            Ok(o) => Ok(Parsed::Read(r, Box::new(o))),
            Err(_) => match super::bounded::over() {
                Some(bound) => Err(Error::input(name, format!("cluster dump refused: {bound}"))),
                // No place in the message: the column of a Secret's member after a value tells
                // its length.
                None => Ok(Parsed::Invalid(r, format!("its fields do not have a {}'s types: not read", k.kind))),
            },
        },
        _ => Ok(Parsed::Other(r.kind)),
    }
}

fn refusal(e: &serde_json::Error, bytes: &[u8], name: &str) -> Error {
    if let Some(bound) = super::bounded::over() {
        return Error::input(name, format!("cluster dump refused: {bound}"));
    }
    // serde_json tells its recursion limit and trailing data only in its messages (their
    // category is Syntax).
    let text = e.to_string();
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
    pub fn from_items(items: Vec<Parsed>, file: &str) -> Objects {
        let mut objects = Objects::default();
        objects.merge(items, file);
        objects
    }

    fn merge(&mut self, items: Vec<Parsed>, file: &str) {
        for parsed in items {
            match parsed {
                Parsed::Read(r, mut object) => {
                    object.file = file.to_string();
                    if let Some(old) = self.by_ref.insert(r.clone(), *object) {
                        self.replaced.push((r, old.file, file.to_string()));
                    }
                }
                Parsed::Other(kind) => *self.skipped.entry(kind).or_default() += 1,
                Parsed::Nameless => self.nameless.push(file.to_string()),
                Parsed::Invalid(r, why) => self.invalid.push((r, why)),
            }
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

    fn read(bytes: &[u8]) -> Objects {
        reset();
        Objects::from_items(parse(bytes, "d").expect("parses"), "d")
    }

    #[test]
    fn a_list_a_typed_list_and_one_object_are_read() {
        let list = br#"{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n"},"data":{"k":"v"}}]}"#;
        assert_eq!(read(list).by_ref.len(), 1);
        let typed =
            br#"{"kind":"ConfigMapList","apiVersion":"v1","items":[{"metadata":{"name":"a","namespace":"n"}}]}"#;
        let objects = read(typed);
        assert_eq!(objects.by_ref.keys().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["ConfigMap"]);
        let one = br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"n"}}"#;
        assert_eq!(read(one).by_ref.keys().next().map(|r| r.kind.as_str()), Some("Secret"));
    }

    #[test]
    fn other_kinds_are_counted_unread_and_bad_fields_of_known_kinds_are_named() {
        let dump = br#"{"kind":"List","items":[
            {"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"r","namespace":"n"},"data":{"spec":{}}},
            {"apiVersion":"example.com/v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"},"data":{"x":1}},
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"bad","namespace":"n"},"data":{"x":1}},
            {"apiVersion":"apiregistration.k8s.io/v1","kind":"APIService","metadata":{"name":"v1.x"},"spec":{"insecureSkipTLSVerify":null,"service":null}},
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","namespace":"n"}},
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"twice","namespace":"n"}},
            17]}"#;
        let o = read(dump);
        let skipped: Vec<(String, usize)> = o.skipped.into_iter().collect();
        assert_eq!(skipped, [("ConfigMap".to_string(), 1), ("ControllerRevision".to_string(), 1)]);
        assert_eq!(o.invalid.len(), 1);
        assert_eq!(o.invalid[0].1, "its fields do not have a ConfigMap's types: not read");
        assert_eq!(o.by_ref.len(), 2);
        assert_eq!(o.replaced.len(), 1);
        assert_eq!(o.nameless.len(), 1);
    }

    #[test]
    fn yaml_two_documents_and_deep_nesting_are_refused_by_name() {
        let e = parse(b"apiVersion: v1\nkind: List\n", "d").err().expect("yaml");
        assert!(e.to_string().contains("YAML is refused"), "{e}");
        assert_eq!(e.exit_code(), 3);
        let e = parse(br#"{"kind":"List","items":[]} {"kind":"List","items":[]}"#, "d").err().expect("two");
        assert!(e.to_string().contains("more than one JSON document"), "{e}");
        let deep = format!(
            r#"{{"kind":"List","items":[{{"kind":"ConfigMap","x":{}1{}}}]}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        let e = parse(deep.as_bytes(), "d").err().expect("deep");
        assert!(e.to_string().contains("deeper than 128"), "{e}");
    }

    #[test]
    fn the_shape_skips_strings_and_escapes() {
        assert_eq!(shape(br#"{"a":"[[{\"","b":[1,2]}"#), Shape { depth: 2, values: 4 });
    }

    #[test]
    fn too_many_items_are_refused_while_reading_and_the_bound_itself_is_not() {
        reset();
        ITEMS_LEFT.with(|left| left.set(2));
        assert!(parse(br#"{"kind":"List","items":[{"kind":"A"},{"kind":"B"}]}"#, "d").is_ok(), "exactly the bound");
        ITEMS_LEFT.with(|left| left.set(2));
        let e = parse(br#"{"kind":"List","items":[{"kind":"A"},{"kind":"B"},{"kind":"C"}]}"#, "d").err().expect("3");
        reset();
        assert!(e.to_string().contains("more than 200000 items"), "{e}");
    }
}
