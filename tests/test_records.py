"""Records behave as the frozen dataclasses they replace: each is checked against
`dataclass(frozen=True)` made from the same class body."""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import bot
from bot.core.records import record

# Class bodies of every shape the project's records take: required and defaulted fields,
# factories, a field left out of __init__ and set by __post_init__, fields left out of the
# comparison or the repr, one field, none, and a field whose name is a common local's.
_BODIES: dict[str, Callable[[], dict[str, Any]]] = {
    "plain": lambda: {"__annotations__": {"name": "str", "count": "int", "tags": "tuple[str, ...]"},
                      "count": 0, "tags": ()},
    "factory": lambda: {"__annotations__": {"name": "str", "items": "tuple[int, ...]", "seen": "frozenset[str]"},
                        "items": dataclasses.field(default_factory=tuple),
                        "seen": dataclasses.field(default_factory=frozenset, init=False)},
    "derived": lambda: {"__annotations__": {"base": "int", "double": "int"},
                        "double": dataclasses.field(init=False, repr=False, compare=False),
                        "__post_init__": lambda self: object.__setattr__(self, "double", 2 * self.base)},
    "hidden": lambda: {"__annotations__": {"key": "str", "note": "str", "weight": "float"},
                       "note": dataclasses.field(default="", compare=False),
                       "weight": dataclasses.field(default=1.0, repr=False, hash=False)},
    "single": lambda: {"__annotations__": {"values": "tuple[int, ...]"}},
    "empty": lambda: {"__annotations__": {}},
}

_CALLS: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {
    "plain": [(("a",), {}), (("a", 2), {}), (("a",), {"tags": ("x",)}), ((), {"name": "b", "count": 3})],
    "factory": [(("a",), {}), (("a", (1, 2)), {}), ((), {"name": "b", "items": ()})],
    "derived": [((1,), {}), ((), {"base": 5})],
    "hidden": [(("k",), {}), (("k", "a note"), {}), (("k", "other note", 2.5), {}), (("j",), {"weight": 0.0})],
    "single": [(((1, 2),), {}), ((), {"values": ()})],
    "empty": [((), {})],
}


def _made(shape: str, decorate: Callable[[type], type], prefix: str) -> Any:
    """A class made from a body, kept as a module global so that pickle finds it."""
    cls = decorate(type(f"{prefix}_{shape}", (), {**_BODIES[shape](), "__module__": __name__}))
    globals()[cls.__name__] = cls
    return cls


_RECORDS = {shape: _made(shape, record, "Made") for shape in _BODIES}
_GENERATED = {shape: _made(shape, dataclasses.dataclass(frozen=True), "Generated") for shape in _BODIES}


def _pair(shape: str) -> tuple[Any, Any]:
    """The same class body made a record and a frozen dataclass."""
    return _RECORDS[shape], _GENERATED[shape]


@pytest.mark.parametrize("shape", sorted(_BODIES))
def test_a_record_is_built_compared_and_shown_as_the_frozen_dataclass(shape: str) -> None:
    made, generated = _pair(shape)
    assert [f.name for f in dataclasses.fields(made)] == [f.name for f in dataclasses.fields(generated)]
    assert made.__match_args__ == generated.__match_args__
    assert str(inspect.signature(made)) == str(inspect.signature(generated))
    assert made.__init__.__qualname__ == f"{made.__qualname__}.__init__"
    built = [(made(*args, **kwargs), generated(*args, **kwargs)) for args, kwargs in _CALLS[shape]]
    for ours, theirs in built:
        assert vars(ours) == vars(theirs)
        assert repr(ours).removeprefix("Made_") == repr(theirs).removeprefix("Generated_")
        assert hash(ours) == hash(theirs)
        assert pickle.loads(pickle.dumps(ours)) == ours and copy.deepcopy(ours) == ours
        assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)
        again = dataclasses.replace(ours)
        assert again == ours and again is not ours
        assert ours.__eq__(theirs) is NotImplemented  # another class, as the dataclass's own
    # Equality and hashing read the same fields as the dataclass's: every pair agrees.
    for (a, a_generated) in built:
        for (b, b_generated) in built:
            assert (a == b) == (a_generated == b_generated)


