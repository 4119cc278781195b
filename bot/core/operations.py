"""Computations over the facts: each takes typed operands and returns the values of its answer
(`Computed`); knowledge/operations.yaml words them. Every figure used is in the values, with
its citation mark, so a computed answer states what it was computed from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.facts import Amount, Dated, FactGraph, Member, Term, number_text, show, span_text
from bot.core.generators import cite
from bot.core.knowledge import PartialDate, join_names
from bot.core.models import CitationRef
from bot.core.records import record


@record
class Computed:
    """The result of an arithmetic operation on the facts, with the fields that word it."""

    op: str  # the reply template that words it (knowledge/operations.yaml)
    fields: Mapping[str, str]
    refs: tuple[CitationRef, ...] = ()
    value: float | None = None  # the number computed, for a follow-up to build on
    subject: tuple[str, str] | None = None  # the row found (kind, key): whom "his" means next


KILOS_A_TONNE = 1000


def _cited(amount: Amount) -> str:
    return f"{amount.name}: {amount.shown()} {cite(amount.citation)}".rstrip()


def _unit_of(amount: Amount, value: float) -> str:
    if amount.unit == "percent":
        return f"{number_text(value)} percentage points"
    return show(value, amount.unit)


def _refs(items: Sequence[Amount | Dated | Term | Member]) -> tuple[CitationRef, ...]:
    return tuple(dict.fromkeys(i.citation for i in items if i.citation))


def difference(a: Amount, b: Amount, paired: Sequence[tuple[Amount, Amount]] = ()) -> Computed:
    """How much more one amount is than another; `paired` adds the same difference in a second
    unit (riels and US dollars)."""
    larger, smaller = (a, b) if a.value >= b.value else (b, a)
    gap = _unit_of(a, larger.value - smaller.value)
    for first, second in paired:
        big, small = (first, second) if first.value >= second.value else (second, first)
        gap += f" ({show(big.value - small.value, first.unit)})"
    per = f" a {a.per}" if a.per else ""
    return Computed("difference", {"items": "; ".join(_cited(x) for x in (a, b)), "larger": larger.name,
                                   "smaller": smaller.name, "difference": gap + per},
                    value=larger.value - smaller.value)


def total(amounts: Sequence[Amount]) -> Computed:
    value = sum(a.value for a in amounts)
    return Computed("total", {"items": "; ".join(_cited(a) for a in amounts),
                              "total": show(value, amounts[0].unit)}, value=value)


def ratio(a: Amount, b: Amount) -> Computed:
    larger, smaller = (a, b) if a.value >= b.value else (b, a)
    times = larger.value / smaller.value if smaller.value else 0.0
    return Computed("ratio", {"items": "; ".join(_cited(x) for x in (a, b)), "larger": larger.name,
                              "smaller": smaller.name, "ratio": number_text(round(times, 2))}, value=times)


def compare(amounts: Sequence[Amount], lower_is_asked: bool = False) -> Computed:
    ordered = sorted(amounts, key=lambda a: a.value, reverse=True)
    top, bottom = ordered[0], ordered[-1]
    gap = _unit_of(top, top.value - bottom.value)
    if top.value == bottom.value:
        verdict = f"They are level at {top.shown()}."
    elif lower_is_asked:
        verdict = f"{bottom.name} is lower, by {gap}."
    else:
        verdict = f"{top.name} is higher, by {gap}."
    return Computed("compare", {"items": "; ".join(_cited(a) for a in amounts), "verdict": verdict},
                    value=top.value - bottom.value)


def between(first: tuple[str, PartialDate, CitationRef | None],
            second: tuple[str, PartialDate, CitationRef | None]) -> Computed:
    (a_name, a_date, a_ref), (b_name, b_date, b_ref) = sorted((first, second), key=lambda x: x[1].sort_key)
    return Computed("between", {"first": a_name, "first_date": f"{a_date} {cite(a_ref)}".rstrip(),
                                "second": b_name, "second_date": f"{b_date} {cite(b_ref)}".rstrip(),
                                "span": span_text(a_date, b_date)},
                    value=float(abs((b_date.as_date() - a_date.as_date()).days)))


def precedes(a: PartialDate, b: PartialDate) -> bool | None:
    """Whether `a` came before `b`, as far as the dates' precision tells: March 2018 came before
    26 April 2018, but not knowably before or after 10 March 2018 (None then, and for equals)."""
    a_first, a_last = _bounds(a)
    b_first, b_last = _bounds(b)
    if a_last < b_first:
        return True
    if b_last < a_first:
        return False
    return None


def _bounds(when: PartialDate) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    return ((when.year, when.month or 1, when.day or 1), (when.year, when.month or 12, when.day or 31))


def order(first: tuple[str, PartialDate, CitationRef | None], second: tuple[str, PartialDate, CitationRef | None],
          verdict: str | None) -> Computed:
    """Two dated things in the order they happened, with the question's verdict and the span
    between them (`between`'s fields); with no verdict, asked which came first."""
    spanned = between(first, second)
    return Computed("order" if verdict else "came_first", {**spanned.fields, "verdict": verdict or ""},
                    value=spanned.value)


def shift(event: str, base: PartialDate, ref: CitationRef | None, years: float,
          amount_ref: CitationRef | None, forward: bool) -> Computed:
    result = base.year + int(years) if forward else base.year - int(years)
    amount = f"{number_text(years)} years {cite(amount_ref)}".rstrip()
    return Computed("until" if forward else "since",
                    {"event": event, "base": f"{base.year} {cite(ref)}".rstrip(), "amount": amount,
                     "result": str(result)}, value=float(result))


def per_year(amount: Amount) -> Computed:
    value = amount.value * 12
    result = show(value, amount.unit)
    if amount.unit.endswith("a month"):
        result = f"{number_text(value)} {amount.unit.replace('a month', 'a year')}"
    return Computed("per_year", {"item": _cited(amount), "result": result}, value=value)


def per_tonne(amounts: Sequence[Amount]) -> Computed:
    """An amount a kilo (with the same row's other currency, where stated) over 1,000 kilos."""
    first = amounts[0]
    results = [show(a.value * KILOS_A_TONNE, a.unit) for a in amounts]
    result = results[0] + "".join(f" (about {r})" for r in results[1:])
    item = f"{first.name}: {first.shown()}" + "".join(f" (about {a.shown()})" for a in amounts[1:])
    item = f"{item} {cite(first.citation)}".rstrip()
    return Computed("per_tonne", {"item": item, "result": result}, value=first.value * KILOS_A_TONNE)


def exchange(pairs: Sequence[tuple[Amount, Amount]]) -> Computed:
    """Riels per US dollar for each (riels, US$) pair the platform states."""
    rates = [r.value / d.value for r, d in pairs if d.value]
    items = "; ".join(f"{r.name}: {r.shown()} or {d.shown()} {cite(r.citation)}".rstrip() for r, d in pairs)
    rate = number_text(round(sum(rates) / len(rates), 2)) if rates else "?"
    return Computed("exchange", {"items": items, "rate": rate}, value=rates[0] if rates else None)


def rank(graph: FactGraph, amount: Amount) -> Computed:
    """Where a row stands among all rows of its kind by the same amount, highest first."""
    everyone = sorted(graph.all_of(amount.kind, amount.attribute), key=lambda a: a.value, reverse=True)
    position = next(i for i, a in enumerate(everyone, 1) if a.key == amount.key)
    measure = "vote share" if amount.unit == "percent" else amount.attribute
    return Computed("rank", {"item": _cited(amount), "position": str(position), "total": str(len(everyone)),
                             "measure": measure}, value=float(position))


def against(amount: Amount, line: float, line_text: str, above: bool,
            either: tuple[str, str] | None = None) -> Computed:
    """Is the amount above (or below) the line: yes or no, and by how much. Asked for either
    side (`either`: the question's upper and lower words), the verdict is the side."""
    higher = amount.value > line
    if either is not None:
        verdict = "Level" if amount.value == line else (either[0] if higher else either[1]).capitalize()
    else:
        verdict = "Yes" if higher == above and amount.value != line else "No"
    side = "above" if higher else "below" if amount.value < line else "level with"
    distance = f", by {_unit_of(amount, abs(amount.value - line))}" if amount.value != line else ""
    return Computed("against", {"verdict": verdict, "item": _cited(amount), "side": side, "line": line_text,
                                "distance": distance}, value=amount.value - line)


def short_of(amount: Amount, line: float, line_text: str) -> Computed:
    distance = line - amount.value
    direction = "short of" if distance > 0 else "above"
    return Computed("short_of", {"item": _cited(amount), "distance": _unit_of(amount, abs(distance)),
                                 "direction": direction, "line": line_text}, value=abs(distance))


def members_in_both(graph: FactGraph, first: str, second: str) -> Computed:
    one = {m.person: m for m in graph.groups.get(first, [])}
    both = [m for m in graph.groups.get(second, []) if m.person in one]
    return Computed("both", {"count": str(len(both)), "first": first, "second": second,
                             "names": join_names(m.person for m in both) or "nobody"},
                    _refs(both[:1] or graph.groups.get(first, [])[:1]), value=float(len(both)))


def untitled(graph: FactGraph, group: str) -> Computed:
    members = graph.groups.get(group, [])
    plain = [m for m in members if not m.position]
    return Computed("untitled", {"count": str(len(plain)), "total": str(len(members)), "group": group,
                                 "names": join_names(m.person for m in plain) or "nobody"},
                    _refs(members[:1]), value=float(len(plain)))


def neighbour(graph: FactGraph, member: Member, after: bool) -> Computed:
    """Who is listed right after (or before) a member of a group, in the list's own order."""
    members = sorted(graph.groups.get(member.group, []), key=lambda m: m.rank)
    at = next(i for i, m in enumerate(members) if m.person == member.person)
    direction = "after" if after else "before"
    fields = {"group": member.group, "person": member.person, "total": str(len(members)), "direction": direction}
    other = at + 1 if after else at - 1
    if not 0 <= other < len(members):
        return Computed("list_end", {**fields, "rank": str(member.rank), "end": "last" if after else "first"},
                        _refs([member]), value=float(member.rank))
    found = members[other]
    position = f" ({found.position})" if found.position else ""
    return Computed("neighbour", {**fields, "name": found.person, "position": position, "rank": str(found.rank)},
                    _refs([found]), value=float(found.rank), subject=("person", found.person))


def sizes(graph: FactGraph, groups: Sequence[str]) -> Computed:
    counts = [(g, len(graph.groups.get(g, []))) for g in groups]
    items = "; ".join(f"the {g} Committee has {n} members" for g, n in counts)
    ordered = sorted(counts, key=lambda item: item[1], reverse=True)
    if len(ordered) >= 2 and ordered[0][1] != ordered[-1][1]:
        verdict = (f"The {ordered[0][0]} Committee is the larger, by {ordered[0][1] - ordered[-1][1]} "
                   f"members.")
    else:
        verdict = ""
    refs = _refs([m for g in groups for m in graph.groups.get(g, [])[:1]])
    return Computed("sizes", {"items": items[0].upper() + items[1:], "verdict": verdict}, refs,
                    value=float(ordered[0][1] - ordered[-1][1]) if len(ordered) > 1 else None)


def leader_at(graph: FactGraph, start: PartialDate, end: PartialDate, period: str) -> Computed | None:
    terms = graph.terms_during(start, end)
    if not terms:
        return None
    leaders = join_names(f"{t.person} (party leader from {t.start} to {t.end}) {cite(t.citation)}".rstrip()
                         for t in terms)
    if len(terms) > 1:
        leaders = f"more than one leader: {leaders}"
    return Computed("leader_at", {"period": period, "leaders": leaders}, _refs(terms))


def on_the_day(graph: FactGraph, when: PartialDate, what: str) -> Computed:
    """Everything the sources date to the same day (or month) as `when`."""
    def within(date: PartialDate) -> bool:
        # A month asked matches every day in it; a day, only itself.
        return date == when or (when.day is None and date.year == when.year and when.month is not None
                                and date.month == when.month)

    same = [d for d in graph.dated.values() if within(d.date)]
    events = [f"{d.name} {cite(d.citation)}".rstrip() for d in same]
    for term in graph.terms:
        for label, day in ((f"{term.person}'s term as {term.office} began", term.start),
                           (f"{term.person}'s term as {term.office} ended", term.end)):
            if within(day):
                events.append(f"{label} {cite(term.citation)}".rstrip())
    return Computed("same_day", {"when": f"{what} {when}".strip(), "events": "; ".join(events)})

