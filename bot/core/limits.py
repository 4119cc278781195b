"""The size guard: a knowledge folder past `KnowledgeLimits` is refused before it is loaded.

The folder is measured in two steps, each before the costly one it protects: files and bytes
before anything is parsed, then intents, phrasings and the matcher's index size before the
index is built. Unreadable folders are found on the way and reported like any other problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bot.core.config import KnowledgeLimits
from bot.core.models import Intent
from bot.core.normalize import phrase_tokens

_WHERE = "bot/core/config.py"


def _too_large(what: str, found: str, limit: int, name: str) -> str:
    return (f"the knowledge folder is too large to load: {found} {what} (the limit is {limit:,}, "
            f"KnowledgeLimits.{name} in {_WHERE}); nothing was loaded")


def check_folder(root: Path, limits: KnowledgeLimits) -> list[tuple[str, str]]:
    """(path, message) for every folder that cannot be read and every size limit the files
    pass. Only file sizes are read, and the walk stops once the file count is past its limit."""
    problems: list[tuple[str, str]] = []

    def unreadable(error: OSError) -> None:
        problems.append((str(error.filename or root), f"cannot read folder: {error.strerror or error}"))

    files = total = 0
    # Paths as strings, not Path objects: this walk runs at every start, a cached engine's too.
    for folder, _, names in os.walk(root, onerror=unreadable):
        for name in names:
            path = os.path.join(folder, name)
            try:
                size = os.stat(path).st_size
            except OSError as error:
                problems.append((path, f"cannot read file: {error.strerror or error}"))
                continue
            files += 1
            total += size
            if size > limits.max_file_bytes:
                problems.append((path, _too_large("bytes in one file", f"{size:,}",
                                                       limits.max_file_bytes, "max_file_bytes")))
            if files > limits.max_files:
                problems.append((str(root), _too_large("files", f"more than {limits.max_files:,}",
                                                       limits.max_files, "max_files")))
                return problems
    if total > limits.max_bytes:
        problems.append((str(root), _too_large("bytes", f"{total:,}", limits.max_bytes, "max_bytes")))
    return problems


def check_counts(intents: Mapping[str, Intent], limits: KnowledgeLimits) -> list[str]:
    """Messages for every count past its limit, measured on the parsed intents (cheap) before
    the matcher indexes them (costly): index cells are phrasings × their distinct words."""
    problems: list[str] = []
    if len(intents) > limits.max_intents:
        problems.append(_too_large("intents", f"{len(intents):,}", limits.max_intents, "max_intents"))
        return problems  # counting words of that many intents is the cost being refused
    phrasings = sum(len(i.phrasings) + 1 for i in intents.values())
    if phrasings > limits.max_phrasings:
        problems.append(_too_large("phrasings", f"{phrasings:,}", limits.max_phrasings, "max_phrasings"))
        return problems
    words = {t for i in intents.values() for text in (i.question, *i.phrasings, *i.keywords)
             for t in phrase_tokens(text)}
    cells = phrasings * len(words)
    if cells > limits.max_index_cells:
        problems.append(_too_large("index cells (phrasings × distinct words)", f"{cells:,}",
                                   limits.max_index_cells, "max_index_cells"))
    return problems
