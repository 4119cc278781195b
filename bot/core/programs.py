"""Reading a question into a computation over the facts: which operation its words ask for
(knowledge/operations.yaml) and which rows it names as operands. A question is read into a
program only when the operation's words are there and every operand it needs is found; else
the intent matcher answers it as usual.

The conversation's last answer supplies operands a follow-up leaves out ("and which gave it a
bigger share?", "what happened that same day?").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.core import operations as ops
from bot.core.facts import Amount, FactGraph, show
from bot.core.generators import cite, office_text, person_offices, titled
from bot.core.knowledge import KnowledgeBase, PartialDate, join_names
from bot.core.models import CitationRef, Entity, ReplyKind
from bot.core.normalize import fold, lazy_pattern, stem, tokenize
from bot.core.records import record

# Which amount a question means, from its words.
_METRICS = {
    "votes": ("vote", "ballot", "voter", "backed", "supporter", "people"),
    "share": ("share", "percentage", "percent", "%", "point", "proportion", "pct"),
    "usd": ("dollar", "usd", "us"),
    "riels": ("riel",),
}
_DEFAULT_METRIC = {"constituency": ("share", "votes"), "election": ("votes", "share"),
                   "platform_point": ("riels", "usd"), "figure": ("value",)}
_START = frozenset({"start", "starting", "started", "began", "begin", "beginning", "took", "became", "from"})
_END = frozenset({"end", "ending", "ended", "left", "stepped", "step", "quit", "until", "finish", "finished"})
_PEOPLE_KINDS = frozenset({"person"})
# Who led at a time means the party's leader; a question about another body's head is not one.
_OTHER_OFFICES = frozenset({"court", "judge", "justice", "committee", "cnrm", "movement", "government",
                            "country", "asean", "aphr", "cald", "cpp"})


# Words by which a follow-up asks about the moment the last answer named.
# Words that ask what someone's seat was ("his role on the Executive Committee"), where
# "is he on the committee?" asks yes or no.
_SEAT_WORDS = frozenset({"role", "roles", "position", "positions", "title", "titles", "job", "post", "office",
                         "seat", "rank"})
# Question words that ask for something other than what a source says of someone.
_NUMBER = lazy_pattern(r"\d+(\.\d+)?")
_OTHER_ASKS = frozenset({"where", "when", "who", "whom", "whose", "why", "how", "which"})
_WHO_WORDS = frozenset({"who", "whose", "whom"})
_ROLE_WORDS = frozenset({"role", "roles", "title", "titles", "position", "positions"})
# A rank among two rows is a comparison, which the comparison answers with both figures.
_FEWEST_TO_RANK = 3
# Words that point back at one thing, or at several.
_ONE_THING = frozenset({"that", "this"})  # "it" is as often the party ("which gave it more?")
_SEVERAL_THINGS = frozenset({"those", "them", "these", "both", "all"})  # "they" is mostly the party
# Words that ask about places: with an election's figure and no province named, "where did the
# CNRP win a majority?" asks which constituencies, not whether the election's share was one.
_PLACE_WORDS = frozenset({"constituency", "constituencies", "province", "provinces", "region", "regions",
                          "where", "anywhere", "somewhere", "everywhere", "place", "places", "area", "areas"})
_THEN = frozenset({"then", "time", "moment", "point", "date", "day", "year"})


@record
class Operand:
    """A dated row a question names, as one side of a computation."""

    name: str
    date: PartialDate
    ref: CitationRef | None
    at: int  # the token it was named at, to keep the question's order


@dataclass
class Reading:
    """What a question names that a computation may use, in the order it names them."""

    tokens: Sequence[str]
    entities: Sequence[Entity]
    numbers: list[tuple[float, int]] = field(default_factory=list)  # (value, token position)
    context: Sequence[Entity] = ()  # the last answer's rows, for a follow-up
    context_dates: Sequence[Operand] = ()
    # The last question's words: "where does that rank?" after "how many votes …" ranks votes.
    context_tokens: Sequence[Sequence[str]] = ()  # latest first
    listed: Sequence[str] = ()  # the people (else organisations) the last answer named, in its order
    listed_kind: str = "person"
    listed_refs: Sequence[CitationRef] = ()  # where the last answer's list came from
    # How many leading tokens are the question's own: a follow-up asked again with the last
    # question's words after its own names what those words name only by reference.
    own: int | None = None

    @property
    def own_end(self) -> int:
        return len(self.tokens) if self.own is None else self.own


_STANDS_FOR_SOMEONE = frozenset({"she", "he", "it", "they", "this", "that", "these", "those", "her", "his"})
_SENTENCE_END = lazy_pattern(r"(?<=[.!?])\s+(?=[A-Z\"“])")


@record
class _Sentence:
    """A sentence of an answer as `ProgramReader._said_in` reads it."""

    text: str
    folded: str  # its folded words, with a space either side, for whole-name search
    leans: bool  # it leans on its answer: opens with a pronoun ("She urged …") or has a placeholder

    @classmethod
    def of(cls, text: str) -> _Sentence:
        words = fold(text).split()
        leans = (bool(words) and words[0] in _STANDS_FOR_SOMEONE) or "{" in text
        return cls(text, f" {' '.join(words)} ", leans)


def join_kinds(kinds: Iterable[str]) -> str:
    """"encyclopedia article", or "encyclopedia article and press release"."""
    return " and ".join(dict.fromkeys(kinds))


class ProgramReader:
    def __init__(self, kb: KnowledgeBase, graph: FactGraph) -> None:
        self.kb = kb
        self.graph = graph
        self.words = kb.operations.words
        self.number_words = kb.operations.number_words
        self.figures = kb.tables.get("figures")
        # Which operations each phrase of words is one of, and the lengths of the phrases that
        # start with each word: a question's words are read once for all twenty-odd lookups.
        self._phrase_ops: dict[tuple[str, ...], set[str]] = {}
        self._lengths_from: dict[str, set[int]] = {}
        for op, phrases in self.words.items():
            for phrase in phrases:
                self._phrase_ops.setdefault(phrase, set()).add(op)
                self._lengths_from.setdefault(phrase[0], set()).add(len(phrase))
        # The last question's words and the operations their phrases name.
        self._said: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())
        self._naming = {source_id: self._source_words(source_id) for source_id in kb.sources}
        # Each source's answers as `_said_in` searches them, read when it is first asked of.
        self._sentences: dict[str, tuple[tuple[CitationRef, tuple[_Sentence, ...]], ...]] = {}

    # ------------------------------------------------------------ helpers

    def _has(self, op: str, tokens: Sequence[str]) -> bool:
        return op in self._operations(tokens)

    def _operations(self, tokens: Sequence[str]) -> frozenset[str]:
        """The operations the words name, read once for the question the rules are reading."""
        key = tuple(tokens)
        last, said = self._said
        if last != key:
            said = self._operations_in(key)
            self._said = (key, said)  # one assignment: safe with several worker threads
        return said

    def _operations_in(self, tokens: tuple[str, ...]) -> frozenset[str]:
        """Every operation a phrase of which the words contain, in one pass over them."""
        found: set[str] = set()
        for start, token in enumerate(tokens):
            for length in self._lengths_from.get(token, ()):
                ops = self._phrase_ops.get(tokens[start:start + length])
                if ops:
                    found |= ops
        return frozenset(found)

    def may_compute(self, tokens: Sequence[str]) -> bool:
        """Whether the words hold anything a rule needs: most questions hold nothing, and `read`
        finds no computation in them, whatever the talk before them."""
        return not _ANY_OPERATION.isdisjoint(self._operations(tokens)) or not _ANY_WORD.isdisjoint(tokens)

    def asks_for_rows(self, tokens: Sequence[str]) -> bool:
        """The question asks for rows of its own ("which constituencies …", "list the …")."""
        return self._has("rows_asked", tokens)

    def _numbers(self, tokens: Sequence[str]) -> list[tuple[float, int]]:
        found = []
        for i, token in enumerate(tokens):
            if token[:1].isdigit() and _NUMBER().fullmatch(token):
                # A number too long for a float (309+ digits: inf) is no operand: nothing can be
                # computed with it, and showing it would raise.
                if math.isfinite(value := float(token)):
                    found.append((value, i))
            elif token in self.number_words:
                found.append((self.number_words[token], i))
        return found

    def _metric(self, tokens: Sequence[str], kind: str, earlier: Sequence[Sequence[str]] = ()) -> tuple[str, ...]:
        # "vote share" asks for a share: share words outrank vote words. A follow-up that names
        # no measure ("where does that rank?") keeps the one the talk last asked for.
        asked: list[str] = []
        for words_of_question in (tokens, *earlier):
            asked = [m for m, words in _METRICS.items() if any(t in words for t in words_of_question)]
            if asked:
                break
        asked.sort(key=lambda m: m != "share")
        return (*asked, *_DEFAULT_METRIC.get(kind, ()))

    def _amounts(self, reading: Reading, kinds: Sequence[str] = ("constituency", "election", "platform_point",
                                                                   "figure")) -> list[Amount]:
        """The amounts of the rows a question names, one per row, in the question's order."""
        found: list[Amount] = []
        entities = sorted(reading.entities, key=lambda e: e.start)
        for entity in entities:
            if entity.kind not in kinds:
                continue
            amount = self.graph.amount(entity.kind, entity.key,
                                       self._metric(reading.tokens, entity.kind, reading.context_tokens))
            if amount is not None and all(a.key != amount.key for a in found):
                found.append(amount)
        if len(found) < 2 and "election" in kinds:
            # "higher in 2013 or in 2017": an election named by its year alone.
            years = [e.key for e in entities if e.kind == "year"]
            for dated in self.graph.dated.values():
                if dated.kind == "election" and str(dated.date.year) in years:
                    amount = self.graph.amount("election", dated.key,
                                               self._metric(reading.tokens, "election", reading.context_tokens))
                    if amount is not None and all(a.key != amount.key for a in found):
                        found.append(amount)
        return found

    def dates(self, reading: Reading) -> list[Operand]:
        """Dated things a question names: events, elections, and the start or end of a term."""
        found: list[Operand] = []
        tokens = reading.tokens
        for entity in sorted(reading.entities, key=lambda e: e.start):
            dated = self.graph.dated.get((entity.kind, entity.key))
            if dated is not None and entity.kind in ("event", "election"):
                found.append(Operand(dated.name, dated.date, dated.citation, entity.start))
            elif entity.kind in _PEOPLE_KINDS:
                term = self.graph.term_of(entity.key)
                if term is None:
                    continue
                window = tokens[entity.end : entity.end + 6]
                before = tokens[max(0, entity.start - 3) : entity.start]
                ends = any(t in _END for t in window) or (not any(t in _START for t in window)
                                                          and any(t in _END for t in before))
                if ends:
                    found.append(Operand(f"the end of {term.person}'s term", term.end, term.citation, entity.start))
                elif any(t in _START for t in (*window, *before)):
                    found.append(Operand(f"the start of {term.person}'s term", term.start, term.citation,
                                         entity.start))
        return found

    # ------------------------------------------------------------ reading

    def read(self, reading: Reading) -> ops.Computed | None:
        """The computation the question asks for, computed; None when it asks for none or an
        operand is missing."""
        if not self.kb.language.present_words.isdisjoint(reading.tokens):
            return None  # "the exchange rate today": the sources end in 2018
        if not self.may_compute(reading.tokens):
            return None
        reading.numbers = self._numbers(reading.tokens)
        computed = self._first(reading)
        operands = [e for e in reading.entities if e.kind not in ("title", "policy_area", "year")]
        if (computed is None and reading.context and len(operands) <= 1
                and not self._has("rows_asked", reading.tokens)):
            # A follow-up names fewer rows than its computation needs ("and what's the difference
            # in headcount?"): the last answer's rows complete it, placed after the question's.
            # Unless it asks for rows itself ("which constituencies were above half?").
            end = len(reading.tokens)
            carried = [replace(e, start=end, end=end) for e in reading.context
                       if (e.kind, e.key) not in {(x.kind, x.key) for x in reading.entities}]
            tokens = set(reading.tokens)
            if tokens & _ONE_THING and not tokens & _SEVERAL_THINGS:
                # "how does that compare with Mondulkiri?": that is one row, the latest of the
                # kind the question names (context comes latest first).
                named = {e.kind for e in reading.entities}
                carried = ([e for e in carried if e.kind in named] or carried)[:1]
            if carried:
                computed = self._first(replace(reading, entities=[*reading.entities, *carried], context=()))
        return computed

    def _first(self, reading: Reading) -> ops.Computed | None:
        for rule in self._rules_for(reading.tokens):
            computed = rule(self, reading)
            if computed is not None:
                return computed
        return None

    def _rules_for(self, tokens: Sequence[str]) -> list[_Rule]:
        """The rules something they need is there for, in their order (for most questions, of
        most rules nothing is)."""
        places = {place for op in self._operations(tokens) for place in _RULES_OF_OPERATION.get(op, ())}
        places.update(place for token in tokens for place in _RULES_OF_WORD.get(token, ()))
        return [_RULES[place][0] for place in sorted(places)]

    def _exchange(self, reading: Reading) -> ops.Computed | None:
        if not self._has("exchange", reading.tokens):
            return None
        pairs = []
        for key in self.graph.rows_of_kind.get("platform_point", []):
            riels = self.graph.amount("platform_point", key, ("riels",))
            usd = self.graph.amount("platform_point", key, ("usd",))
            if riels and usd and riels.attribute == "riels" and usd.attribute == "usd":
                pairs.append((riels, usd))
        return ops.exchange(pairs) if pairs else None

    def _per_year(self, reading: Reading) -> ops.Computed | None:
        if not self._has("per_year", reading.tokens) or self._has("payer_cost", reading.tokens):
            return None
        for amount in self._amounts(reading, ("platform_point", "figure")):
            if amount.per == "month" or amount.unit.endswith("a month"):
                return ops.per_year(amount)
        return None

    def _per_tonne(self, reading: Reading) -> ops.Computed | None:
        if not self._has("per_tonne", reading.tokens):
            return None
        for entity in reading.entities:
            if entity.kind != "platform_point":
                continue
            # The row's amount in each currency it states, riels first.
            amounts = [a for a in (self.graph.amount("platform_point", entity.key, (currency,))
                                   for currency in ("riels", "usd")) if a is not None and a.per == "kilo"]
            if amounts:
                return ops.per_tonne(amounts)
        return None

    def _shift(self, reading: Reading) -> ops.Computed | None:
        forward = self._has("until", reading.tokens)
        if not forward and not self._has("since", reading.tokens):
            return None
        tokens = reading.tokens
        years: tuple[float, CitationRef | None] | None = None
        event_tag = ""
        for entity in reading.entities:
            if entity.kind == "figure":
                figure = self.graph.amount("figure", entity.key)
                if figure is not None and figure.unit == "years":
                    years = (figure.value, figure.citation)
                    event_tag = self._figure_event(entity.key)
        if years is None:
            counted = [(v, i) for v, i in reading.numbers
                       if i + 1 < len(tokens) and tokens[i + 1] == "year" and v < 200]
            if counted:
                years = (counted[0][0], None)
        if years is None:
            return None
        base = next((d for d in self.dates(reading) if d.date), None)
        if base is None and event_tag:
            dated = self.graph.dated.get(("event", event_tag))
            if dated is not None:
                base = Operand(dated.name, dated.date, dated.citation, 0)
        if base is None:
            stated = [e for e in reading.entities if e.kind == "year"]
            if not stated:
                return None
            base = Operand(f"the year {stated[0].key}", PartialDate(int(stated[0].key)), None, stated[0].start)
        return ops.shift(base.name, base.date, base.ref, years[0], years[1], forward)

    def _figure_event(self, tag: str) -> str:
        if self.figures is None:
            return ""
        rows = self.figures.where(tag=tag)
        return str(rows[0]["event"]) if rows else ""

    def _same_day(self, reading: Reading) -> ops.Computed | None:
        if not self._has("same_day", reading.tokens):
            return None
        dates = self.dates(reading) or list(reading.context_dates)
        if len(dates) != 1:
            return None
        return ops.on_the_day(self.graph, dates[0].date, "On")

    def _between(self, reading: Reading) -> ops.Computed | None:
        if not self._has("between", reading.tokens):
            return None
        dates = self.dates(reading)
        if len(dates) == 1 and reading.context_dates:
            dates = [*reading.context_dates[:1], *dates]
        elif not dates and len(reading.context_dates) >= 2 and set(reading.tokens) & _SEVERAL_THINGS:
            # "how many days apart are those?" after two dated answers: the latest two, oldest first.
            dates = [reading.context_dates[1], reading.context_dates[0]]
        elif not dates and "term" in reading.tokens:
            # "how long was the gap between the two terms?" after the second leader's answer:
            # from the end of the earlier term to the start of the later one.
            terms = sorted((t for t in (self.graph.term_of(e.key) for e in (*reading.entities, *reading.context)
                                        if e.kind in _PEOPLE_KINDS) if t is not None),
                           key=lambda t: t.start.sort_key)
            terms = list({t.person: t for t in terms}.values())
            if len(terms) == 1:
                # One leader named: the two terms are theirs and the one after it (or before).
                every = sorted(self.graph.terms, key=lambda t: t.start.sort_key)
                at = next(i for i, t in enumerate(every) if t.person == terms[0].person)
                neighbour = every[at + 1] if at + 1 < len(every) else every[at - 1] if at else None
                if neighbour is not None:
                    terms = sorted([terms[0], neighbour], key=lambda t: t.start.sort_key)
            if len(terms) == 2:
                earlier, later = terms
                dates = [Operand(f"the end of {earlier.person}'s term", earlier.end, earlier.citation, 0),
                         Operand(f"the start of {later.person}'s term", later.start, later.citation, 1)]
        if len(dates) != 2 or dates[0].date == dates[1].date:
            return None
        first, second = dates
        return ops.between((first.name, first.date, first.ref), (second.name, second.date, second.ref))

    def _order(self, reading: Reading) -> ops.Computed | None:
        """Which of the two dated things the question names came first. Offered both sides, the
        verdict is the side (for the first thing named); asked which, the earlier thing; asked
        one side, only a yes/no question is read so ("who led after the election and before the
        ban?" asks for someone)."""
        tokens = reading.tokens
        if not tokens or "how" in tokens:
            return None  # "how long after …": a span, not an order
        sides = self._either(tokens, "order_either")
        which = self._has("order_which", tokens)
        before, after = self._has("before", tokens), self._has("after", tokens)
        one_side = (before != after and tokens[0] in self.kb.language.yes_no_openers
                    and not set(tokens) & self.kb.language.question_words)
        if sides is None and not which and not one_side:
            return None
        dates = self.dates(reading)
        if len(dates) != 2:
            return None
        named_first, named_second = dates
        earlier = ops.precedes(named_first.date, named_second.date)
        if earlier is None:
            return None  # the same day, or dates too coarse to tell
        if sides is not None:
            verdict: str | None = (sides[0] if earlier else sides[1]).capitalize()
        elif which:
            verdict = None
        else:
            verdict = "Yes" if earlier == before else "No"
        first, second = (named_first, named_second) if earlier else (named_second, named_first)
        return ops.order((first.name, first.date, first.ref), (second.name, second.date, second.ref), verdict)

    def _leader_at(self, reading: Reading) -> ops.Computed | None:
        if not self._has("leader_at", reading.tokens) or any(t in _OTHER_OFFICES for t in reading.tokens):
            return None
        if any(e.kind == "election" and e.start < reading.own_end for e in reading.entities):
            return None  # an election the question names: its own row names its leader
        # Any year the question names, even one the sources never mention ("2014 to 2016").
        years = sorted(int(v) for v, _ in reading.numbers if 1900 < v < 2100 and v == int(v))
        dated = self.dates(reading)
        if dated and all(d.at >= reading.own_end for d in dated):
            # A moment only the last answer named needs "then" or "at the time" to be the one
            # asked about: "who headed it?" after the court's ruling asks about the court. And
            # "then" is one moment, the latest turn's (they come latest first).
            if not _THEN & set(reading.tokens):
                return None
            dated = dated[:1]
        if years and not any(e.kind in ("event", "election") for e in reading.entities):
            start, end = PartialDate(years[0]), PartialDate(years[-1])
            period = f"{years[0]} to {years[-1]}" if years[0] != years[-1] else str(years[0])
        elif len(dated) == 1:
            start = end = dated[0].date
            period = f"At {dated[0].name} ({dated[0].date})"
        else:
            return None
        computed = ops.leader_at(self.graph, start, end, period[0].upper() + period[1:])
        if computed is not None and dated:
            refs = tuple(d.ref for d in dated if d.ref)
            computed = ops.Computed(computed.op, computed.fields, (*computed.refs, *refs), computed.value)
        return computed

    def _groups(self, reading: Reading) -> ops.Computed | None:
        kind = self.graph.group_kind
        if kind is None:
            return None
        named = list(dict.fromkeys(e.key for e in sorted(reading.entities, key=lambda e: e.start)
                                   if e.kind == kind))
        tokens = reading.tokens
        if not named and "committee" in tokens and len(self.graph.groups) == 2 and self._has("both", tokens):
            named = list(self.graph.groups)  # "both committees": the two there are
        if len(named) == 2 and self._has("both", tokens):
            return ops.members_in_both(self.graph, named[0], named[1])
        if len(named) == 2 and (self._has("size", tokens) or self._has("difference", tokens)):
            return ops.sizes(self.graph, named)
        if len(named) == 1 and self._has("untitled", tokens):
            return ops.untitled(self.graph, named[0])
        return None

    def _neighbour(self, reading: Reading) -> ops.Computed | None:
        """Who is listed right after (or before) one named member of a committee ("whose name
        comes right after Yim Sovann on the Executive Committee list?")."""
        kind = self.graph.group_kind
        tokens = reading.tokens
        groups = {e.key for e in reading.entities if e.kind == kind}
        if kind is None or len(groups) > 1 or not (groups or self._has("on_the_list", tokens)):
            return None
        after, before = self._has("listed_after", tokens), self._has("listed_before", tokens)
        if after == before:
            return None
        people = list(dict.fromkeys(e.key for e in reading.entities if e.kind in _PEOPLE_KINDS))
        if len(people) != 1:
            return None
        seats = [m for m in self.graph.groups_of(people[0]) if not groups or m.group in groups]
        if len(seats) != 1:
            return None  # on no list, or on both with neither named: which list is unclear
        return ops.neighbour(self.graph, seats[0], after)

    def _short_of(self, reading: Reading) -> ops.Computed | None:
        if not self._has("short_of", reading.tokens):
            return None
        amounts = [a for a in self._amounts(reading, ("constituency", "election")) if a.unit == "percent"]
        if len(amounts) != 1:
            return None
        line, text, _ = self._line(reading, amounts[0])
        if line is None:
            return None
        return ops.short_of(amounts[0], line, text)

    def _rank(self, reading: Reading) -> ops.Computed | None:
        if not self._has("rank", reading.tokens):
            return None
        amounts = self._amounts(reading, ("constituency", "election", "platform_point"))
        if len(amounts) != 1 or len(self.graph.rows_of_kind.get(amounts[0].kind, ())) < _FEWEST_TO_RANK:
            # "Where did the CNRP rank in the 2017 elections?" asks its place among the parties,
            # which the sources do not give; first of its own two elections answers nothing.
            return None
        return ops.rank(self.graph, amounts[0])

    def _check(self, reading: Reading) -> ops.Computed | None:
        """"Is that more than half?", "was it above its national share?": one amount against a
        line, yes or no."""
        tokens = reading.tokens
        either = self._either(tokens)
        above, below = self._has("above", tokens), self._has("below", tokens)
        if either is None and above == below:
            return None
        amounts = self._amounts(reading, ("constituency", "election", "figure"))
        places = [a for a in amounts if a.kind == "constituency"]
        if len(places) == 1:
            # "did more than 50% in Prey Veng go for the CNRP in 2013": the year says which
            # election the province's result is of; it is no second amount to check.
            amounts = places
        if len(amounts) != 1:
            return None
        if (amounts[0].kind == "election" and set(tokens) & _PLACE_WORDS
                and not any(e.kind == "constituency" for e in reading.entities)):
            return None  # "majority constituencies 2013" asks which of them, not about the election
        amount = amounts[0]
        if amount.kind == "figure":
            # A count or a length the sources state ("was the ban longer than three years?",
            # "did more than 40 countries sign?") meets only a number the question states.
            # Not a number inside the figure's own name ("the twelve-year war").
            stated = [v for v, at in reading.numbers if not 1900 < v < 2100
                      and not any(e.start <= at < e.end for e in reading.entities)]
            if not stated:
                return None
            return ops.against(amount, stated[0], show(stated[0], amount.unit), above, either)
        line, text, of_the_vote = self._line(reading, amounts[0])
        if line is None:
            return None
        if of_the_vote and amount.unit != "percent":
            # Half of the vote, or the national share, is a share: the row's share meets it.
            share = self.graph.amount(amount.kind, amount.key, ("share",))
            if share is None or share.unit != "percent":
                return None
            amount = share
        return ops.against(amount, line, text, above, either)

    def _either(self, tokens: Sequence[str], op: str = "either") -> tuple[str, str] | None:
        """The two sides a question offers ("better or worse", or with `order_either` "before
        or after"), in the order the phrase lists them (upper, or earlier, first), whichever
        order the question uses."""
        joined = f" {' '.join(tokens)} "
        for phrase in self.words.get(op, ()):
            first, second = phrase[0], phrase[-1]
            if f" {first} or {second} " in joined or f" {second} or {first} " in joined:
                return first, second
        return None

    def _line(self, reading: Reading, like: Amount | None = None) -> tuple[float | None, str, bool]:
        """The line a question measures against: a stated number, half, or the national share;
        its wording; and whether it is a share of the vote whatever the row was measured in."""
        tokens = reading.tokens
        if "half" in tokens or "majority" in tokens:
            return 50.0, "half of the vote (50%)", True
        if self._has("national", tokens):
            table = self.kb.tables.get("constituencies")
            stated = table.meta.get("stated_totals", {}) if table else {}
            if "share" in stated:
                return float(stated["share"]), f"its national share of {stated['share']}%", True
        numbers = [v for v, i in reading.numbers if not (1900 < v < 2100)]
        if numbers:
            value = numbers[0]
            unit = like.unit if like else ("percent" if value <= 100 else "votes")
            return value, show(value, unit), False
        return None, "", False

    def _arithmetic(self, reading: Reading) -> ops.Computed | None:
        tokens = reading.tokens
        if not any(self._has(op, tokens) for op in ("ratio", "total", "difference", "compare")):
            return None  # no operation asked: the rows' amounts are not looked up
        amounts = self._amounts(reading)
        if len(amounts) == 1 and reading.context:
            # "and how does that compare with Kampot?": the last answer's row is the other side.
            previous = self._amounts(Reading(tokens, reading.context))
            amounts = [*[a for a in previous if a.kind == amounts[0].kind and a.key != amounts[0].key][:1],
                       *amounts]
        if len(amounts) < 2 or len({(a.unit, a.per) for a in amounts}) != 1:
            return None  # a pension a month and a price a kilo do not add up or compare
        # Two constituencies the question names, compared: the intents' own comparison says it
        # with both figures. One of them from the last answer is this computation's to do.
        # A gap asked for ("what's the gap between …") is computed here, in the measure asked.
        compares = not (self._has("ratio", tokens) or self._has("total", tokens) or self._has("difference", tokens))
        named = [e for e in reading.entities if e.kind == "constituency" and e.start < len(tokens)]
        if compares and all(a.kind == "constituency" for a in amounts) and len(amounts) == 2 and len(named) == 2:
            return None
        if self._has("ratio", tokens):
            if min(amounts[0].value, amounts[1].value) <= 0:
                return None  # no ratio to a zero or a negative amount
            return ops.ratio(amounts[0], amounts[1])
        # "the gap between them": a gap asked for is a difference, though "between them" adds up.
        if self._has("total", tokens) and not self._has("difference", tokens):
            if len({a.kind for a in amounts}) > 1:
                # A province's votes and the election's are a part and its whole: their sum counts
                # the province twice. A ratio or a difference of the two still means something.
                return None
            return ops.total(amounts)
        if self._has("difference", tokens):
            paired: list[tuple[Amount, Amount]] = []
            if amounts[0].kind == "platform_point" and amounts[0].attribute == "riels":
                first, second = (self.graph.amount(a.kind, a.key, ("usd",)) for a in amounts[:2])
                if first is not None and second is not None and first.attribute == second.attribute == "usd":
                    paired.append((first, second))
            return ops.difference(amounts[0], amounts[1], paired)
        if self._has("compare", tokens):
            lower = any(t in ("lower", "worse", "weaker", "smaller", "fewer", "less", "weakest", "worst")
                        for t in tokens)
            return ops.compare(amounts, lower)
        return None

    def _in_source(self, reading: Reading) -> ops.Computed | None:
        """"Does the press release mention Kem Sokha?", "what does the article say about CALD?":
        what the tables hold about one person or organisation, from the one source named."""
        end = min(reading.own_end, len(reading.tokens))
        named = [e for e in reading.entities if e.kind in ("person", "organisation") and e.start < end]
        tokens = set(reading.tokens)
        # "what role did she have in the release" asks it of a person; "what office number is
        # listed for the CNRM's press contact" is no such question.
        asks = self._has("mentions", reading.tokens) or bool(
            tokens & _ROLE_WORDS and all(e.kind == "person" for e in named))
        if len({(e.kind, e.key) for e in named}) != 1 or not asks or tokens & _OTHER_ASKS:
            return None  # "where was the summit the release mentions held?" asks something else
        sources = [s for s in self.kb.sources.values() if self._naming[s.id] & set(reading.tokens[:end])]
        if not sources:
            return None  # no source named: the subject's facts are not gathered for nothing
        subject = named[0]
        facts = self._facts_of(subject)
        if len(sources) > 1:
            # "What title did Mu Sochua hold in the article and in the press release?": each
            # source's, side by side.
            parts = [f"the {source.kind}: {'; '.join(text for text, ref in facts if ref.source == source.id)}"
                     for source in sources if any(ref.source == source.id for _, ref in facts)]
            if len(parts) < len(sources):
                return None  # one of them holds nothing on them: asked one at a time, each says so
            verdict = f"What the sources hold on {subject.key}, by source. In {'. In '.join(parts)}."
            return ops.Computed("in_source", {"verdict": verdict}, tuple(dict.fromkeys(ref for _, ref in facts)))
        source = sources[0]
        here = [(text, ref) for text, ref in facts if ref.source == source.id]
        # The tables hold roles, not every mention: the answers taken from the source say more.
        here += [fact for fact in self._said_in(subject, source.id) if fact not in here][: 2 if not here else 0]
        if here:
            said = [text for text, _ in here if text]
            verdict = (f"The {source.kind} names {subject.key}: {'; '.join(said)}." if said else
                       f"The {source.kind} names {subject.key} {cite(here[0][1])}.")
            return ops.Computed("in_source", {"verdict": verdict}, tuple(dict.fromkeys(ref for _, ref in here)))
        if not facts:
            return None  # the sources hold nothing on them: the intents say so
        other = join_kinds(self.kb.sources[ref.source].kind for _, ref in facts)
        verdict = (f"Nothing the bot holds from the {source.kind} names {subject.key}. The {other} "
                   f"does: {'; '.join(text for text, _ in facts)}.")
        return ops.Computed("in_source", {"verdict": verdict}, tuple(dict.fromkeys(ref for _, ref in facts)))

    def _said_in(self, subject: Entity, source_id: str) -> list[tuple[str, CitationRef]]:
        """Sentences of the answers taken from the source that name the subject; a bare
        "named" (text "") where the only such sentences lean on their answer ("She urged …")."""
        table = self.kb.table("people" if subject.kind == "person" else "organisations")
        rows = table.where(name=subject.key)
        names = {fold(subject.key), *(fold(str(a)) for row in rows for a in row["aliases"])} - {""}
        spaced = [f" {name} " for name in names]
        found: list[tuple[str, CitationRef]] = []
        leaning: list[tuple[str, CitationRef]] = []
        for ref, sentences in self._answers_from(source_id):
            for sentence in sentences:
                if not any(name in sentence.folded for name in spaced):
                    continue
                if sentence.leans:
                    leaning.append(("", ref))  # named, but the sentence needs its answer
                else:
                    found.append((f"{sentence.text.strip().rstrip('.')} {cite(ref)}", ref))
                    break
        return found or leaning[:1]

    def _answers_from(self, source_id: str) -> tuple[tuple[CitationRef, tuple[_Sentence, ...]], ...]:
        """The answers taken from the source alone (a sentence of an answer citing both could
        come from either; a gap's answer names what the source lacks): each one's first citation
        and its sentences. They depend on the knowledge alone, so each source's are read and
        folded once, not for every question that asks what it says."""
        answers = self._sentences.get(source_id)
        if answers is None:
            answers = tuple((intent.citations[0], tuple(map(_Sentence.of, _SENTENCE_END().split(intent.answer))))
                            for intent in self.kb.intents.values()
                            if intent.kind is ReplyKind.ANSWER and intent.citations
                            and all(c.source == source_id for c in intent.citations))
            self._sentences[source_id] = answers  # one assignment: safe with several worker threads
        return answers

    def _source_words(self, source_id: str) -> set[str]:
        """The words that name a source: its kind's ("press release", "encyclopedia article")
        and a one-word publisher's ("Wikipedia")."""
        source = self.kb.sources[source_id]
        words = {stem(t) for t in tokenize(source.kind)}
        publisher = tokenize(source.publisher)
        if len(publisher) == 1:
            words.add(stem(publisher[0]))
        return words - self.kb.language.stopwords

    def _facts_of(self, subject: Entity) -> list[tuple[str, CitationRef]]:
        """What the tables say of a person or organisation, each with its citation."""
        facts: list[tuple[str, CitationRef]] = []
        if subject.kind == "person":
            for title, where, ref in titled(person_offices(self.kb, subject.key)):
                if ref is not None:
                    facts.append((f"{office_text(title, where)} {cite(ref)}", ref))
            rows = self.kb.table("roles").where(name=subject.key)
            facts += [(f"{row['role']} {cite(row.citation)}", row.citation) for row in rows if row.citation]
        else:
            rows = self.kb.table("organisation_roles").where(organisation=subject.key)
            facts += [(f"{row['role']} {cite(row.citation)}", row.citation) for row in rows if row.citation]
        return list(dict.fromkeys(facts))

    def _count_listed(self, reading: Reading) -> ops.Computed | None:
        """"How many is that?" after a list: the people or organisations the last answer named,
        counted. A question naming rows of its own, or a measure to compare, asks for more."""
        if (len(reading.listed) < 2 or reading.entities or not self._has("count_listed", reading.tokens)
                or not self._has("count_back", reading.tokens) or self._has("difference", reading.tokens)
                or self._has("between", reading.tokens)):  # "how many days apart are those?"
            return None
        noun = "people" if reading.listed_kind == "person" else "organisations"
        return ops.Computed("count_listed", {"count": str(len(reading.listed)), "noun": noun,
                                             "names": ", ".join(reading.listed)},
                            tuple(reading.listed_refs), float(len(reading.listed)))

    def _of_them(self, reading: Reading) -> ops.Computed | None:
        """"Which of them was vice president?": the people the last answer listed who hold the
        office, or sit on the committee, the question names."""
        if (len(reading.listed) < 2 or reading.listed_kind != "person"
                or not self._has("of_them", reading.tokens)):
            return None
        titles = {e.key for e in reading.entities if e.kind == "title"}
        committees = {e.key for e in reading.entities if e.kind == "committee"}
        if not titles and not committees:
            return None
        kept: list[str] = []
        for person in reading.listed:
            held = [f"{title} of {where} {cite(ref)}".replace("Member of", "a member of")
                    for title, where, ref in person_offices(self.kb, person)
                    if (not titles or title in titles) and (not committees or any(c in where for c in committees))]
            if held:
                kept.append(f"{person} ({'; '.join(dict.fromkeys(held))})")
        if not kept:
            return None  # none of them: said by the intents, which name what the sources list
        return ops.Computed("of_them", {"count": str(len(kept)), "total": str(len(reading.listed)),
                                        "names": "; ".join(kept)}, (), float(len(kept)))

    def _same_office(self, reading: Reading) -> ops.Computed | None:
        """"Anyone else with that role?" after a person's roles: the others the infobox lists
        with that person's office (the first it gives them), or with the office the question names."""
        if not self._has("same_office", reading.tokens):
            return None
        people = [e.key for e in (*reading.entities, *reading.context) if e.kind == "person"]
        if not people:
            return None
        person = people[0]
        officers = self.kb.table("officers")
        titles = [e.key for e in reading.entities if e.kind == "title"]
        held = [str(r["title"]) for r in officers.where(name=person)]
        office = next((t for t in titles if t in held), None) or (held[0] if held and not titles else None)
        if office is None:
            return None
        rows = [r for r in officers.where(title=office) if r["name"] != person]
        refs = tuple(dict.fromkeys(r.citation for r in (*officers.where(name=person), *rows) if r.citation))
        others = join_names(str(r["name"]) for r in rows) or "no one else"
        return ops.Computed("same_office", {"person": person, "office": office,
                                            "names": f"{others} {''.join(cite(ref) for ref in refs)}".rstrip()},
                            refs, float(len(rows)))

    def _roles(self, reading: Reading) -> ops.Computed | None:
        people = list(dict.fromkeys(e.key for e in sorted(reading.entities, key=lambda e: e.start)
                                    if e.kind == "person"))
        if not people or not self._has("roles", reading.tokens):
            return None
        end = min(reading.own_end, len(reading.tokens))
        own = [e.key for e in reading.entities if e.kind == "person" and e.start < end]
        if own and not set(reading.tokens) & _SEVERAL_THINGS:
            people = list(dict.fromkeys(own))  # "what position did Kem Sokha hold": him, not the last one too
        committees = {e.key for e in reading.entities if e.kind == "committee" and e.start < end}
        if (len(people) == 1 and committees and set(reading.tokens) & _SEAT_WORDS
                and not set(reading.tokens) & _WHO_WORDS):  # "whose name comes after X" is about another
            # "What was Yim Sovann's role on the Executive Committee?": that seat alone.
            seats = [(f"{m.position} of" if m.position else "member of", m) for m in self.graph.groups_of(people[0])
                     if m.group in committees]
            if not seats:
                return None  # not on it: person.check says so, with what the person was
            text = "; ".join(f"{title} the {m.group} Committee {cite(m.citation)}".rstrip() for title, m in seats)
            return ops.Computed("roles", {"people": f"{people[0]}: {text}."},
                                tuple(dict.fromkeys(m.citation for _, m in seats if m.citation)))
        if len(people) < 2:
            return None
        lines = []
        refs: list[CitationRef] = []
        for person in people:
            held = self._held(person)
            if not held:
                return None  # someone the tables list in no role: the intents say what is known
            lines.append(f"{person}: {'; '.join(text for text, _ in held)}")
            refs += [ref for _, ref in held if ref]
        return ops.Computed("roles", {"people": ". ".join(lines) + "."}, tuple(dict.fromkeys(refs)))

    def _held(self, person: str) -> list[tuple[str, CitationRef | None]]:
        held: list[tuple[str, CitationRef | None]] = []
        for member in self.graph.groups_of(person):
            title = f"{member.position} of" if member.position else "member of"
            held.append((f"{title} the {member.group} Committee {cite(member.citation)}".rstrip(),
                         member.citation))
        term = self.graph.term_of(person)
        if term is not None:
            held.append((f"party leader from {term.start} to {term.end} {cite(term.citation)}".rstrip(),
                         term.citation))
        return held


