#!/usr/bin/env python3
"""Validates k8s-pki's JSON output against its schema in docs/schemas, with the jsonschema
package (Draft 2020-12): an implementation independent of the code that writes the JSON.

    validate.py SCHEMA_DIR KIND FILE...      one JSON document per FILE
    validate.py SCHEMA_DIR KIND --lines FILE  one document per line (--format json streams)

References to defs.schema.json are inlined before validating, so that any jsonschema release
(Debian's 4.10 or a newer one) resolves them the same way. Prints each violation as
FILE[:LINE]: /json/path: message and exits 1 when there is one.
"""
import json
import sys
from pathlib import Path

try:
    import jsonschema
except ImportError:
    sys.exit("validate.py: the jsonschema module is missing: apt-get install python3-jsonschema")

PREFIX = "defs.schema.json#/$defs/"


def inline(node, defs):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            return inline(defs[ref[len(PREFIX):]], defs)
        return {k: inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [inline(v, defs) for v in node]
    return node


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    schema_dir, kind, rest = Path(argv[1]), argv[2], argv[3:]
    lines = rest[:1] == ["--lines"]
    files = rest[1:] if lines else rest
    defs = json.loads((schema_dir / "defs.schema.json").read_text())["$defs"]
    schema = inline(json.loads((schema_dir / f"{kind}.schema.json").read_text()), defs)
    validator_class = jsonschema.Draft202012Validator
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    bad = 0
    for name in files:
        text = Path(name).read_text()
        docs = [(f"{name}:{i}", line) for i, line in enumerate(text.splitlines(), 1) if line] if lines else [(name, text)]
        if not docs:
            print(f"{name}: no JSON to validate")
            bad += 1
        for where, doc in docs:
            try:
                value = json.loads(doc)
            except ValueError as e:
                print(f"{where}: not JSON: {e}")
                bad += 1
                continue
            for error in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
                path = "/" + "/".join(str(p) for p in error.absolute_path)
                print(f"{where}: {path}: {error.message}")
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
