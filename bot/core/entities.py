"""Table rows recognised in a question: exact names and aliases first, then misspelt names,
then topic rows whose alias words all appear in any order."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence, Set

from rapidfuzz import fuzz, process

from bot.core.config import MatchConfig
from bot.core.knowledge import KnowledgeBase, Table
from bot.core.models import Entity
from bot.core.normalize import stem, tokenize

# Names are replaced by slot tokens everywhere, so "when was X arrested" generalises over X
# and the entity evidence (not the words) decides whether X fits. Topic entities (a policy area,
# a platform point) stay as words: they are also ordinary vocabulary.
NAME_KINDS = frozenset({"constituency", "person", "organisation"})
_SHARED_NAME_WORD = 3  # a word in the names of this many rows is part of no one name
# After "<name> party", these words make the name a person with a role in the party.
_ROLE_WORDS = frozenset({"leader", "president", "chief", "boss", "head", "chairman", "member", "deputy",
                         "founder", "secretary", "vice"})
# Questions are user input: the spans whose misspelt name was looked up are remembered up to
# this many (least recently used go), and so are the windows of words around a word a name may
# start from (a question has one or two), and the name lists by a span's length.
_SPAN_CACHE = 16_384
_LENGTH_CACHE = 1_024
# A span not looked up yet, told by identity (None is a span that names no one).
_UNSEEN: tuple[str, float] = ("", -1.0)


class EntityIndex:
    """Recognises table rows in token sequences: exact aliases first, then fuzzy names."""

    def __init__(self, kb: KnowledgeBase, config: MatchConfig) -> None:
        self._config = config
        stopwords = kb.language.stopwords
        self.exact: dict[tuple[str, ...], tuple[str, str]] = {}
        self.by_kind: dict[str, list[str]] = defaultdict(list)
        self._fuzzy_names: dict[int, list[str]] = defaultdict(list)
        self._fuzzy_target: dict[str, tuple[str, str]] = {}
        for table in kb.entity_tables():
            assert table.entity and table.key
            seen: set[str] = set()
            for row in table.rows:
                key = str(row.values[table.key])
                names = [key, *(row.values[table.aliases] if table.aliases else ())]
                if key not in seen:
                    self.by_kind[table.entity].append(key)
                    seen.add(key)
                for name in names:
                    tokens = tuple(stem(t) for t in tokenize(name))
                    if not tokens:
                        continue
                    self.exact.setdefault(tokens, (table.entity, key))
                    joined = " ".join(tokens)
                    if table.entity in NAME_KINDS and len(joined) >= 5:
                        self._fuzzy_names[len(tokens)].append(joined)
                        self._fuzzy_target.setdefault(joined, (table.entity, key))
        # A span is compared with the names of its number of words, through these caches.
        # Keyed on the span's words, not their text: a question tries several spans, most seen
        # before, and a slice is cheaper to make than the joined text and a (text, size) key.
        self._misspelt: dict[tuple[str, ...], tuple[str, float] | None] = {}
        self._near_names: dict[tuple[int, int], list[str]] = {}
        self._names_around: dict[tuple[tuple[str, ...], int], bool] = {}
        sizes_by_first: dict[str, set[int]] = defaultdict(set)
        for alias in self.exact:
            sizes_by_first[alias[0]].add(len(alias))
        # Tuples, which a question reads faster than sets.
        self._sizes_by_first = {first: tuple(sorted(sizes)) for first, sizes in sizes_by_first.items()}
        rows_using: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for alias_tokens, target in self.exact.items():
            if target[0] in NAME_KINDS:
                for t in alias_tokens:
                    rows_using[t].add(target)
        # Words of many names ("province", "party") tell no name apart: "in the province" is no
        # misspelt "Takeo province".
        self._name_tokens = {t for t, rows in rows_using.items()
                             if len(t) >= 4 and t not in stopwords and len(rows) < _SHARED_NAME_WORD}
        # Topic aliases by their content words, for questions that word them differently
        # ("minimum wage workers" for "minimum wage for workers").
        # Each (content words, kind, row) once, in the order a question tries them (by kind, row
        # and words), so a question's candidates are put in that order by sorting their numbers.
        topic_aliases = {(frozenset(t for t in alias if t not in stopwords), kind, row_key)
                         for alias, (kind, row_key) in self.exact.items() if kind not in NAME_KINDS}
        self._topic_alias_list = sorted((a for a in topic_aliases if len(a[0]) >= 2),
                                        key=lambda a: (a[1], a[2], sorted(a[0])))
        # An alias names a row only when all its words are in the question, so it is found
        # through one of them: the one fewest intents' phrasings use, which few questions hold
        # ("wage", not "worker"), so a question gathers few aliases that then fail.
        intents_using = _intents_using(kb, stem, tokenize)
        self._topic_aliases: dict[str, list[int]] = defaultdict(list)
        for number, (words, _, _) in enumerate(self._topic_alias_list):
            self._topic_aliases[min(words, key=lambda w: (intents_using.get(w, 0), w))].append(number)
        self._kind_terms: dict[str, set[str]] = defaultdict(set)
        for tokens, (kind, _) in self.exact.items():
            self._kind_terms[kind].update(tokens)
        self.tokens = {t for key in self.exact for t in key}
        # Words most questions use ("cambodia", "people", "plan") say nothing about which row.
        generic = _common_words(kb, intents_using)
        filler = kb.language.filler | generic
        kinds_of_tables = {name: table.entity for name, table in kb.tables.items() if table.entity}
        self._searchable = {table.entity: _RowSearch(table, filler, kinds_of_tables) for table in kb.entity_tables()
                            if table.entity and table.meta.get("search")}
        for search in self._searchable.values():
            self.tokens |= search.words
        # A question none of whose words any searchable row's text uses (three in four) searches
        # no table, whatever the aliases took.
        self._searched_words = frozenset().union(*(search.words for search in self._searchable.values()))

    def alias_terms(self, kind: str) -> frozenset[str]:
        return frozenset(self._kind_terms.get(kind, ()))

    def row_by_text(self, kind: str, tokens: Sequence[str]) -> Entity | None:
        """The one row of `kind`'s table that the question's words describe, every word
        counted, even those another table's alias took: an intent that needs a platform point,
        asked "what did the plan offer young people", finds it in the youth point's text,
        though "young people" also names a policy area. None when the table is not searchable
        or no row is clearly ahead."""
        search = self._searchable.get(kind)
        if search is None:
            return None
        rows = search.best(tokens, self._config.slot_search_evidence)
        return rows[0] if rows else None

    def find(
        self, tokens: Sequence[str], raw: Sequence[str], unknown: set[int]
    ) -> list[Entity]:
        """Entities in `tokens` (corrected) — fuzzily only where `raw` had unknown words."""
        found: list[Entity] = []
        taken = [False] * len(tokens)
        # Tuples once, so that each span is a slice looked up as it is (one for both when nothing
        # was corrected, as in most questions).
        words, exact, sizes_by_first = tuple(tokens), self.exact, self._sizes_by_first
        typed = words if raw is tokens else tuple(raw)
        count = len(words)
        # Every alias that starts at each position, then the longest first, left to right.
        spans = sorted([(-size, start) for start, token in enumerate(words) if token in sizes_by_first
                        for size in sizes_by_first[token]
                        if start + size <= count and words[start:start + size] in exact])
        for minus_size, start in spans:
            end = start - minus_size
            if any(taken[start:end]):
                continue
            alias = words[start:end]
            hit = exact[alias]
            if (hit[0] == "organisation" and words[end - 1] == "party"
                    and end < len(words) and words[end] in _ROLE_WORDS):
                continue  # "was sam rainsy party leader": a person's role, not the Sam Rainsy Party
            said = typed[start:end]
            found.append(Entity(hit[0], hit[1], " ".join(said), 1.0 if said == alias else 0.9, start, end))
            taken[start:end] = [True] * (end - start)
        # Where a fuzzy name may start from: an unknown word or a word of some name, not taken,
        # some span around which names someone (most questions have none).
        name_tokens = self._name_tokens
        origins = ([i for i, token in enumerate(raw) if not taken[i] and (i in unknown or token in name_tokens)
                    and self._may_name_around(typed, i)]
                   if unknown or not name_tokens.isdisjoint(raw) else [])
        # Only spans over such a word are tried, left to right (most questions have one or none).
        for size in (3, 2, 1) if origins else ():
            if not self._fuzzy_names.get(size):
                continue
            starts = sorted({start for i in origins for start in range(max(0, i - size + 1), i + 1)
                             if start + size <= len(raw)})
            for start in starts:
                end = start + size
                # Misspelt names, and names that mix two spellings ("kompong chnang").
                if any(taken[start:end]):
                    continue
                span = typed[start:end]
                best = self._misspelt_name(span)
                if best is None:
                    continue
                kind, key = self._fuzzy_target[best[0]]
                found.append(Entity(kind, key, " ".join(span), best[1] / 100.0, start, end))
                taken[start:end] = [True] * size
        if not self._topic_aliases.keys().isdisjoint(words):  # most questions: no word leads to an alias
            found.extend(self._topic_partial(tokens, taken, found))
        if not self._searched_words.isdisjoint(words):
            found.extend(self._rows_by_text(tokens, taken, found))
        if len(found) > 1:
            found.sort(key=lambda e: e.start)
        return found

    def _rows_by_text(self, tokens: Sequence[str], taken: list[bool], found: Sequence[Entity]) -> list[Entity]:
        """The rows each searchable table finds by the words of their text that no entity of
        `found` took, beside the rows `found` names."""
        for entity in found:
            taken[entity.start : entity.end] = [True] * (entity.end - entity.start)
        # Each searchable table reads the words no alias took; one table's find does not hide
        # a word from another ("workers" is in a platform point and in a health policy).
        free = [t if not taken[i] else "" for i, t in enumerate(tokens)]
        # Only the tables some word of whose rows' text is free search (in most questions none).
        searching = [search for search in self._searchable.values() if not search.words.isdisjoint(free)]
        if not searching:
            return []  # the words of the tables' rows were all taken (a third of the questions here)
        searched: list[Entity] = []
        keys_by_kind: dict[str, set[str]] = defaultdict(set)
        for entity in found:
            keys_by_kind[entity.kind].add(entity.key)
        named_once = {kind: next(iter(keys)) for kind, keys in keys_by_kind.items() if len(keys) == 1}
        for search in searching:
            # Two rows at most ("how much more would a public servant get than a worker"),
            # besides those named outright.
            known = {e.key for e in found if e.kind == search.kind}
            evidence, wanted = self._config.row_search_evidence, 2 - len(known)
            # A row inside the one row the question names of a table it belongs to ("what did
            # they guarantee women": a policy of the women's rights area) is searched there
            # first; the whole table only when none there fits.
            within = search.within(named_once)
            rows = search.best(free, evidence, known, wanted, within) if within else []
            searched.extend(rows or search.best(free, evidence, known, wanted))
        return searched

    def _may_name_around(self, typed: tuple[str, ...], position: int) -> bool:
        """Whether a span of one to three words over `position` misspells a name, taken or not
        (around nearly every word none does), remembered per window of the words a span over
        it reaches: `find` tries only spans over such words, and a span over a word around which
        none names anyone names no one."""
        low = max(0, position - 2)
        key = (typed[low : position + 3], position - low)
        may = self._names_around.get(key)
        if may is None:
            window, at = key
            spans = [window[start : start + size] for size in (3, 2, 1) if self._fuzzy_names.get(size)
                     for start in range(max(0, at - size + 1), at + 1) if start + size <= len(window)]
            may = any(self._misspelt_name(span) is not None for span in spans)
            if len(self._names_around) >= _SPAN_CACHE:
                self._names_around.clear()
            self._names_around[key] = may
        return may

    def _likeliest_name(self, text: str, size: int) -> tuple[str, float] | None:
        """The name of `size` words that `text` most likely misspells, and its ratio; None when
        no name is within the cutoff."""
        best = process.extractOne(text, self._names_near_length(size, len(text)), scorer=fuzz.ratio,
                                  processor=None, score_cutoff=self._config.name_cutoff)
        return None if best is None else (best[0], best[1])

    def _misspelt_name(self, span: tuple[str, ...]) -> tuple[str, float] | None:
        """`_likeliest_name` of a span of words, remembered per span. Plain dicts, emptied when
        full: a cache that held a bound method of its owner would make a reference cycle, which
        keeps a replaced engine alive once the engine cache has frozen it out of collections."""
        found = self._misspelt.get(span, _UNSEEN)
        if found is _UNSEEN:
            if len(self._misspelt) >= _SPAN_CACHE:
                self._misspelt.clear()
            found = self._misspelt[span] = self._likeliest_name(" ".join(span), len(span))
        return found

    def _names_near_length(self, size: int, length: int) -> list[str]:
        key = (size, length)
        names = self._near_names.get(key)
        if names is None:
            if len(self._near_names) >= _LENGTH_CACHE:
                self._near_names.clear()
            names = self._near_names[key] = self._names_of_near_length(size, length)
        return names

    def _names_of_near_length(self, size: int, length: int) -> list[str]:
        """The names of `size` words that a text of `length` characters may reach the cutoff
        with, in their order (the first of equals wins). Each character of difference in
        length is an edit, so the ratio is at most 200 × the shorter length / the two lengths:
        most names are too long or too short to be tried at all."""
        floor = self._config.name_cutoff - 1e-6  # rounding never drops a name that could reach it
        return [name for name in self._fuzzy_names.get(size, ())
                if 200.0 * min(len(name), length) / (len(name) + length) >= floor]

    def _topic_partial(self, tokens: Sequence[str], taken: list[bool], found: Sequence[Entity]) -> list[Entity]:
        """Topic rows whose alias words all appear in the question, in any order, of kinds none
        of `found` is."""
        index = self._topic_aliases
        candidates = {number for i, token in enumerate(tokens) if not taken[i] and token in index
                      for number in index[token]}
        if not candidates:
            return []
        kinds_found = {e.kind for e in found}
        free = {t: i for i, t in enumerate(tokens) if not taken[i]}
        best: dict[str, tuple[int, Entity]] = {}
        aliases = self._topic_alias_list
        # Only aliases whose every word is free can name a row (nearly all fail).
        whole = [aliases[n] for n in sorted(candidates)
                 if aliases[n][1] not in kinds_found and aliases[n][0] <= free.keys()]
        for words, kind, key in whole:
            positions = sorted(free[w] for w in words)
            # Close together ("minimum wage for workers"): two words of an alias scattered over a
            # sentence name nothing ("safe to drink tap water"); three or more may stand further
            # apart ("what minimum wage did they want for workers").
            room = len(words) + 2 if len(words) < 3 else 2 * len(words) + 3
            if positions[-1] - positions[0] + 1 > room:
                continue
            entity = Entity(kind, key, " ".join(tokens[p] for p in positions), 0.85,
                            positions[0], positions[-1] + 1)
            if kind not in best or len(words) > best[kind][0]:
                best[kind] = (len(words), entity)
        return [entity for _, entity in best.values()]


# A word the phrasings of this share of intents use is common to the whole domain.
_COMMON_SHARE = 0.15


def _intents_using(kb: KnowledgeBase, stemmer: Callable[[str], str],
                   tokens: Callable[[str], list[str]]) -> dict[str, int]:
    """How many intents' question and phrasings use each word."""
    counts: dict[str, int] = defaultdict(int)
    for intent in kb.intents.values():
        for word in {stemmer(t) for text in (intent.question, *intent.phrasings) for t in tokens(text)}:
            counts[word] += 1
    return counts


