"""YAML loading that refuses duplicate keys and remembers line numbers.

PyYAML silently keeps the last of two equal keys, which hides curation mistakes; and its
plain dicts forget where each entry stood, which a curator needs in an error message.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml


class YamlProblem(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineDict(dict[str, Any]):
    """A mapping that knows the 1-based line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


def _is_name(key: Any) -> bool:
    return isinstance(key, str | int | float)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key: Any = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            # YAML 1.1 reads a bare no/yes/on/off as a boolean: almost never what a curator meant.
            raise YamlProblem(f"key {key_node.value!r} reads as {key}; quote it", key_node.start_mark.line + 1)
        if not _is_name(key):
            raise YamlProblem(f"a key reads as a {type(key).__name__}, not a name; quote it",
                              key_node.start_mark.line + 1)
        if key in result:
            raise YamlProblem(f"duplicate key {key!r}", key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


@functools.cache
def _strict_loader() -> type[yaml.SafeLoader]:
    """PyYAML's fastest safe loader with the strict mappings. Made on first use: a start-up
    that reads a cached engine parses no YAML and need not import PyYAML (some 12 ms)."""
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[valid-type,misc]
        pass

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    return StrictLoader


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; raise YamlProblem with a line number on any error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlProblem(f"cannot read file: {exc}", None) from exc
    import yaml

    loader = _strict_loader()
    try:
        return yaml.load(text, Loader=loader)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise YamlProblem(f"invalid YAML: {exc.problem or exc}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"invalid YAML: {exc}", None) from exc
