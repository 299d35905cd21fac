#!/usr/bin/env python3
"""Kubernetes JSON schemas for kubeconform, offline: from the kubernetes-validate package (PyPI), which ships the
schemas of each Kubernetes release as one file per kind plus a shared _definitions.json. kubeconform wants one
self-contained file per kind ("standalone"), so each kind's file gets the definitions it reaches copied in under
definitions, its references rewritten to them.

  k8s-schemas.py <kubernetes-validate wheel> <kubernetes version, e.g. 1.34.0> <output dir>

writes <output dir>/v<version>-standalone-strict/<kind>-<group>-<version>.json, kubeconform's default layout
(-schema-location <output dir>).
"""
import json
import os
import sys
import zipfile

# A kind's file refers to the shared file; the definitions refer to each other within it.
REF_PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")


def target(ref):
    for prefix in REF_PREFIXES:
        if isinstance(ref, str) and ref.startswith(prefix):
            return ref[len(prefix):]
    return None


def refs(node, found):
    if isinstance(node, dict):
        key = target(node.get("$ref"))
        if key is not None:
            found.add(key)
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)
    return found


def rewrite(node):
    if isinstance(node, dict):
        return {
            k: ("#/definitions/" + target(v) if k == "$ref" and target(v) is not None else rewrite(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [rewrite(v) for v in node]
    return node


def main():
    wheel, version, out = sys.argv[1], sys.argv[2], sys.argv[3]
    prefix = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/"
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith(".json")]
        if not names:
            sys.exit(f"k8s-schemas: no schemas for Kubernetes {version} in {wheel}")
        defs = json.loads(z.read(prefix + "_definitions.json"))["$defs"]
        target = os.path.join(out, f"v{version}-standalone-strict")
        os.makedirs(target, exist_ok=True)
        count = 0
        for name in names:
            base = name[len(prefix):]
            if base in ("_definitions.json", "all.json"):
                continue
            schema = json.loads(z.read(name))
            reached, todo = set(), list(refs(schema, set()))
            while todo:
                key = todo.pop()
                if key in reached or key not in defs:
                    continue
                reached.add(key)
                todo.extend(refs(defs[key], set()) - reached)
            # kubeconform compiles the schemas as draft 4: the definitions go where draft 4 has them, and the
            # 2020-12 $schema and $id (whose https base would send references to kubernetes.io) are dropped.
            schema = {k: v for k, v in rewrite(schema).items() if k not in ("$schema", "$id")}
            schema["definitions"] = {key: rewrite(defs[key]) for key in sorted(reached)}
            with open(os.path.join(target, base), "w") as f:
                json.dump(schema, f)
            count += 1
    print(f"k8s-schemas: {count} standalone schemas for Kubernetes {version} in {target}")


if __name__ == "__main__":
    main()
