"""Answers computed from table rows at answer time, so a fact lives in one place.

A generator returns fields for an intent's answer template. A field may carry citation
marks (`cite(ref)`); the composer turns them into numbered footnotes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.knowledge import KnowledgeBase, Row, join_names
from bot.core.models import CitationRef, Entity

CITE_OPEN, CITE_CLOSE = "\u27e6", "\u27e7"  # ⟦source|section⟧, replaced by [n] when composed


def cite(ref: CitationRef | None) -> str:
    return f"{CITE_OPEN}{ref.source}|{ref.section}{CITE_CLOSE}" if ref else ""


@dataclass(frozen=True)
class Generated:
    fields: Mapping[str, str]
    citations: tuple[CitationRef, ...] = ()


GeneratorFn = Callable[[KnowledgeBase, Mapping[str, Any], Entity | None], Generated]


@dataclass(frozen=True)
class GeneratorSpec:
    fn: GeneratorFn
    params: frozenset[str] = frozenset()
    entity: str | None = None  # the entity kind the generator answers about, if any


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


def _constituency_line(row: Row) -> str:
    return f"{row['name']}: {row.display['votes']} votes ({_percent(row)})"


def constituency(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    key = _require(entity, "constituency").key
    table = kb.table("constituencies")
    ranked = _ranked_constituencies(kb)
    row = next(r for r in table.rows if r["name"] == key)
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


def constituency_total(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
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


def constituency_rank(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    ranked = _ranked_constituencies(kb)
    if params.get("order", "top") == "bottom":
        ranked = ranked[::-1]
    count = int(params.get("n", 3))
    chosen = ranked[:count]
    first = chosen[0]
    return Generated({
        "name": first["name"],
        "share": _percent(first),
        "votes": first.display["votes"],
        "others": "; ".join(_constituency_line(r) for r in chosen[1:]),
        "list": "\n".join(f"{i}. {_constituency_line(r)}" for i, r in enumerate(chosen, 1)),
    }, _row_citations(chosen[:1]))


def constituency_majority(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    above = [r for r in _ranked_constituencies(kb) if r["share"] > float(params.get("above", 50))]
    return Generated({
        "count": str(len(above)),
        "names": join_names(f"{r['name']} ({_percent(r)})" for r in above) or "none",
    }, _row_citations(above[:1]))


def constituency_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = kb.table("constituencies").rows
    return Generated({
        "count": str(len(rows)),
        "list": "\n".join(f"{r.display['no']}. {_constituency_line(r)}" for r in rows),
        "names": join_names(r["name"] for r in rows),
    }, _row_citations(list(rows[:1])))


# ---------------------------------------------------------------- people and offices


def _holders(kb: KnowledgeBase, title: str) -> list[Row]:
    return kb.table("officers").where(title=title)


def officers(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = _holders(kb, str(params["title"]))
    return Generated({
        "names": join_names(r["name"] for r in rows),
        "count": str(len(rows)),
    }, _row_citations(rows))


def committee_members(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    name = str(params.get("committee") or (entity.key if entity else ""))
    rows = sorted(kb.table("committees").where(committee=name), key=lambda r: r["rank"])
    members = [f"{r['name']} ({r['position']})" if r["position"] else str(r["name"]) for r in rows]
    return Generated({
        "committee": name,
        "count": str(len(rows)),
        "members": join_names(members),
    }, _row_citations(rows))


def committee_positions(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = [r for r in kb.table("committees").where(committee=str(params["committee"])) if r["position"]]
    return Generated({
        "positions": join_names(f"{r['name']} ({r['position']})" for r in rows),
    }, _row_citations(rows))


def committee_position(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = kb.table("committees").where(position=str(params["position"]))
    return Generated({
        "names": join_names(f"{r['name']} ({r['committee']} Committee)" for r in rows) or "nobody",
    }, _row_citations(rows))


def _term(row: Row) -> str:
    return f"{row.display['term_start']} to {row.display['term_end']}"


def _duration(row: Row) -> str:
    days = (row["term_end"].as_date() - row["term_start"].as_date()).days
    years, rest = divmod(days, 365)
    months = round(rest / 30.44)
    if months == 12:
        years, months = years + 1, 0
    parts = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if months or not parts:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return "about " + " and ".join(parts)


def _leader_line(row: Row) -> str:
    deputy = "deputy" if len(row["deputies"]) == 1 else "deputies"
    return (f"{row.display['no']}. {row['name']}, {_term(row)} "
            f"({deputy}: {row.display['deputies']})")


def leaders_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = list(kb.table("leaders").rows)
    return Generated({
        "count": str(len(rows)),
        "leaders": "\n".join(_leader_line(r) for r in rows),
    }, _row_citations(rows))


def leader(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
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


def leader_deputies(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = list(kb.table("leaders").rows)
    lines = [f"under {r['name']} ({_term(r)}): {r.display['deputies']}" for r in rows]
    return Generated({"deputies": "; ".join(lines)}, _row_citations(rows))


def person(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
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


# ---------------------------------------------------------------- elections


def election(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
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


def elections_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = list(kb.table("elections").rows)
    lines = [f"• {r['year']} {r['type'].lower()} election, led by {r['leader']}: {r.display['votes']} "
             f"votes ({_percent(r)}, {r['change']:+.1f} points) {cite(r.citation)}" for r in rows]
    return Generated({"elections": "\n".join(lines), "count": str(len(rows))})


# ---------------------------------------------------------------- platform and policies


def platform_point(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    key = _require(entity, "platform_point").key
    row = next(r for r in kb.table("platform").rows if r["topic"] == key)
    return Generated({"no": row.display["no"], "topic": row["topic"], "text": row["text"],
                      "count": str(len(kb.table("platform").rows))}, _row_citations([row]))


def platform_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    rows = list(kb.table("platform").rows)
    return Generated({
        "count": str(len(rows)),
        "points": "\n".join(f"{r.display['no']}. {r['text'][0].upper()}{r['text'][1:]}" for r in rows),
    }, _row_citations(rows[:1]))


def policy_point(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    key = _require(entity, "policy_point").key
    row = next(r for r in kb.table("policies").rows if r["text"] == key)
    return Generated({"area": row["area"], "text": row["text"]}, _row_citations([row]))


def policy_area(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    area = _require(entity, "policy_area").key
    rows = sorted(kb.table("policies").where(area=area), key=lambda r: r["no"])
    return Generated({
        "area": area,
        "count": str(len(rows)),
        "points": "\n".join(f"• {r['text'][0].upper()}{r['text'][1:]}" for r in rows),
    }, _row_citations(rows[:1]))


def policy_areas_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
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
        events.append((row["date"], str(row["event"]), row.citation))
    for row in kb.table("leaders").rows:
        events.append((row["term_start"], f"{row['name']} becomes party leader", row.citation))
        events.append((row["term_end"], f"{row['name']}'s term as party leader ends", row.citation))
    for row in kb.table("elections").rows:
        from bot.core.knowledge import PartialDate

        events.append((PartialDate(int(row["year"])),
                       f"{row['type']} election: the CNRP wins {_percent(row)} of the vote",
                       row.citation))
    events.sort(key=lambda e: e[0].sort_key)
    if year is not None:
        events = [e for e in events if e[0].year == year]
    return events


def timeline(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    year = int(params["year"]) if params.get("year") else None
    events = timeline_events(kb, year)
    lines = [f"• {when}: {what} {cite(ref)}" for when, what, ref in events]
    return Generated({"events": "\n".join(lines), "count": str(len(events))})


def sources_list(kb: KnowledgeBase, params: Mapping[str, Any], entity: Entity | None) -> Generated:
    lines = []
    for source in kb.sources.values():
        dated = f", {source.date}" if source.date else ""
        link = f" — {source.url}" if source.url else ""
        lines.append(f"• \u201c{source.title}\u201d, {source.publisher}{dated}{link}")
    return Generated({"sources": "\n".join(lines), "count": str(len(lines))})


GENERATORS: dict[str, GeneratorSpec] = {
    "constituency": GeneratorSpec(constituency, entity="constituency"),
    "constituency_total": GeneratorSpec(constituency_total),
    "constituency_rank": GeneratorSpec(constituency_rank, frozenset({"order", "n"})),
    "constituency_majority": GeneratorSpec(constituency_majority, frozenset({"above"})),
    "constituency_list": GeneratorSpec(constituency_list),
    "officers": GeneratorSpec(officers, frozenset({"title"})),
    "committee_members": GeneratorSpec(committee_members, frozenset({"committee"})),
    "committee_positions": GeneratorSpec(committee_positions, frozenset({"committee"})),
    "committee_position": GeneratorSpec(committee_position, frozenset({"position"})),
    "leaders_list": GeneratorSpec(leaders_list),
    "leader": GeneratorSpec(leader, frozenset({"number"})),
    "leader_deputies": GeneratorSpec(leader_deputies),
    "person": GeneratorSpec(person, entity="person"),
    "election": GeneratorSpec(election, frozenset({"type"})),
    "elections_list": GeneratorSpec(elections_list),
    "platform_point": GeneratorSpec(platform_point, entity="platform_point"),
    "platform_list": GeneratorSpec(platform_list),
    "policy_point": GeneratorSpec(policy_point, entity="policy_point"),
    "policy_area": GeneratorSpec(policy_area, entity="policy_area"),
    "policy_areas_list": GeneratorSpec(policy_areas_list),
    "timeline": GeneratorSpec(timeline, frozenset({"year"})),
    "sources_list": GeneratorSpec(sources_list),
}

# An intent that needs an entity but names no generator uses the one for its kind.
ENTITY_GENERATORS = {spec.entity: name for name, spec in GENERATORS.items() if spec.entity}
