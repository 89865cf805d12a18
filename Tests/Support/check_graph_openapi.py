"""Validates JSON documents against a schema of Meta's WhatsApp Business Messaging OpenAPI document.

    python3 check_graph_openapi.py SPEC.yaml SCHEMA_NAME < documents.jsonl

Each input line is one JSON document; prints one line per document: "ok" or the problems found. The
validator covers the JSON Schema the document uses: $ref, type, properties, required, enum, items,
additionalProperties, oneOf/anyOf/allOf, minItems/maxItems, minLength/maxLength, minimum/maximum.
"""
import json
import sys

import yaml

spec = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def resolve(ref):
    node = spec
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def type_ok(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES.get(name, object))


following = set()


def declared(schema, seen=None):
    """Property names a schema declares, with those of its allOf members (they describe one object together)."""
    seen = seen or set()
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return set()
        seen.add(schema["$ref"])
        return declared(resolve(schema["$ref"]), seen)
    names = set(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        names |= declared(sub, seen)
    return names


def check(value, schema, path, inherited=frozenset()):
    if "$ref" in schema:
        return check(value, resolve(schema["$ref"]), path, inherited)
    problems = []
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        if schema.get("nullable") and value is None:
            return []
        if not any(type_ok(value, n) for n in names):
            return [f"{path}: expected {'/'.join(names)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    siblings = frozenset(inherited | declared(schema)) if "allOf" in schema else inherited
    for sub in schema.get("allOf", []):
        problems += check(value, sub, path, siblings)
    # A discriminator picks the oneOf branch by the property's value. The branch usually extends this very
    # schema through allOf, so a discriminator already being followed for this value is not followed again.
    discriminator = schema.get("discriminator")
    if discriminator and isinstance(value, dict) and "mapping" in discriminator:
        key = (id(schema), id(value))
        if key in following:
            return problems
        target = discriminator["mapping"].get(value.get(discriminator["propertyName"]))
        if target is None:
            return problems + [f"{path}.{discriminator['propertyName']}: {value.get(discriminator['propertyName'])!r} is not one of {sorted(discriminator['mapping'])}"]
        following.add(key)
        try:
            return problems + check(value, {"$ref": target}, path, inherited)
        finally:
            following.discard(key)
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not check(value, s, path)]
        if len(matches) == 0:
            closest = min((check(value, s, path) for s in schema["oneOf"]), key=len)
            problems.append(f"{path}: matches none of oneOf ({len(schema['oneOf'])} choices); closest: {'; '.join(closest[:3])}")
    if "anyOf" in schema and not any(not check(value, s, path) for s in schema["anyOf"]):
        problems.append(f"{path}: matches none of anyOf")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{path}: missing required {name}")
        for name, item in value.items():
            if name in properties:
                problems += check(item, properties[name], f"{path}.{name}")
            elif schema.get("additionalProperties") is False and name not in inherited:
                problems.append(f"{path}: unexpected property {name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += check(item, schema["additionalProperties"], f"{path}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            problems += check(item, schema["items"], f"{path}[{index}]")
        if "minItems" in schema and len(value) < schema["minItems"]:
            problems.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{path}: more than {schema['maxItems']} items")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            problems.append(f"{path}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            problems.append(f"{path}: longer than {schema['maxLength']}")
    if type_ok(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{path}: below {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{path}: above {schema['maximum']}")
    return problems


# Meta's merged document uses one name, BaseMessageProperties, for the common part of messages we send
# (messaging_product, recipient_type, to) and of messages citizens send us; inbound TextMessage is likewise
# the outbound one. Webhooks are checked with the inbound common part as Meta's webhook reference gives it.
if sys.argv[2] == "WebhookPayload":
    spec["components"]["schemas"]["BaseMessageProperties"] = {
        "type": "object",
        "required": ["from", "id", "timestamp", "type"],
        "properties": {"from": {"type": "string"}, "id": {"type": "string"}, "timestamp": {"type": "string"}, "type": {"type": "string"},
                       "context": {"type": "object", "properties": {"from": {"type": "string"}, "id": {"type": "string"}}}},
    }

root = {"$ref": "#/components/schemas/" + sys.argv[2]}
for line in sys.stdin:
    if line.strip():
        found = check(json.loads(line), root, "$")
        print("ok" if not found else "; ".join(found[:8]))