# The rules in the order they are tried, each with what it needs before it computes anything:
# a word of one of these operations, or one of these words ("or" between the two sides of
# "better or worse"; a role word asks what a source says of someone). A question with none of
# them gets None from the rule, so the rule is skipped unread.
_Rule = Callable[[ProgramReader, Reading], ops.Computed | None]
_NO_WORDS: frozenset[str] = frozenset()
_SIDES = frozenset({"or"})
_RULES: tuple[tuple[_Rule, frozenset[str], frozenset[str]], ...] = (
    (ProgramReader._in_source, frozenset({"mentions"}), _ROLE_WORDS),
    (ProgramReader._count_listed, frozenset({"count_listed"}), _NO_WORDS),
    (ProgramReader._of_them, frozenset({"of_them"}), _NO_WORDS),
    (ProgramReader._exchange, frozenset({"exchange"}), _NO_WORDS),
    (ProgramReader._per_year, frozenset({"per_year"}), _NO_WORDS),
    (ProgramReader._per_tonne, frozenset({"per_tonne"}), _NO_WORDS),
    (ProgramReader._shift, frozenset({"until", "since"}), _NO_WORDS),
    (ProgramReader._same_day, frozenset({"same_day"}), _NO_WORDS),
    (ProgramReader._neighbour, frozenset({"listed_after", "listed_before"}), _NO_WORDS),
    (ProgramReader._order, frozenset({"order_which", "before", "after"}), _SIDES),
    (ProgramReader._between, frozenset({"between"}), _NO_WORDS),
    (ProgramReader._leader_at, frozenset({"leader_at"}), _NO_WORDS),
    (ProgramReader._groups, frozenset({"both", "size", "difference", "untitled"}), _NO_WORDS),
    (ProgramReader._short_of, frozenset({"short_of"}), _NO_WORDS),
    (ProgramReader._rank, frozenset({"rank"}), _NO_WORDS),
    (ProgramReader._check, frozenset({"above", "below"}), _SIDES),
    (ProgramReader._arithmetic, frozenset({"ratio", "total", "difference", "compare"}), _NO_WORDS),
    (ProgramReader._same_office, frozenset({"same_office"}), _NO_WORDS),
    (ProgramReader._roles, frozenset({"roles"}), _NO_WORDS),
)
# What at least one rule needs.
_ANY_OPERATION: frozenset[str] = frozenset().union(*(operations for _, operations, _ in _RULES))
_ANY_WORD: frozenset[str] = frozenset().union(*(words for _, _, words in _RULES))
# The rules (their places in `_RULES`) that each operation, and each word, lets through: a
# question's rules are gathered from its few operations and words, not each rule tested.
_RULES_OF_OPERATION: dict[str, tuple[int, ...]] = {
    op: tuple(place for place, (_, operations, _) in enumerate(_RULES) if op in operations) for op in _ANY_OPERATION}
_RULES_OF_WORD: dict[str, tuple[int, ...]] = {
    word: tuple(place for place, (_, _, words) in enumerate(_RULES) if word in words) for word in _ANY_WORD}