@pytest.mark.parametrize("shape", sorted(_BODIES))
def test_a_record_refuses_assignment_and_deletion_as_the_frozen_dataclass(shape: str) -> None:
    made, generated = _pair(shape)
    args, kwargs = _CALLS[shape][0]
    for instance in (made(*args, **kwargs), generated(*args, **kwargs)):
        for name in [f.name for f in dataclasses.fields(instance)] + ["not_a_field"]:
            with pytest.raises(dataclasses.FrozenInstanceError, match=repr(name)):
                setattr(instance, name, 1)
            with pytest.raises(dataclasses.FrozenInstanceError, match=repr(name)):
                delattr(instance, name)


def test_a_record_takes_the_arguments_the_frozen_dataclass_takes() -> None:
    made, generated = _pair("plain")
    for args, kwargs in [((), {}), (("a", 1, (), "extra"), {}), (("a",), {"name": "b"}), (("a",), {"colour": 1})]:
        for cls in (made, generated):
            with pytest.raises(TypeError):
                cls(*args, **kwargs)


def test_a_record_keeps_the_methods_its_class_writes() -> None:
    def shown(self: object) -> str:
        return "shown"

    def same(self: object, other: object) -> bool:
        return True

    made = record(type("Written", (), {"__annotations__": {"a": "int"}, "__repr__": shown, "__eq__": same,
                                      "__module__": __name__}))
    assert repr(made(1)) == "shown" and made(1) == made(2)
    assert hash(made(1)) == hash((1,))  # a class writing only __eq__ is hashed by its fields, as a dataclass


def test_a_record_refuses_what_it_cannot_build_the_dataclass_way() -> None:
    def post_init_with_variables(self: object, extra: int) -> None:
        pass

    bodies = [
        {"__annotations__": {"a": "int"}, "__slots__": ("a",)},
        {"__annotations__": {"a": "int"}, "a": dataclasses.field(kw_only=True)},
        {"__annotations__": {"a": "int"}, "__post_init__": post_init_with_variables},
        {"__annotations__": {"self": "int"}},
    ]
    for body in bodies:
        with pytest.raises(TypeError):
            record(type("Refused", (), {**body, "__module__": __name__}))


def _project_dataclasses() -> list[type]:
    """Every dataclass the project defines, from every module of the package."""
    found: dict[str, type] = {}
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if module.name.endswith("__main__"):
            continue
        loaded = importlib.import_module(module.name)
        for value in vars(loaded).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == loaded.__name__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def _is_record(cls: type) -> bool:
    return getattr(cls.__dict__.get("__setattr__"), "__module__", None) == record.__module__


def test_every_frozen_project_dataclass_is_a_record_with_the_dataclass_signature() -> None:
    """A frozen dataclass compiles six methods at import, a record one; each record's __init__
    has the signature `dataclass(frozen=True)` gives the same fields."""
    classes = _project_dataclasses()
    records = [cls for cls in classes if _is_record(cls)]
    assert len(records) >= 40
    assert [cls for cls in classes if cls.__dataclass_params__.frozen] == []  # type: ignore[attr-defined]
    for cls in records:
        declared = dataclasses.fields(cls)
        body: dict[str, Any] = {"__annotations__": {f.name: f.type for f in declared}, "__module__": cls.__module__}
        for f in declared:
            body[f.name] = dataclasses.field(default=f.default, default_factory=f.default_factory, init=f.init,
                                             repr=f.repr, hash=f.hash, compare=f.compare)
        generated = dataclasses.dataclass(frozen=True)(type(cls.__name__, (), body))
        assert str(inspect.signature(cls)) == str(inspect.signature(generated)), cls
