"""Labelled question files: loading (errors name the line), judging one reply, the report's
rates, and running small files through the engine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.evaluation import (
    Case,
    Outcome,
    Report,
    evaluate,
    evaluate_file,
    is_conversation_file,
    judge,
    load_cases,
    load_conversations,
)
from bot.core.models import Answer, Entity, ReplyKind

ANSWER, UNKNOWN, CLARIFY = ReplyKind.ANSWER, ReplyKind.UNKNOWN, ReplyKind.CLARIFY


def _write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _answer(intent: str | None = "a.x", kind: ReplyKind = ANSWER, confidence: float = 0.9,
            text: str = "", entity: str | None = None) -> Answer:
    about = Entity("constituency", entity, entity, 1.0) if entity else None
    return Answer(matched=kind is ANSWER, intent=intent, confidence=confidence, text=text, kind=kind,
                  entity=about)


def _case(*intents: str, kind: ReplyKind | None = None, entity: str | None = None,
          expect: tuple[str, ...] = ()) -> Case:
    return Case("a question", intents, entity, tuple((e,) for e in expect), kind=kind)


# ---------------------------------------------------------------- loading


def test_load_cases_reads_every_field_and_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, """\
# single questions
- {q: "who founded the cnrp", intent: party.founders, expect: ["Sam Rainsy", "Kem Sokha"]}
- q: how did the cnrp do in kandal
  intent: [results.constituency, results.compare]
  entity: Kandal

- {q: "what's the weather like", intent: null}
""")
    founders, kandal, weather = load_cases(path)
    assert founders == Case("who founded the cnrp", ("party.founders",), None, (("Sam Rainsy",), ("Kem Sokha",)), 2)
    assert kandal == Case("how did the cnrp do in kandal", ("results.constituency", "results.compare"),
                          "Kandal", (), 3)
    assert weather == Case("what's the weather like", (), None, (), 7)
    assert (founders.in_scope, kandal.in_scope, weather.in_scope) == (True, True, False)


@pytest.mark.parametrize(("loader", "text", "message"), [
    (load_cases, "- {q: fine, intent: a.x}\n- {q: no label}\n",
     ":2: each case needs 'q' and 'intent' (null: out of scope)"),
    (load_cases, "- {intent: a.x}\n", ":1: each case needs 'q'"),
    (load_cases, "- {q: x, intent: a.x, kind: answer}\n", ":1: unknown keys ['kind']"),
    (load_cases, "- {q: x, intent: a.x, expcet: [y]}\n", ":1: unknown keys ['expcet']"),
    (load_cases, "q: not a list\nintent: a.x\n", ": expected a list of cases"),
    (load_cases, "- {q: x, intent: a.x}\n- {q: y, intent: a.x, q: z}\n", ":2: duplicate key 'q'"),
    (load_cases, "- {q: x, intent: [a.x\n", ":2: invalid YAML"),
    (load_conversations, "- name: x\n  turns:\n    - {q: a, intent: a.x}\n    - {q: b}\n",
     ":4: a turn needs 'intent', 'kind' or 'expect'"),
    (load_conversations, "- name: x\n  turns:\n    - {q: a, kind: maybe}\n", ":3: unknown kind 'maybe'"),
    (load_conversations, "- name: x\n  turns:\n    - {q: a, intent: a.x, topic: t}\n", ":3: unknown keys ['topic']"),
    (load_conversations, "- name: x\n  turns:\n    - {q: a, intent: a.x}\n- name: y\n",
     ":4: each conversation needs 'name' and 'turns'"),
    (load_conversations, "- name: x\n  turns: {q: a}\n", ":1: each conversation needs 'name' and 'turns'"),
    (load_conversations, "name: x\n", ": expected a list of conversations"),
])
def test_a_malformed_labelled_file_names_the_line(
    tmp_path: Path, loader: Callable[[Path], object], text: str, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as caught:
        loader(path)
    assert str(caught.value).startswith(f"{path}{message}")


CONVERSATIONS = """\
- name: follow-up
  turns:
    - {q: "who was the party's second leader?", intent: leaders.second, expect: ["Kem Sokha"]}
    - {q: "when did his term end?", kind: answer, expect: ["16 November 2017"]}
- turns:
    - {q: "when did his term end?", kind: clarify}
