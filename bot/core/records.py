"""`record`: a frozen dataclass for which importing its module compiles one method, not six.

`@dataclass(frozen=True)` writes `__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`
and `__delattr__` as source text and compiles each one when its module is imported: about
1.3 ms a class, some 60 ms of a one-question start for the core's 48 classes. A record is still
a dataclass (`fields`, `replace`, `asdict`, `__match_args__` are the dataclass's own), and it
compares, hashes, prints and refuses assignment exactly as the frozen dataclass would; only
`__init__` is compiled, the other five are closures over the fields. Its `__init__` writes the
fields straight into the instance's dict, where the generated one calls `object.__setattr__`
for each, two to three times the cost for the few classes built per question.
"""

from __future__ import annotations

import inspect
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

_Class = TypeVar("_Class", bound=type)


class _Factory:
    """The default of a parameter whose field has a default factory; prints as the dataclass's
    own marker, so signatures read the same."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()
# The generated __init__'s one local: a name no field takes (a field may be called `values`).
_DICT = "__fields_of_self__"


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: _Class) -> _Class:
    """Make `cls` a frozen dataclass (see the module's docstring). Raises TypeError for what a
    record does not build the dataclass's way: `__slots__`, keyword-only fields, or a
    `__post_init__` that takes init-only variables."""
    if "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__}: a record keeps its fields in its instance's dict, not in slots")
    documented = bool(cls.__dict__.get("__doc__"))
    # Without slots the dataclass is the same class object, given fields and match args.
    dataclass(init=False, repr=False, eq=False)(cls)
    made: Any = cls  # mypy takes no TypeVar as super()'s first argument
    declared = fields(made)
    if any(item.name in ("self", _DICT) for item in declared):
        raise TypeError(f"{cls.__name__}: a record's field cannot be named self or {_DICT}")
    if any(item.kw_only for item in declared):
        raise TypeError(f"{cls.__name__}: a record's fields are positional")
    post_init = getattr(made, "__post_init__", None)
    if post_init is not None and post_init.__code__.co_argcount > 1:
        raise TypeError(f"{cls.__name__}: a record's __post_init__ takes no init-only variables")
    _set(made, "__init__", _made_init(made, declared, post_init is not None))
    if not documented:  # as the dataclass words it, from the signature its __init__ now has
        made.__doc__ = made.__name__ + str(inspect.signature(made)).replace(" -> None", "")
    compared = _values_of(tuple(item.name for item in declared if item.compare))
    hashed = _values_of(tuple(item.name for item in declared if (item.compare if item.hash is None else item.hash)))
    shown = tuple(item.name for item in declared if item.repr)
    names = frozenset(item.name for item in declared)

    def __eq__(self: Any, other: object) -> Any:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(hashed(self))

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        return f"{self.__class__.__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in shown)})"

    def __setattr__(self: Any, name: str, value: object) -> None:
        if type(self) is made or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(made, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is made or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(made, self).__delattr__(name)

    _set(made, "__setattr__", __setattr__)
    _set(made, "__delattr__", __delattr__)
    # A method the class writes itself stays, as the dataclass leaves it; a class that writes
    # only `__eq__` has `__hash__` None, which the dataclass replaces too.
    if "__repr__" not in made.__dict__:
        _set(made, "__repr__", __repr__)
    if "__eq__" not in made.__dict__:
        _set(made, "__eq__", __eq__)
    if made.__dict__.get("__hash__") is None:
        _set(made, "__hash__", __hash__)
    return cls


def _values_of(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The fields' values as a tuple, as the dataclass's methods compare and hash them
    (`attrgetter` returns a bare value for one name)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        read = attrgetter(names[0])
        return lambda instance: (read(instance),)
    return lambda instance: ()


def _set(cls: type, name: str, method: Callable[..., Any]) -> None:
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, method)


def _made_init(cls: type, declared: tuple[Field[Any], ...], post_init: bool) -> Callable[..., None]:
    """The `__init__` the dataclass would write, storing into the instance's dict: the same
    parameters, order and defaults; a factory called when its parameter is left out; a field
    with neither `init` nor a factory left to its class attribute, as the dataclass leaves it."""
    scope: dict[str, Any] = {"_FACTORY": _FACTORY}
    parameters: list[str] = []
    stores: list[str] = []
    for item in declared:
        name = item.name
        if item.default_factory is not MISSING:
            scope[f"_factory_{name}"] = item.default_factory
            if item.init:
                parameters.append(f"{name}=_FACTORY")
                stores.append(f"{_DICT}[{name!r}] = _factory_{name}() if {name} is _FACTORY else {name}")
            else:
                stores.append(f"{_DICT}[{name!r}] = _factory_{name}()")
        elif item.init:
            if item.default is not MISSING:
                scope[f"_default_{name}"] = item.default
                parameters.append(f"{name}=_default_{name}")
            else:
                parameters.append(name)
            stores.append(f"{_DICT}[{name!r}] = {name}")
    if post_init:
        stores.append("self.__post_init__()")
    body = "".join(f"    {line}\n" for line in stores) or "    pass\n"
    source = f"def __init__(self, {', '.join(parameters)}):\n    {_DICT} = self.__dict__\n{body}"
    made: dict[str, Any] = {}
    exec(source, scope, made)
    init: Callable[..., None] = made["__init__"]
    init.__annotations__ = {item.name: item.type for item in declared if item.init} | {"return": None}
    return init
