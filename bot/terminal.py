"""The console at a terminal: line editing, history kept between sessions, and Tab completion
of /commands and of the names the knowledge base knows (constituencies, people, committees).

`complete()` is pure, so what Tab offers is tested without a terminal; `TerminalInput` wires it
into readline (GNU readline, or libedit on macOS) when the console reads a real terminal.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from pathlib import Path
from types import ModuleType, TracebackType

from bot.core.knowledge import KnowledgeBase
from bot.core.normalize import fold
from bot.core.records import record

# Tab completes names in questions from these tables' rows and aliases.
NAME_KINDS = ("constituency", "person", "committee")
MAX_NAME_WORDS = 4  # the longest name ("Banteay Mean Chey province") has four words
HISTORY_LENGTH = 1000
_WORD = re.compile(r"\S+")


@record
class Completions:
    """What Tab can offer: command names, each command's arguments, and names in questions."""

    commands: Sequence[str]  # without the slash
    # command -> (folded choice or alias, the choice to insert): what its argument takes
    arguments: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    question_commands: frozenset[str] = frozenset()  # commands followed by a question
    names: Sequence[tuple[str, str]] = ()  # (folded name or alias, the name to insert)

    @classmethod
    def build(cls, kb: KnowledgeBase, commands: Sequence[str], *,
              arguments: Mapping[str, Mapping[str, str]] | None = None,
              question_commands: Iterable[str] = ()) -> Completions:
        """`arguments` maps a command to its choices, each under its aliases (alias -> choice)."""
        names = _folded({alias: key for kind in NAME_KINDS
                         for alias, key in kb.entity_names(kind).items()})
        return cls(commands, {command: _folded(choices) for command, choices in (arguments or {}).items()},
                   frozenset(question_commands), names)


def _folded(choices: Mapping[str, str]) -> list[tuple[str, str]]:
    return sorted({(fold(alias), choice) for alias, choice in choices.items()})


def complete(line: str, options: Completions) -> list[str]:
    """Every way to finish `line` (the text before the cursor), as whole lines, sorted."""
    if not line.startswith("/"):
        return complete_names(line, options.names)
    head, space, rest = line[1:].partition(" ")
    if not space:
        return sorted(f"/{name} " for name in options.commands if name.startswith(head.lower()))
    command = head.lower()
    typed = rest.lstrip()
    prefix = line[: len(line) - len(typed)]
    if command in options.arguments:
        wanted = fold(typed)
        return sorted({prefix + choice for alias, choice in options.arguments[command]
                       if alias.startswith(wanted)})
    if command in options.question_commands:
        return [prefix + found for found in complete_names(typed, options.names)]
    return []


def complete_names(text: str, names: Sequence[tuple[str, str]]) -> list[str]:
    """Finish the name being typed at the end of `text`: "who is kem so" → "who is Kem Sokha".

    The longest run of trailing words that begins a name (or one of its aliases) is replaced
    by the name, so "kompong ch" offers Kampong Cham and Kampong Chhnang.
    """
    if not text or text[-1].isspace():
        return []
    words = list(_WORD.finditer(text))
    for first in range(max(0, len(words) - MAX_NAME_WORDS), len(words)):
        start = words[first].start()
        typed = fold(text[start:])
        if not typed:
            continue
        found = {name for alias, name in names if alias.startswith(typed)}
        if found:
            return sorted(text[:start] + name for name in found)
    return []


def _readline() -> ModuleType | None:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input(), still usable
        return None
    return readline


class TerminalInput:
    """input() with readline: arrow keys edit and recall, Tab completes, history is kept in
    `history` (in the state folder) between sessions."""

    def __init__(self, history: Path | None, completer: Callable[[str], list[str]]) -> None:
        self.history = history
        self.completer = completer
        self.readline = _readline()
        self._matches: list[str] = []

    def __enter__(self) -> TerminalInput:
        readline = self.readline
        if readline is None:
            return self
        # No word breaks: the completer sees the whole line before the cursor, so a name of
        # several words ("kampong ch") is completed as one.
        readline.set_completer_delims("")
        readline.set_completer(self._complete)
        if "libedit" in (readline.__doc__ or ""):
            readline.parse_and_bind("bind ^I rl_complete")
        else:
            readline.parse_and_bind("tab: complete")
            # One Tab lists the choices when there are several: the typed text is often
            # replaced (its case, its accents), which would otherwise take a third Tab.
            readline.parse_and_bind("set show-all-if-ambiguous on")
        readline.set_history_length(HISTORY_LENGTH)
        if self.history is not None:
            with contextlib.suppress(OSError):
                readline.read_history_file(self.history)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.readline is None or self.history is None:
            return
        # A read-only or missing home costs the history, never the session.
        with contextlib.suppress(OSError):
            self.history.parent.mkdir(parents=True, exist_ok=True)
            self.readline.write_history_file(self.history)

    def _complete(self, text: str, state: int) -> str | None:
        if state == 0:
            self._matches = self.completer(text)
        return self._matches[state] if state < len(self._matches) else None

    def read(self, prompt: str) -> str | None:
        """One line, without its end; None at end of input (Ctrl-D). Ctrl-C drops the line."""
        try:
            return input(prompt)
        except EOFError:
            return None
        except KeyboardInterrupt:
            print()
            return ""