"""


def test_load_conversations_keeps_turns_in_order_under_their_name(tmp_path: Path) -> None:
    first, second = load_conversations(_write(tmp_path, CONVERSATIONS))
    assert [(t.question, t.intents, t.kind, t.expect, t.line) for t in first] == [
        ("who was the party's second leader?", ("leaders.second",), None, (("Kem Sokha",),), 3),
        ("when did his term end?", (), ANSWER, (("16 November 2017",),), 4),
    ]
    assert {t.conversation for t in first} == {"follow-up"}
    (turn,) = second
    assert (turn.conversation, turn.kind, turn.in_scope) == ("line 5", CLARIFY, True)


@pytest.mark.parametrize(("text", "conversational"), [
    (CONVERSATIONS, True),
    ("- {q: x, intent: a.x}\n", False),
    ("[]\n", False),
    ("turns: [a]\n", False),
    ("- {turns: [\n", False),  # not even YAML
])
def test_is_conversation_file(tmp_path: Path, text: str, conversational: bool) -> None:
    assert is_conversation_file(_write(tmp_path, text)) is conversational


def test_expect_given_as_a_single_string(tmp_path: Path) -> None:
    (case,) = load_cases(_write(tmp_path, "- {q: x, intent: a.x, expect: Sam Rainsy}\n"))
    assert case.expect == (("Sam Rainsy",),)


def test_expect_alternatives_and_a_decline(tmp_path: Path) -> None:
    (first, second), = load_conversations(_write(tmp_path, """\
- name: alternatives
  turns:
    - {q: x, kind: answer, expect: [["259 days", "8 months"], "Kem Sokha"]}
    - {q: y, kind: decline}
"""))
    assert first.expect == (("259 days", "8 months"), ("Kem Sokha",))
    assert judge(first, _answer("a.x", text="Kem Sokha led for about 8 months")) == (True, "")
    assert judge(first, _answer("a.x", text="Kem Sokha led for 9 months"))[0] is False
    assert second.declines and not second.in_scope
    assert judge(second, _answer("gap.after_2018", ReplyKind.GAP)) == (True, "")
    assert judge(second, _answer("a.x"))[0] is False


def test_expected_text_ignores_case_accents_and_thousands_separators() -> None:
    case = _case("results.constituency", expect=("366056", "Takéo"))
    assert judge(case, _answer("results.constituency", text="366,056 votes in TAKEO"))[0]


# ---------------------------------------------------------------- judging one reply


@pytest.mark.parametrize(("case", "answer", "verdict"), [
    (_case("a.x"), _answer("a.x"), (True, "")),
    (_case("b.y", "a.x"), _answer("a.x"), (True, "")),
    (_case("meta.greeting"), _answer("meta.greeting", ReplyKind.SMALLTALK), (True, "")),
    (_case("a.x"), _answer("b.y", confidence=0.456), (False, "got b.y (0.46)")),
    (_case("a.x"), _answer(None, UNKNOWN, 0.2), (False, "got unknown (0.20)")),
    (_case("a.x"), _answer("a.x", ReplyKind.AMBIGUOUS, 0.5), (False, "got ambiguous (0.50)")),
    (_case(), _answer(None, UNKNOWN, 0.1), (True, "")),
    (_case(), _answer(None, ReplyKind.EMPTY, 0.0), (True, "")),
    (_case(), _answer("a.x", confidence=0.8), (False, "answered a.x (0.80) instead of declining")),
    # Out of scope, any reply that states no fact is right: small talk, a gap, a refusal.
    (_case(), _answer("meta.greeting", ReplyKind.SMALLTALK, 0.7), (True, "")),
    (_case(), _answer("gap.names", ReplyKind.GAP, 0.7), (True, "")),
])
def test_judge_intents_and_declining(case: Case, answer: Answer, verdict: tuple[bool, str]) -> None:
    assert judge(case, answer) == verdict


def test_judge_checks_the_row_an_answer_is_about() -> None:
    case = _case("results.constituency", entity="Kandal")
    assert judge(case, _answer("results.constituency", entity="Kandal")) == (True, "")
    assert judge(case, _answer("results.constituency", entity="Takéo")) == (False, "entity Takéo, expected Kandal")
    assert judge(case, _answer("results.constituency")) == (False, "entity None, expected Kandal")


def test_judge_checks_expected_text() -> None:
    case = _case("party.founders", expect=("Sam Rainsy", "Kem Sokha"))
    assert judge(case, _answer("party.founders", text="Sam Rainsy and Kem Sokha [1]")) == (True, "")
    assert judge(case, _answer("party.founders", text="Sam Rainsy [1]")) == (False, "answer lacks ['Kem Sokha']")
    either = Case("q", ("party.founders",), expect=(("Kem Sokha", "Sokha"),))
    assert judge(either, _answer("party.founders", text="Sam Rainsy [1]")) == (
        False, "answer lacks ['Kem Sokha or Sokha']")


def test_judge_a_turn_that_expects_a_kind_of_reply() -> None:
    clarify = _case(kind=CLARIFY)
    assert judge(clarify, _answer("leaders.duration", CLARIFY)) == (True, "")
    assert judge(clarify, _answer("leaders.duration", ANSWER)) == (
        False, "got a answer reply (leaders.duration), expected clarify")
    dated = _case(kind=ANSWER, expect=("16 November 2017",))
    assert judge(dated, _answer("leaders.second", text="… to 16 November 2017.")) == (True, "")
    assert judge(dated, _answer("leaders.second", text="… to 2017.")) == (
        False, "answer lacks ['16 November 2017']")


def test_judge_a_turn_that_only_expects_text() -> None:
    case = _case(expect=("Kem Sokha",))
    assert judge(case, _answer("leaders.second", text="Kem Sokha")) == (True, "")
    assert judge(case, _answer(None, UNKNOWN, 0.3, text="I don't know")) == (False, "got unknown (0.30)")


def test_which_cases_are_in_scope() -> None:
    assert _case("a.x").in_scope and _case(kind=CLARIFY).in_scope and _case(kind=ANSWER).in_scope
    assert not _case().in_scope and not _case(kind=UNKNOWN).in_scope
    assert not _case(kind=ReplyKind.AMBIGUOUS).in_scope


def test_a_turn_that_only_expects_text_counts_towards_accuracy() -> None:
    assert _case(expect=("Kem Sokha",)).in_scope


# ---------------------------------------------------------------- the report


def _report() -> Report:
    rows = [  # (case, answer): judged by judge() so the report sees what evaluate() would give it
        (_case("a.x"), _answer("a.x", confidence=0.95)),
        (_case("a.x"), _answer("b.y", confidence=0.45)),
        (_case("b.y"), _answer(None, UNKNOWN, 0.2)),
        (_case(kind=CLARIFY), _answer("leaders.duration", CLARIFY, 1.0)),
        (_case(), _answer(None, UNKNOWN, 0.1)),
        (_case(), _answer("a.x", confidence=0.8)),
    ]
    return Report([Outcome(case, answer, *judge(case, answer)) for case, answer in rows])


def test_accuracy_is_over_in_scope_cases_and_rejection_over_the_rest() -> None:
    report = _report()
    assert (len(report.in_scope), len(report.out_of_scope)) == (4, 2)
    assert report.accuracy == 2 / 4
    assert report.rejection == 1 / 2


def test_an_empty_report_fails_nothing() -> None:
    assert (Report().accuracy, Report().rejection, Report().per_intent()) == (1.0, 1.0, {})


def test_per_intent_counts_correct_of_total_by_expected_intent() -> None:
    assert _report().per_intent() == {"(clarify)": (1, 1), "a.x": (1, 2), "b.y": (0, 1)}


def test_confusions_pair_what_was_expected_with_what_came() -> None:
    confusions = _report().confusions()
    assert confusions == {("a.x", "b.y"): 1, ("b.y", "(unknown)"): 1, ("(out of scope)", "a.x"): 1}
    wrong_kind = Report([Outcome(_case(kind=CLARIFY), _answer(None, UNKNOWN, 0.3), False)])
    assert wrong_kind.confusions() == {("(clarify)", "(unknown)"): 1}


def test_histogram_bins_outcomes_by_confidence() -> None:
    report = _report()
    assert report.histogram() == [
        (0.0, 0, 0), (0.1, 1, 0), (0.2, 0, 1), (0.3, 0, 0), (0.4, 0, 1),
        (0.5, 0, 0), (0.6, 0, 0), (0.7, 0, 0), (0.8, 0, 1), (0.9, 2, 0),  # 1.0 falls in the top bin
    ]
    assert report.histogram(bins=2) == [(0.0, 1, 2), (0.5, 2, 1)]
    assert sum(c + w for _, c, w in report.histogram(bins=3)) == len(report.outcomes)


# ---------------------------------------------------------------- through the engine


def test_evaluate_a_small_labelled_file(engine: Engine, tmp_path: Path) -> None:
    kandal = next(r for r in engine.kb.table("constituencies").rows if r["name"] == "Kandal")
    founders = [str(r["name"]) for r in engine.kb.table("officers").where(title="Founder")]
    path = _write(tmp_path, f"""\
