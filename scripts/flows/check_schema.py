#!/usr/bin/env python3
"""Checks flow documents against flows/schema/flow.schema.json.

Usage: scripts/flows/check_schema.py [FILE ...]

Without arguments, checks every flows/*.json of the repository. Exits with 1 when a document does not follow the
schema (or is not JSON), 2 when the schema itself is broken or the jsonschema package is missing.

The schema catches shape mistakes (unknown fields, wrong types, missing required fields, values out of range) for
editors and CI; the flow engine's validator (`chorus flow validate`, or the admin API) remains the final word and also
checks the graph: dangling transitions, unreachable states, loops that never wait, unset variables.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "flows" / "schema" / "flow.schema.json"


def main(arguments: list[str]) -> int:
    try:
        from jsonschema import Draft202012Validator
    except ImportError:
        print("check_schema: the jsonschema package is missing (pip install jsonschema)", file=sys.stderr)
        return 2

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as error:  # jsonschema.SchemaError
        print(f"check_schema: {SCHEMA.relative_to(ROOT)} is not a valid JSON Schema: {error}", file=sys.stderr)
        return 2
    validator = Draft202012Validator(schema)

    files = [Path(argument) for argument in arguments] or sorted((ROOT / "flows").glob("*.json"))
    if not files:
        print("check_schema: no flows/*.json to check", file=sys.stderr)
        return 1

    failed = 0
    for path in files:
        name = path.relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"FAIL {name}: {error}")
            failed += 1
            continue
        errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
        if errors:
            failed += 1
            print(f"FAIL {name}")
            for error in errors:
                pointer = "".join(f"/{part}" for part in error.absolute_path) or "/"
                print(f"  {pointer}: {deepest(error).message}")
        else:
            print(f"ok   {name}")

    print(f"{len(files) - failed} of {len(files)} flow(s) follow the schema")
    return 1 if failed else 0


def deepest(error):
    """The most likely reason under an anyOf/oneOf: the alternative that failed with the fewest errors."""
    while error.context:
        branches = {}
        for child in error.context:
            branches.setdefault(child.relative_schema_path[0], []).append(child)
        closest = min(branches.values(), key=len)
        error = max(closest, key=lambda child: len(child.absolute_path))
    return error


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
