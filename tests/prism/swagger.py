"""The v3 Swagger 2.0 spec from real Prism Central as a jsonschema validator (``x-ntnx-enum`` → ``enum``)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

# A copy of /work/shared/reference/prism-v3 (Apache-2.0, nutanix-cloud-native/prism-go-client at 1e253ea).
REFERENCE = Path(__file__).resolve().parent / "reference"
SWAGGER = REFERENCE / "swagger.json"


def _enums(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _enums(v) for k, v in node.items()}
        if "x-ntnx-enum" in out:
            out["enum"] = out.pop("x-ntnx-enum")
        return out
    if isinstance(node, list):
        return [_enums(v) for v in node]
    return node


@functools.cache
def _definitions() -> dict[str, Any]:
    return _enums(json.loads(SWAGGER.read_text(encoding="utf-8"))["definitions"])


def validate(definition: str, instance: Any) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``instance`` is a valid ``#/definitions/<definition>``."""
    _validator(definition).validate(instance)


@functools.cache
def _validator(definition: str) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator({"$ref": f"#/definitions/{definition}", "definitions": _definitions()})
