"""Answers computed from table rows at answer time, so a fact lives in one place.

A generator returns fields for an intent's answer template. A field may carry citation
marks (`cite(ref)`); the composer turns them into numbered footnotes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from bot.core.facts import span_text
from bot.core.knowledge import KnowledgeBase, PartialDate, Row, Table, join_names
from bot.core.models import CitationRef, Entity
from bot.core.records import record

CITE_OPEN, CITE_CLOSE = "\u27e6", "\u27e7"  # ⟦source|section⟧, replaced by [n] when composed


def cite(ref: CitationRef | None) -> str:
    return f"{CITE_OPEN}{ref.source}|{ref.section}{CITE_CLOSE}" if ref else ""


@record
class Generated:
    """What a generator computed: the fields its reply template fills, and what they cite."""

    fields: Mapping[str, str]
    citations: tuple[CitationRef, ...] = ()
    # The rows the answer leads with, as (entity kind, key): what "that" means in a follow-up
    # ("how many more votes is that than Phnom Penh?" after the strongest constituency).
    rows: tuple[tuple[str, str], ...] = ()


@record
class Query:
    """What a computed answer may read from the question: its rows, numbers and words."""

    entities: tuple[Entity, ...] = ()
    numbers: tuple[float, ...] = ()
    terms: frozenset[str] = frozenset()

    def of_kind(self, kind: str) -> list[Entity]:
        seen: dict[str, Entity] = {}
        for entity in self.entities:
            if entity.kind == kind:
                seen.setdefault(entity.key, entity)
        return list(seen.values())


NO_QUERY = Query()

GeneratorFn = Callable[[KnowledgeBase, Mapping[str, Any], Entity | None, Query], Generated]


@record
class GeneratorSpec:
    """A named computation over the tables and what it reads from a question."""

    fn: GeneratorFn
    params: frozenset[str] = frozenset()
    entity: str | None = None  # the entity kind the generator answers about, if any
    entity_count: int = 1  # how many rows of that kind it compares
    reads_numbers: bool = False  # "top 5", "above 40%": numbers are its parameters, not facts
    reads_kinds: frozenset[str] = frozenset()  # other rows it reads from the question
    # Whether its answer may change with the question's rows, numbers or words (the Query):
    # one that reads only its parameters and its row answers the same for every question about
    # that row, so the engine composes it once per row.
    reads_query: bool = True


def _percent(row: Row, column: str = "share") -> str:
    return f"{row.display[column]}%"


def _row_citations(rows: list[Row]) -> tuple[CitationRef, ...]:
    return tuple(dict.fromkeys(r.citation for r in rows if r.citation))


def _require(entity: Entity | None, kind: str) -> Entity:
    if entity is None or entity.kind != kind:
        raise LookupError(f"needs a {kind}")
    return entity


# ---------------------------------------------------------------- constituencies


def _ranked_constituencies(kb: KnowledgeBase) -> list[Row]:
    return sorted(kb.table("constituencies").rows, key=lambda r: r["share"], reverse=True)


def _row_where(table: Table, column: str, key: str) -> Row:
    rows = table.where(**{column: key})
    if not rows:
        raise LookupError(f"{table.name} has no row with {column} {key!r}")
    return rows[0]


def _constituency_line(row: Row) -> str:
    return f"{row['name']}: {row.display['votes']} votes ({_percent(row)})"


def constituency(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    key = _require(entity, "constituency").key
    table = kb.table("constituencies")
    ranked = _ranked_constituencies(kb)
    row = _row_where(table, "name", key)
    national = float(table.meta["stated_totals"]["share"])
    relation = "above" if row["share"] > national else "below" if row["share"] < national else "level with"
    return Generated({
        "name": row["name"],
        "no": row.display["no"],
        "votes": row.display["votes"],
        "share": _percent(row),
        "rank": str(ranked.index(row) + 1),
        "count": str(len(ranked)),
        "national_share": f"{table.meta['stated_totals']['share']}%",
        "relation": relation,
    }, _row_citations([row]))


def constituency_total(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    table = kb.table("constituencies")
    stated = table.meta["stated_totals"]
    row_sum = sum(r["votes"] for r in table.rows)
    difference = int(stated["votes"]) - row_sum
    if difference:
        check = (f"The {len(table.rows)} constituency figures it lists add up to {row_sum:,}, "
                 f"{abs(difference):,} {'fewer' if difference > 0 else 'more'} than that stated "
                 "total; both are shown as the source gives them.")
    else:
        check = f"The {len(table.rows)} constituency figures add up to exactly that total."
    return Generated({
        "votes": f"{int(stated['votes']):,}",
        "share": f"{stated['share']}%",
        "row_sum": f"{row_sum:,}",
        "count": str(len(table.rows)),
        "check": check,
    }, (table.rows[0].citation,) if table.rows and table.rows[0].citation else ())


_BOTTOM_WORDS = frozenset({"bottom", "lowest", "worst", "weakest", "least", "smallest", "poorest", "fewest"})
_VOTE_WORDS = frozenset({"vote", "ballot"})
_SHARE_WORDS = frozenset({"share", "percentage", "percent"})


def _metric(query: Query) -> str:
    """Votes when the question counts votes and says nothing of shares; shares otherwise."""
    return "votes" if query.terms & _VOTE_WORDS and not query.terms & _SHARE_WORDS else "share"


def constituency_rank(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    metric = _metric(query)
    ranked = sorted(kb.table("constituencies").rows, key=lambda r: r[metric], reverse=True)
    bottom = params.get("order") == "bottom" or bool(query.terms & _BOTTOM_WORDS)
    if bottom:
        ranked = ranked[::-1]
    # The range test first: int() of a number too long for a float (309+ digits: inf) raises.
    asked = [int(n) for n in query.numbers if 1 <= n <= len(ranked) and n == int(n)]
    count = asked[0] if asked else int(params.get("n", 3))
    chosen = ranked[:count]
    first = chosen[0]
    by = "votes" if metric == "votes" else "vote share"
    votes, share = f"{first.display['votes']} votes", _percent(first)
    if metric == "votes":
        best, lead = ("fewest votes" if bottom else "most votes"), f"{votes} ({share})"
    else:
        best, lead = ("lowest share" if bottom else "highest share"), f"{share} ({votes})"
    return Generated({
        "name": first["name"],
        "share": _percent(first),
        "votes": first.display["votes"],
        "best": best,  # what the first row leads by: "highest share", "most votes"
        "lead": lead,  # its figure in that measure first
        "others": "; ".join(_constituency_line(r) for r in chosen[1:]) or "no other",
        "count": str(count),
        "heading": f"The CNRP's {'bottom' if bottom else 'top'} {count} constituencies by {by}, 2013:",
        "list": "\n".join(f"{i}. {_constituency_line(r)}" for i, r in enumerate(chosen, 1)),
    }, _row_citations(chosen[:1]), (("constituency", str(first["name"])),))


_ABOVE_WORDS = frozenset({"above", "over", "more", "greater", "higher", "exceed", "exceeded", "majority",
                          "least", "beyond"})
_BELOW_WORDS = frozenset({"below", "under", "less", "lower", "fewer", "beneath", "didnt"})
# The party's own national share as the line: "in how many did it beat its nationwide share".
_NATIONAL_WORDS = frozenset({"national", "nationwide", "nationally", "overall", "average", "countrywide"})


def constituency_filter(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    """Constituencies above or below a share (or a vote count), as the question sets it."""
    # A number too long for a float (inf) is no line to draw: "above inf votes" says nothing.
    values = [n for n in query.numbers if 0 < n < math.inf] if not params.get("fixed") else []
    count = len(kb.table("constituencies").rows)
    if count in values and (len(values) > 1 or query.terms & _NATIONAL_WORDS):
        # "in how many of the 24 constituencies …": the number of rows, not a line.
        values.remove(count)
    value = values[0] if values else float(params.get("above", params.get("below", 50)))
    below = bool(query.terms & _BELOW_WORDS) or ("below" in params and not values)
    national = not values and not params.get("fixed") and bool(query.terms & _NATIONAL_WORDS)
    if national:
        value = float(kb.table("constituencies").meta["stated_totals"]["share"])
    metric = "votes" if value > 100 else "share"
    rows = sorted(kb.table("constituencies").rows, key=lambda r: r[metric], reverse=not below)
    chosen = [r for r in rows if (r[metric] < value if below else r[metric] > value)]
    limit = f"{value:,.0f} votes" if metric == "votes" else f"{value:g}%"
    if national:
        limit = f"its national share of {limit}"
    names = join_names(f"{r['name']} ({_percent(r) if metric == 'share' else r.display['votes']})"
                       for r in chosen)
    return Generated({
        "count": str(len(chosen)),
        "total": str(len(rows)),
        "names": names or "none",
        "relation": "below" if below else "above",
        "limit": limit,
    }, _row_citations(rows[:1]))


def constituency_majority(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    """A fixed line (more than half), whatever numbers the question holds."""
    return constituency_filter(kb, {**params, "fixed": True}, entity, query)


def constituency_compare(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    places = query.of_kind("constituency")
    if len(places) < 2:
        raise LookupError("needs two constituencies")
    table = kb.table("constituencies")
    left, right = (_row_where(table, "name", e.key) for e in places[:2])
    metric = _metric(query)
    better, worse = (left, right) if left[metric] >= right[metric] else (right, left)
    if metric == "votes":
        gap = f"{better['votes'] - worse['votes']:,} more votes"
    else:
        gap = f"{better['share'] - worse['share']:.2f} percentage points higher"
    return Generated({
        "left": _constituency_line(left),
        "right": _constituency_line(right),
        "better": better["name"],
        "gap": gap,
    }, _row_citations([left]))


def constituency_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = kb.table("constituencies").rows
    return Generated({
        "count": str(len(rows)),
        "list": "\n".join(f"{r.display['no']}. {_constituency_line(r)}" for r in rows),
        "names": join_names(r["name"] for r in rows),
    }, _row_citations(list(rows[:1])))


# ---------------------------------------------------------------- people and offices


def _holders(kb: KnowledgeBase, title: str) -> list[Row]:
    return kb.table("officers").where(title=title)


def officers(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = _holders(kb, str(params["title"]))
    return Generated({
        "names": join_names(r["name"] for r in rows),
        "count": str(len(rows)),
    }, _row_citations(rows))


def committee_members(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    name = str(params.get("committee") or (entity.key if entity else ""))
    rows = sorted(kb.table("committees").where(committee=name), key=lambda r: r["rank"])
    members = [f"{r['name']} ({r['position']})" if r["position"] else str(r["name"]) for r in rows]
    return Generated({
        "committee": name,
        "count": str(len(rows)),
        "members": join_names(members),
    }, _row_citations(rows))


def committee_positions(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = [r for r in kb.table("committees").where(committee=str(params["committee"])) if r["position"]]
    return Generated({
        "positions": join_names(f"{r['name']} ({r['position']})" for r in rows),
    }, _row_citations(rows))


def committee_position(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = kb.table("committees").where(position=str(params["position"]))
    return Generated({
        "names": join_names(f"{r['name']} ({r['committee']} Committee)" for r in rows) or "nobody",
    }, _row_citations(rows))


def _term(row: Row) -> str:
    return f"{row.display['term_start']} to {row.display['term_end']}"


def _duration(row: Row) -> str:
    """A term's length, in days and in months or years: "259 days, about 8 and a half months"."""
    return span_text(row["term_start"], row["term_end"])


