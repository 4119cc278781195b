"""Hypothesis mutations of a knowledge folder, the way a curator's slip or a bad disk breaks
one: a value of the wrong shape anywhere in a YAML file, a key renamed or deleted, bytes
inserted into or cut from a CSV file (invalid UTF-8, a stray quote, a huge field), a file
removed or replaced by a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

REPLACEMENTS = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 3.5, "", "x", "no", "2017-13-40", [], {}, [[]],
                     {"": None}, "a" * 3000, "{", "{0}", "{__class__}", "\u27e6x|y\u27e7", ["id"],
                     {"source": ["wikipedia"]}]),
    st.text(max_size=20),
    st.integers(),
)
CSV_INSERTS = st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b",", b'"', b"\n", b"\r", b"\x00",
                               b"|", b"x" * 200_000])


def _walk(data: st.DataObject, node: Any) -> list[Any]:
    """A path into the tree, more often near the top (ids, keys, shapes) than in the leaves."""
    path: list[Any] = []
    while isinstance(node, dict | list) and node and data.draw(st.integers(0, 3)) > 0:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        path.append(key)
        node = node[key]
    return path


def mutate_yaml(data: st.DataObject, text: str) -> str:
    tree = yaml.safe_load(text)
    path = _walk(data, tree)
    if not path:
        return yaml.safe_dump(data.draw(REPLACEMENTS), allow_unicode=True)
    parent = tree
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    action = data.draw(st.sampled_from(["replace", "as list", "as mapping", "delete", "rename"]))
    if action == "replace":
        parent[key] = data.draw(REPLACEMENTS)
    elif action == "as list":
        parent[key] = [parent[key]]
    elif action == "as mapping":
        parent[key] = {"k": parent[key]}
    elif action == "delete":
        del parent[key]
    elif isinstance(parent, dict):
        new = data.draw(st.one_of(st.text(max_size=8), st.integers(), st.sampled_from(["id", "file"])))
        parent[new] = parent.pop(key)
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


def mutate_csv(data: st.DataObject, raw: bytes) -> bytes:
    at = data.draw(st.integers(0, len(raw)))
    action = data.draw(st.sampled_from(["insert", "cut", "truncate", "header", "empty"]))
    if action == "insert":
        return raw[:at] + data.draw(CSV_INSERTS) + raw[at:]
    if action == "cut":
        return raw[:at] + raw[at + data.draw(st.integers(1, 40)):]
    if action == "truncate":
        return raw[:at]
    if action == "header":
        return b"a,b,c\n" + raw.split(b"\n", 1)[-1]
    return b""


def mutate_folder(data: st.DataObject, root: Path) -> str:
    """Break one file of the folder; returns what was done, for the failure message."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yaml", ".csv"))
    target = data.draw(st.sampled_from(files))
    kind = data.draw(st.sampled_from(["content", "content", "content", "folder", "remove"]))
    if kind == "folder":
        target.unlink()
        target.mkdir()
    elif kind == "remove":
        target.unlink()
    elif target.suffix == ".yaml":
        target.write_text(mutate_yaml(data, target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        target.write_bytes(mutate_csv(data, target.read_bytes()))
    return f"{kind}: {target.relative_to(root)}"