def _common_words(kb: KnowledgeBase, intents_using: Mapping[str, int]) -> frozenset[str]:
    limit = max(3, int(len(kb.intents) * _COMMON_SHARE))
    return frozenset(w for w, n in intents_using.items() if n >= limit)


class _RowSearch:
    """Rows of a table found by the words of their text ("what did they plan about people
    coming in illegally" → the immigration policy), for the rows that say more than their
    names: a detail stated inside a row's text is reached by a question about that detail."""

    # Recognised by text alone, a row is less certain than one named by an alias.
    SCORE = 0.6
    # The lead over the next row: about the IDF of a word that half the rows use.
    LEAD = 1.0

    def __init__(self, table: Table, stopwords: frozenset[str],
                 kinds_of_tables: Mapping[str, str] | None = None) -> None:
        assert table.entity and table.key
        self.kind = table.entity
        column = str(table.meta["search"])
        self.rows: list[tuple[str, frozenset[str]]] = []
        # The rows under each row of a table this one refers to (kind, key): a policy area's
        # policies.
        under: dict[tuple[str, str], set[str]] = defaultdict(set)
        for ref_column, target in dict(table.meta.get("refs") or {}).items():
            kind = (kinds_of_tables or {}).get(str(target))
            if kind is not None:
                for row in table.rows:
                    under[(kind, str(row.values[ref_column]))].add(str(row.values[table.key]))
        self._under: dict[tuple[str, str], frozenset[str]] = {parent: frozenset(keys) for parent, keys in under.items()}
        self._parent_kinds = frozenset(kind for kind, _ in under)
        for row in table.rows:
            texts = [str(row.values[column]), str(row.values[table.key])]
            if table.aliases:
                texts.extend(row.values[table.aliases])
            words = frozenset(t for text in texts for t in (stem(w) for w in tokenize(text))
                              if len(t) >= 3 and t not in stopwords and not t[:1].isdigit())
            self.rows.append((str(row.values[table.key]), words))
        frequency: dict[str, int] = defaultdict(int)
        # Which rows use each word, in row order: a question scores only the rows its words
        # reach (a table has up to ~800 rows; every other row scores nothing).
        rows_with: dict[str, list[int]] = defaultdict(list)
        for position, (_, words) in enumerate(self.rows):
            for word in words:
                frequency[word] += 1
                rows_with[word].append(position)
        self.rows_with = dict(rows_with)
        total = max(len(self.rows), 1)
        self.idf = {w: math.log(1.0 + total / n) for w, n in frequency.items()}
        self.words = frozenset(self.idf)

    def within(self, named: Mapping[str, str]) -> frozenset[str]:
        """The rows under the one row the question names of each table this one refers to
        (none when it names no such row)."""
        keys: frozenset[str] | None = None
        for kind in self._parent_kinds & named.keys():
            rows = self._under.get((kind, named[kind]), frozenset())
            keys = rows if keys is None else keys & rows
        return keys or frozenset()

    def best(self, tokens: Sequence[str], evidence: float, known: Set[str] = frozenset(),
             wanted: int = 1, within: Set[str] | None = None) -> list[Entity]:
        """Rows whose distinctive words the question uses, each clearly ahead of the next row;
        a second row only from words the first did not use. `within`: only these rows."""
        present = {t: i for i, t in reversed(list(enumerate(tokens))) if t in self.idf}
        if len(present) == 1 and wanted > 0:
            # One word (most questions that search): each row it reaches scores its IDF, so one
            # leads only as the one such row, ahead of a runner-up of 0 by the whole IDF.
            ((word, start),) = present.items()
            idf = self.idf[word]
            if idf < evidence or idf < self.LEAD:
                return []
            keys = [key for key, _ in map(self.rows.__getitem__, self.rows_with[word])
                    if key not in known and (within is None or key in within)]
            return [Entity(self.kind, keys[0], word, self.SCORE, start, start + 1)] if len(keys) == 1 else []
        return self._best_of(present, evidence, known, wanted, within)

    def _best_of(self, present: dict[str, int], evidence: float, known: Set[str], wanted: int,
                 within: Set[str] | None) -> list[Entity]:
        """`best` of the question's words this table's rows use (each at its first position),
        taken from `present` as rows use them."""
        rows: list[Entity] = []
        while present and len(rows) < wanted:
            # Rows no word of the question reaches score 0: they can only be a runner-up of 0.
            # Each row reached by the one word it was reached by, or None when by several.
            reached: dict[int, str | None] = {}
            for word in present:
                for position in self.rows_with[word]:
                    reached[position] = None if position in reached else word
            # A row one word reaches scores that word's IDF (the sum of it alone); the others
            # sum over their own words, in their order.
            scored = sorted(((self.idf[word] if word is not None else sum(self.idf[w] for w in words if w in present),
                              key, words)
                             for position, word in sorted(reached.items())
                             for key, words in (self.rows[position],)
                             if key not in known and (within is None or key in within)),
                            key=lambda item: -item[0])
            if not scored:
                break
            top, key, words = scored[0]
            runner_up = scored[1][0] if len(scored) > 1 else 0.0
            # One distinctive word at least, and ahead of the next row by more than a common word.
            if top < evidence or top - runner_up < self.LEAD:
                break
            used = [w for w in words if w in present]
            start = min(present[w] for w in used)
            rows.append(Entity(self.kind, key, " ".join(sorted(used)), self.SCORE, start, start + 1))
            known = {*known, key}
            for word in used:
                del present[word]
        return rows