def _leader_line(row: Row) -> str:
    deputy = "deputy" if len(row["deputies"]) == 1 else "deputies"
    return (f"{row.display['no']}. {row['name']}, {_term(row)} "
            f"({deputy}: {row.display['deputies']})")


def leaders_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = list(kb.table("leaders").rows)
    return Generated({
        "count": str(len(rows)),
        "leaders": "\n".join(_leader_line(r) for r in rows),
    }, _row_citations(rows))


def leader(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = kb.table("leaders").where(no=int(params["number"]))
    if not rows:
        raise LookupError(f"no leader number {params['number']}")
    row = rows[0]
    return Generated({
        "no": row.display["no"],
        "name": row["name"],
        "term_start": row.display["term_start"],
        "term_end": row.display["term_end"],
        "duration": _duration(row),
        "deputies": row.display["deputies"],
    }, _row_citations(rows))


def leader_deputies(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = list(kb.table("leaders").rows)
    lines = [f"under {r['name']} ({_term(r)}): {r.display['deputies']}" for r in rows]
    return Generated({"deputies": "; ".join(lines)}, _row_citations(rows))


def person(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    """Every role a person has in any table, each with its own citation."""
    name = _require(entity, "person").key
    roles: list[str] = []
    for row in kb.table("officers").where(name=name):
        title = "co-founder of the CNRP" if row["title"] == "Founder" else f"{row['title']} of the CNRP"
        roles.append(f"{title} (infobox) {cite(row.citation)}")
    for row in kb.table("leaders").rows:
        if row["name"] == name:
            roles.append(f"party leader no. {row.display['no']}, {_term(row)} "
                         f"({_duration(row)}) {cite(row.citation)}")
        if name in row["deputies"]:
            roles.append(f"deputy to party leader {row['name']} ({_term(row)}) {cite(row.citation)}")
    for row in sorted(kb.table("committees").where(name=name), key=lambda r: r["committee"]):
        position = f"{row['position']} of" if row["position"] else "member of"
        roles.append(f"{position} the {row['committee']} Committee {cite(row.citation)}")
    for row in kb.table("roles").where(name=name):
        roles.append(f"{row['role']} {cite(row.citation)}")
    text = "\n".join(f"• {role}" for role in roles) if roles else "No role is recorded."
    return Generated({"name": name, "roles": text, "count": str(len(roles))})


def organisation_name(kb: KnowledgeBase, name: str) -> str:
    """An organisation's name with its short form, as the sources pair them: "ASEAN
    Parliamentarians for Human Rights (APHR)"."""
    rows = kb.table("organisations").where(name=name)
    short = next((a for a in (rows[0]["aliases"] if rows else ()) if " " not in a
                  and (a.isupper() or "-" in a) and a.casefold() != name.casefold()), None)
    return f"{name} ({short})" if short else name


def organisation(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
                 query: Query = NO_QUERY) -> Generated:
    """What the sources say about an organisation, each fact with its own citation."""
    name = _require(entity, "organisation").key
    facts = [f"• {row['role']} {cite(row.citation)}" for row in kb.table("organisation_roles").where(organisation=name)]
    text = "\n".join(facts) if facts else "• The sources name it but say nothing more about it."
    return Generated({"name": name, "display": organisation_name(kb, name), "roles": text,
                      "count": str(len(facts))})


def person_offices(kb: KnowledgeBase, name: str) -> list[tuple[str, str, CitationRef | None]]:
    """(title, where, citation) for every office a person holds in any table."""
    offices: list[tuple[str, str, CitationRef | None]] = []
    for row in kb.table("officers").where(name=name):
        offices.append((str(row["title"]), "the CNRP", row.citation))
    for row in kb.table("committees").where(name=name):
        offices.append((str(row["position"]) or "Member", f"the {row['committee']} Committee", row.citation))
        offices.append(("Member", f"the {row['committee']} Committee", row.citation))
    for row in kb.table("leaders").rows:
        if row["name"] == name:
            offices.append(("Leader", "the CNRP", row.citation))
        if name in row["deputies"]:
            offices.append(("Deputy", f"party leader {row['name']}", row.citation))
    return offices


def titled(offices: list[tuple[str, str, CitationRef | None]]) -> list[tuple[str, str, CitationRef | None]]:
    """The offices less a plain membership of a body where a title on it says as much
    ("Vice President of the Standing Committee" is a member)."""
    return [o for o in offices if not (o[0] == "Member" and any(x[1] == o[1] and x[0] != "Member" for x in offices))]


def office_text(title: str, where: str) -> str:
    """"President of the CNRP", "a member of the Standing Committee", "deputy to party leader …"."""
    if title == "Member":
        return f"a member of {where}"
    return f"deputy to {where}" if title == "Deputy" else f"{title} of {where}"


def _near_offices(kb: KnowledgeBase, titles: set[str], committees: set[str],
                  offices: list[tuple[str, str, CitationRef | None]]) -> dict[str, None]:
    """The offices a person holds that the titles asked about stand near (titles.csv `near`)."""
    near = {str(n) for row in kb.table("titles").rows if row["title"] in titles for n in row["near"]}
    return {f"{office_text(title, where)} {cite(ref)}": None for title, where, ref in offices
            if title in near and (not committees or any(c in where for c in committees))}


def person_check(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    """Yes or no: does the person hold the office, or sit on the committee, the question names?"""
    name = _require(entity, "person").key
    offices = person_offices(kb, name)
    committees = {e.key for e in query.of_kind("committee")}
    titles = {e.key for e in query.of_kind("title")}
    if not committees and not titles:
        raise LookupError("needs an office or a committee to check")
    hits = [o for o in offices
            if (not titles or o[0] in titles) and (not committees or any(c in o[1] for c in committees))]
    asked = join_names([*sorted(titles), *(f"a member of the {c} Committee" for c in sorted(committees))])
    if hits:
        parts: dict[str, None] = {}
        for title, where, ref in hits:
            if title == "Member" and (titles or any(h[1] == where and h[0] != "Member" for h in hits)):
                continue  # "Vice President of the Standing Committee" already says member
            parts[f"{office_text(title, where)} {cite(ref)}"] = None
        verdict = f"Yes. {name} is listed as {join_names(parts)}."
    elif near := _near_offices(kb, titles, committees, offices):
        # "Was Kem Sokha deputy president?" of a deputy leader: neither yes nor no, but what
        # the sources call it.
        verdict = (f"The sources list {name} as {join_names(near)}, "
                   f"though not with the title {asked}.")
    else:
        held = [f"{office_text(t, w)} {cite(ref)}" for t, w, ref in titled(offices)]
        held += [f"{row['role']} {cite(row.citation)}" for row in kb.table("roles").where(name=name)]
        listed = f" They list {name} as {join_names(dict.fromkeys(held))}." if held else ""
        verdict = f"No: the sources do not list {name} as {asked}.{listed}"
    return Generated({"name": name, "verdict": verdict})


def leader_duration(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    name = _require(entity, "person").key
    rows = [r for r in kb.table("leaders").rows if r["name"] == name]
    if not rows:
        leaders = join_names(str(r["name"]) for r in kb.table("leaders").rows)
        return Generated({"text": f"{name} is not in the list of party leaders (they were {leaders})."},
                         _row_citations(list(kb.table("leaders").rows[:1])))
    row = rows[0]
    return Generated({"text": f"{name} led the CNRP from {row.display['term_start']} to "
                              f"{row.display['term_end']}, {_duration(row)}."}, _row_citations(rows))


def party_lifespan(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    """From the first leader's term (the earliest exact date) to the dissolution."""
    founding = kb.table("timeline").where(tag="founding")
    dissolution = kb.table("timeline").where(tag="dissolution")
    leaders = kb.table("leaders").rows
    if not founding or not dissolution or not leaders:
        raise LookupError("needs the leaders and timeline rows tagged founding and dissolution")
    first = min(leaders, key=lambda r: r["term_start"].sort_key)
    end = dissolution[0]["date"]
    return Generated({
        "founded": str(founding[0]["date"]),
        "first_term": first.display["term_start"],
        "dissolved": str(end),
        "duration": span_text(first["term_start"], PartialDate(end.year, end.month, end.day)),
    }, (*_row_citations(founding), *_row_citations([first]), *_row_citations(dissolution)))


# ---------------------------------------------------------------- elections


def election(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    wanted = str(params.get("type") or (entity.key if entity else ""))
    rows = kb.table("elections").where(type=wanted)
    if not rows:
        raise LookupError(f"no {wanted!r} election")
    row = rows[0]
    return Generated({
        "type": row["type"].lower(),
        "year": str(row["year"]),
        "leader": row["leader"],
        "votes": row.display["votes"],
        "share": _percent(row),
        "change": f"{row['change']:+.1f}",
    }, _row_citations(rows))


def elections_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = list(kb.table("elections").rows)
    lines = [f"• {r['year']} {r['type'].lower()} election, led by {r['leader']}: {r.display['votes']} "
             f"votes ({_percent(r)}, {r['change']:+.1f} points) {cite(r.citation)}" for r in rows]
    return Generated({"elections": "\n".join(lines), "count": str(len(rows))})


# ---------------------------------------------------------------- platform and policies


def platform_point(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    key = _require(entity, "platform_point").key
    row = _row_where(kb.table("platform"), "topic", key)
    return Generated({"no": row.display["no"], "topic": row["topic"], "text": row["text"],
                      "count": str(len(kb.table("platform").rows))}, _row_citations([row]))


def platform_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = list(kb.table("platform").rows)
    return Generated({
        "count": str(len(rows)),
        "points": "\n".join(f"{r.display['no']}. {r['text'][0].upper()}{r['text'][1:]}" for r in rows),
    }, _row_citations(rows[:1]))


def policy_point(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    key = _require(entity, "policy_point").key
    row = _row_where(kb.table("policies"), "text", key)
    return Generated({"area": row["area"], "text": row["text"]}, _row_citations([row]))


def policy_area(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    area = _require(entity, "policy_area").key
    rows = sorted(kb.table("policies").where(area=area), key=lambda r: r["no"])
    return Generated({
        "area": area,
        "count": str(len(rows)),
        "points": "\n".join(f"• {r['text'][0].upper()}{r['text'][1:]}" for r in rows),
    }, _row_citations(rows[:1]))


def policy_areas_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    rows = list(kb.table("policy_areas").rows)
    return Generated({
        "count": str(len(rows)),
        "areas": join_names(str(r["area"]) for r in rows),
    }, _row_citations(rows))


# ---------------------------------------------------------------- time and sources


def timeline_events(kb: KnowledgeBase, year: int | None = None) -> list[tuple[Any, str, CitationRef | None]]:
    """Dated events from every table that holds dates, in order."""
    events: list[tuple[Any, str, CitationRef | None]] = []
    for row in kb.table("timeline").rows:
        # An event may state a count as {figure[tag]}: the number lives in figures.csv.
        events.append((row["date"], str(row["event"]).format_map({"figure": kb.figures}), row.citation))
    for row in kb.table("leaders").rows:
        events.append((row["term_start"], f"{row['name']} becomes party leader", row.citation))
        events.append((row["term_end"], f"{row['name']}'s term as party leader ends", row.citation))
    for row in kb.table("elections").rows:
        events.append((PartialDate(int(row["year"])),
                       f"{row['type']} election: the CNRP wins {_percent(row)} of the vote",
                       row.citation))
    events.sort(key=lambda e: e[0].sort_key)
    if year is not None:
        events = [e for e in events if e[0].year == year]
    return events


def timeline(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    years = [int(e.key) for e in query.of_kind("year")] or ([int(params["year"])] if params.get("year") else [])
    year = years[0] if years else (int(entity.key) if entity and entity.kind == "year" else None)
    events = timeline_events(kb, year)
    if not events:
        raise LookupError(f"no dated events in {year}")
    lines = [f"• {when}: {what} {cite(ref)}" for when, what, ref in events]
    return Generated({"events": "\n".join(lines), "count": str(len(events)),
                      "year": str(year) if year else "all years"})


def event(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
          query: Query = NO_QUERY) -> Generated:
    """One dated event: when, and what happened, as the timeline states it."""
    tag = _require(entity, "event").key
    row = _row_where(kb.table("timeline"), "tag", tag)
    what = str(row["event"]).format_map({"figure": kb.figures})
    return Generated({"name": str(row["name"]), "when": str(row["date"]), "event": what},
                     (row.citation,) if row.citation else ())


def sources_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None,
        query: Query = NO_QUERY) -> Generated:
    lines = []
    for source in kb.sources.values():
        dated = f", {source.date}" if source.date else ""
        link = f" — {source.url}" if source.url else ""
        lines.append(f"• \u201c{source.title}\u201d, {source.publisher}{dated}{link}")
    return Generated({"sources": "\n".join(lines), "count": str(len(lines))})


GENERATORS: dict[str, GeneratorSpec] = {
    "constituency": GeneratorSpec(constituency, entity="constituency", reads_query=False),
    "constituency_total": GeneratorSpec(constituency_total, reads_query=False),
    "constituency_rank": GeneratorSpec(constituency_rank, frozenset({"order", "n"}), reads_numbers=True),
    "constituency_filter": GeneratorSpec(constituency_filter, frozenset({"above", "below"}),
                                         reads_numbers=True),
    "constituency_majority": GeneratorSpec(constituency_majority, frozenset({"above", "below"})),
    "constituency_compare": GeneratorSpec(constituency_compare, entity="constituency", entity_count=2),
    "constituency_list": GeneratorSpec(constituency_list, reads_query=False),
    "officers": GeneratorSpec(officers, frozenset({"title"}), reads_query=False),
    "committee_members": GeneratorSpec(committee_members, frozenset({"committee"}), reads_query=False),
    "committee_positions": GeneratorSpec(committee_positions, frozenset({"committee"}), reads_query=False),
    "committee_position": GeneratorSpec(committee_position, frozenset({"position"}), reads_query=False),
    "leaders_list": GeneratorSpec(leaders_list, reads_query=False),
    "leader": GeneratorSpec(leader, frozenset({"number"}), reads_query=False),
    "leader_deputies": GeneratorSpec(leader_deputies, reads_query=False),
    "person": GeneratorSpec(person, entity="person", reads_query=False),
    "organisation": GeneratorSpec(organisation, entity="organisation", reads_query=False),
    "person_check": GeneratorSpec(person_check, entity="person",
                                  reads_kinds=frozenset({"title", "committee"})),
    "leader_duration": GeneratorSpec(leader_duration, entity="person", reads_query=False),
    "party_lifespan": GeneratorSpec(party_lifespan, reads_query=False),
    "election": GeneratorSpec(election, frozenset({"type"}), reads_query=False),
    "elections_list": GeneratorSpec(elections_list, reads_query=False),
    "platform_point": GeneratorSpec(platform_point, entity="platform_point", reads_query=False),
    "platform_list": GeneratorSpec(platform_list, reads_query=False),
    "policy_point": GeneratorSpec(policy_point, entity="policy_point", reads_query=False),
    "policy_area": GeneratorSpec(policy_area, entity="policy_area", reads_query=False),
    "policy_areas_list": GeneratorSpec(policy_areas_list, reads_query=False),
    "timeline": GeneratorSpec(timeline, frozenset({"year"})),
    "timeline_year": GeneratorSpec(timeline, entity="year"),
    "event": GeneratorSpec(event, entity="event", reads_query=False),
    "sources_list": GeneratorSpec(sources_list, reads_query=False),
}

# An intent that needs an entity but names no generator uses the one for its kind.
ENTITY_GENERATORS = {"constituency": "constituency", "person": "person", "organisation": "organisation",
                     "platform_point": "platform_point", "policy_point": "policy_point",
                     "policy_area": "policy_area", "year": "timeline_year", "event": "event"}
