"""Where the program finds what it ships with, and where it keeps what it writes.

The knowledge base stays at the top of the checkout (`knowledge/`), where curators edit it; a
wheel carries a copy of it inside the package as `bot/_knowledge` (pyproject.toml maps the
folder there at build time). An installed copy reads its own, so it never depends on the
folder it was installed from; a checkout or an editable install has no `bot/_knowledge` and
reads the top-level folder, so a curator's edit is served without reinstalling.

What the program writes (the misses store, the console's history) goes to a per-user state
folder, or wherever the settings say: never into the package, nor beside the checkout.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "cnrp-bot"
PACKAGED_KNOWLEDGE = "_knowledge"
# The knowledge file types a wheel carries (pyproject.toml's package-data says the same; a test
# keeps them equal and checks that every file in knowledge/ has one of them).
KNOWLEDGE_SUFFIXES = (".yaml", ".csv", ".npz", ".md")
VERSION_CHARS = 12


def program_version() -> str:
    """The installed distribution's version (pyproject.toml's), or a note that it is not installed."""
    # Imported here: importlib.metadata brings in email and zipfile, some 40 ms that a start
    # which only answers questions never needs.
    from importlib import metadata

    try:
        return metadata.version(APP_NAME)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def packaged_knowledge() -> Path:
    """The knowledge base this copy of the program ships with."""
    # The `bot` package's folder, as `importlib.resources.files("bot")` gives it for a package
    # on disk (that module brings in zipfile and tempfile, some 3% of a start). An installed
    # wheel is a folder in site-packages; a zipped install (never made by pip) has no such
    # folder, and falls through to the checkout's.
    packaged = Path(__file__).parent.parent / PACKAGED_KNOWLEDGE
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "knowledge"


def default_state_dir(environ: Mapping[str, str]) -> Path:
    """The per-user folder for what the program writes, as each platform expects it:
    $XDG_STATE_HOME/cnrp-bot (~/.local/state/cnrp-bot) on Linux and other Unixes,
    ~/Library/Application Support/cnrp-bot on macOS, %LOCALAPPDATA%\\cnrp-bot on Windows."""
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    if sys.platform == "win32":
        local = environ.get("LOCALAPPDATA")
        return (Path(local) if local else home / "AppData" / "Local") / APP_NAME
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP_NAME
    xdg = environ.get("XDG_STATE_HOME", "")
    # The XDG spec ignores a relative path: it would depend on the working directory.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "state"
    return base / APP_NAME


def knowledge_version(root: Path) -> str:
    """A short digest of every file under `root`: the same knowledge gives the same version on
    every machine and in every shard, and any edit gives another (health checks report it)."""
    # Imported here: hashlib loads OpenSSL, some 3.6 MiB of a process that only answers questions.
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:VERSION_CHARS]