- {{q: "who founded the cnrp", intent: party.founders, expect: {founders}}}
- {{q: "how did the cnrp do in kandal", intent: results.constituency, entity: Kandal,
   expect: ["{kandal.display['votes']}"]}}
- {{q: "what's the weather like today", intent: null}}
- {{q: "who founded the cnrp", intent: results.total}}
""")
    report = evaluate_file(engine, path)
    assert [o.correct for o in report.outcomes] == [True, True, True, False]
    assert (report.accuracy, report.rejection) == (2 / 3, 1.0)
    assert report.confusions() == {("results.total", "party.founders"): 1}
    assert report.outcomes[3].problem.startswith("got party.founders (")
    assert report == evaluate(engine, load_cases(path))


def test_each_conversation_has_its_own_context(engine: Engine, tmp_path: Path) -> None:
    report = evaluate_file(engine, _write(tmp_path, CONVERSATIONS))
    follow_up, fresh = report.outcomes[:2], report.outcomes[2]
    assert follow_up[0].answer.intent == "leaders.second" and follow_up[1].answer.kind is ANSWER
    assert all(o.correct for o in report.outcomes), [o.problem for o in report.outcomes]
    # Asked first in a new conversation, the pronoun has nobody to point at.
    assert fresh.answer.kind is CLARIFY and fresh.case.conversation == "line 5"
    assert report.accuracy == 1.0
