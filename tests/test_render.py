"""Table renderers: every table fits Discord's message limit, options work."""

from __future__ import annotations

import pytest

from bot.core.engine import Engine
from bot.core.models import TABLE_NAMES
from bot.core.render import PAGE_CHARS, UnknownName, close_names, paginate, render_table


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_pages_fit_a_message(engine: Engine, name: str) -> None:
    table = render_table(engine.kb, name)
    assert table.pages and len(table.title) <= 256
    for page in table.pages:
        assert len(page) + len("```\n\n```") <= 2000 and len(page) <= PAGE_CHARS


def test_results_sort_by_name_ascending(engine: Engine) -> None:
    page = render_table(engine.kb, "results", sort="name", order="asc").pages[0]
    names = [line.split()[1] for line in page.splitlines()[2:26]]
    assert names[0] == "Banteay" and names == sorted(names, key=str.casefold)


def test_results_for_one_constituency_by_alias(engine: Engine) -> None:
    table = render_table(engine.kb, "results", constituency="PP")
    assert "Phnom Penh" in table.pages[0] and "Kandal" not in table.pages[0]


def test_policies_for_one_area_by_alias(engine: Engine) -> None:
    table = render_table(engine.kb, "policies", area="health")
    assert table.title == "Policies: Healthcare"
    assert {c.section for c in table.citations} == {"Healthcare"}


def test_timeline_by_year(engine: Engine) -> None:
    page = render_table(engine.kb, "timeline", year=2017).pages[0]
    assert "16 November 2017" in page and "2013" not in page


def test_bad_options_raise_value_error(engine: Engine) -> None:
    with pytest.raises(ValueError, match="unknown table"):
        render_table(engine.kb, "nope")
    with pytest.raises(ValueError, match="sort is one of"):
        render_table(engine.kb, "results", sort="colour")


def test_paginate_repeats_the_header() -> None:
    pages = paginate(["head", "----", *[f"row {i} " + "x" * 80 for i in range(60)]], 2, limit=500)
    assert len(pages) > 1 and all(p.startswith("head\n----") for p in pages)
    assert all(len(p) <= 500 for p in pages)


def test_a_misspelt_name_says_what_it_may_have_meant(engine: Engine) -> None:
    with pytest.raises(UnknownName) as caught:
        render_table(engine.kb, "results", constituency="kompong")
    assert caught.value.close[:2] == ("Kampong Cham", "Kampong Chhnang")
    assert str(caught.value).startswith("No constituency called 'kompong'. Did you mean Kampong")
    assert "unknown" not in str(caught.value)
    with pytest.raises(UnknownName, match="Did you mean Healthcare"):
        render_table(engine.kb, "policies", area="helth")
    with pytest.raises(UnknownName) as nothing_close:
        render_table(engine.kb, "committee", which="qqqq")
    assert nothing_close.value.close == ()
    assert str(nothing_close.value).endswith("Try one of: Executive, Standing.")


def test_close_names_count_aliases_but_offer_row_names(engine: Engine) -> None:
    names = engine.kb.entity_names("constituency")
    assert close_names("takeo", names)[0] == "Takéo"
    assert close_names("", names) == ()


def test_prose_tables_come_as_sections(engine: Engine) -> None:
    platform = render_table(engine.kb, "platform")
    rows = engine.kb.table("platform").rows
    assert [s.items for s in platform.sections] == [(str(r["text"]),) for r in rows]
    policies = render_table(engine.kb, "policies")
    assert sum(len(s.items) for s in policies.sections) == len(engine.kb.table("policies").rows)
    assert render_table(engine.kb, "results").sections == (), "numbers stay in columns"
