"""The frozen data the core hands to its adapters."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from bot.core.models import Candidate, direct_init


def test_a_candidate_rounds_and_words_its_score_when_read() -> None:
    candidate = Candidate("party.founding", 0.876543219, "When was the CNRP founded?", 0.5, 0.91234,
                          "when was it founded", ("asks one of its phrasings word for word", "same topic"))
    assert candidate.score == 0.8765
    assert candidate.why == ("overlap 0.50, fuzzy 0.91, via 'when was it founded'; asks one of its phrasings "
                             "word for word; same topic")
    assert Candidate("meta.help", 0.5, "What can you do?").why == "overlap 0.00, fuzzy 0.00, via ''"


def _fast_classes() -> list[type]:
    from bot.core.answertypes import Asked
    from bot.core.language import Reading
    from bot.core.matching import Analysis, Parsed
    from bot.core.models import Answer, Entity

    return [Analysis, Answer, Asked, Candidate, Entity, Parsed, Reading]


def test_direct_init_keeps_each_dataclass_signature_and_defaults() -> None:
    """`direct_init` replaces a frozen dataclass's generated __init__ with one made from the same
    fields: the same parameters in the same order with the same defaults."""
    for cls in _fast_classes():
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        declared = dataclasses.fields(cls)
        assert [p.name for p in parameters] == [f.name for f in declared]
        assert [p.default for p in parameters] == [
            inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in declared]


@direct_init
@dataclasses.dataclass(frozen=True)
class _Sample:
    name: str
    count: int = 0
    tags: tuple[str, ...] = ()


def test_direct_init_builds_what_the_generated_init_builds() -> None:
    plain = dataclasses.dataclass(frozen=True)(type("_Sample", (), {
        "__annotations__": {"name": "str", "count": "int", "tags": "tuple[str, ...]"}, "count": 0, "tags": ()}))
    for args, kwargs in [(("a",), {}), (("a", 2), {}), (("a",), {"tags": ("x",)}), ((), {"name": "b", "count": 3})]:
        fast, generated = _Sample(*args, **kwargs), plain(*args, **kwargs)
        assert vars(fast) == vars(generated)
        assert repr(fast) == repr(generated)
        assert fast == _Sample(*args, **kwargs) and hash(fast) == hash(_Sample(*args, **kwargs))
        assert dataclasses.replace(fast, count=9) == _Sample(fast.name, 9, fast.tags)
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.count = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _Sample("a", 1, (), "extra")  # type: ignore[call-arg]


def test_direct_init_refuses_what_it_cannot_build_the_same() -> None:
    class Mutable:
        name: str

    class Factory:
        tags: list[str] = dataclasses.field(default_factory=list)

    class Checked:
        name: str

        def __post_init__(self) -> None:
            pass

    for cls, frozen in ((Mutable, False), (Factory, True), (Checked, True)):
        with pytest.raises(TypeError):
            direct_init(dataclasses.dataclass(frozen=frozen)(cls))
