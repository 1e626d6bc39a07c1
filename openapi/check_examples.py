"""Validates every `example` and `examples` value in livedesk.yaml against its schema.

An example that drifts from the types fails here. Run: python openapi/check_examples.py
"""

import sys
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC = Path(__file__).with_name("livedesk.yaml")


def resolve(node, root, seen=()):
    """Inlines every local `$ref` (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise ValueError(f"cyclic $ref {ref}")
            target = root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, root, seen + (ref,))
        return {key: resolve(value, root, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item, root, seen) for item in node]
    return node


def examples_of(node):
    """The `example` and each `examples[*].value` of a parameter, header or media type."""
    if "example" in node:
        yield "example", node["example"]
    for name, example in (node.get("examples") or {}).items():
        yield f"examples.{name}", example["value"]


def schema_examples(schema, where):
    """Every `example` inside a schema tree, with the subschema it belongs to."""
    if not isinstance(schema, dict):
        return
    if "example" in schema:
        yield where, schema, schema["example"]
    for name, sub in (schema.get("properties") or {}).items():
        yield from schema_examples(sub, f"{where}.properties.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from schema_examples(schema[key], f"{where}.{key}")
    for key in ("allOf", "oneOf", "anyOf"):
        for i, sub in enumerate(schema.get(key) or []):
            yield from schema_examples(sub, f"{where}.{key}[{i}]")


def cases(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                for name, value in examples_of(param):
                    yield f"{method} {path} parameter {param['name']} {name}", param["schema"], value
            for status, response in op["responses"].items():
                for header, spec_header in (response.get("headers") or {}).items():
                    for name, value in examples_of(spec_header):
                        yield f"{method} {path} {status} header {header} {name}", spec_header["schema"], value
                for media, content in (response.get("content") or {}).items():
                    for name, value in examples_of(content):
                        yield f"{method} {path} {status} {media} {name}", content["schema"], value
    for name, schema in spec["components"]["schemas"].items():
        for where, sub, value in schema_examples(schema, f"components.schemas.{name}"):
            yield where, sub, value


def main():
    raw = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    spec = resolve(raw, raw)
    failures, count = [], 0
    for where, schema, value in cases(spec):
        count += 1
        validator = OAS30Validator(schema, format_checker=oas30_format_checker)
        for error in validator.iter_errors(value):
            failures.append(f"{where}: {error.message}")
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"examples: {count - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
