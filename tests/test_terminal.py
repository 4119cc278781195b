"""The console at a terminal: what Tab offers (pure), and the real console driven through a
pseudo-terminal with arrow keys, history recall and Tab, as a person would type."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import CONSOLE_COMMANDS, console_completions
from bot.core.engine import Engine
from bot.terminal import Completions, complete

REPO = Path(__file__).resolve().parents[1]
LEFT, UP, TAB, ENTER, CTRL_D, CTRL_U = "\x1b[D", "\x1b[A", "\t", "\r", "\x04", "\x15"
PROMPT = b"cnrp> "
# Only a guard against a console that never answers: no test asserts how fast anything is.
GUARD_SECONDS = 60.0


@pytest.fixture(scope="module")
def options(engine: Engine) -> Completions:
    return console_completions(engine.kb)


@pytest.mark.parametrize(("line", "offered"), [
    ("/res", ["/results "]),
    ("/q", ["/quit "]),
    ("/results kampong c", ["/results Kampong Cham", "/results Kampong Chhnang"]),
    ("/results kompong c", ["/results Kampong Cham", "/results Kampong Chhnang"]),  # an alias
    ("/results takeo", ["/results Takéo"]),  # accents are not needed
    ("/committee st", ["/committee Standing"]),
    ("/chart v", ["/chart votes"]),
    ("who is kem so", ["who is Kem Sokha"]),
    ("cnrp share in kompong ch", ["cnrp share in Kampong Cham", "cnrp share in Kampong Chhnang"]),
    ("is son chhay on the standing comm", []),  # "committee" is no committee's name
    ("/explain who is sam r", ["/explain who is Sam Rainsy"]),
    ("who founded ", []),  # nothing being typed
    ("/about x", []),  # takes nothing
    ("/nonsense x", []),
])  # fmt: skip
def test_tab_offers(options: Completions, line: str, offered: list[str]) -> None:
    assert complete(line, options) == offered


def test_tab_offers_every_command_after_a_slash(options: Completions) -> None:
    assert complete("/", options) == sorted(f"/{name} " for name in CONSOLE_COMMANDS)


class Terminal:
    """A process on the far side of a pseudo-terminal: keys in, screen bytes out."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = os.openpty()
        # A known window size, so readline lays out lines the same way everywhere.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.master = master
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=cwd, start_new_session=True)
        os.close(slave)
        self.screen = b""

    def until(self, wanted: bytes, *, count: int = 1) -> bytes:
        """Read until `wanted` has appeared `count` times in all output so far."""
        while self.screen.count(wanted) < count:
            ready, _, _ = select.select([self.master], [], [], GUARD_SECONDS)
            if not ready:
                raise AssertionError(f"never saw {wanted!r}; the screen:\n{self.text()}")
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # the process closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"the console ended before {wanted!r}:\n{self.text()}")
            self.screen += chunk
        return self.screen

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def text(self) -> str:
        return self.screen.decode(errors="replace")

    def close(self) -> int:
        try:
            return self.proc.wait(GUARD_SECONDS)
        finally:
            os.close(self.master)


@pytest.fixture()
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    env = {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "TERM": "xterm",
        "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(tmp_path / "mpl"),
        "CNRP_MISSES_DB": str(tmp_path / "misses.sqlite3"),
    }  # fmt: skip
    term = Terminal([sys.executable, "-m", "bot", "console"], env, tmp_path)
    try:
        yield term
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
            term.close()


def test_the_console_edits_recalls_and_completes_at_a_terminal(terminal: Terminal, tmp_path: Path,
                                                               engine: Engine) -> None:
    terminal.until(PROMPT)
    # Arrow keys move the cursor: "who cnrp", four steps left, "founded " goes in the middle.
    terminal.type("who cnrp" + LEFT * 4 + "founded " + ENTER)
    terminal.until(b"(intent party.founders")
    terminal.until(PROMPT, count=2)
    # Up recalls the question; Enter asks it again.
    terminal.type(UP + ENTER)
    terminal.until(b"(intent party.founders", count=2)
    terminal.until(PROMPT, count=3)
    # Tab completes a command, then a constituency typed without its accent.
    terminal.type("/res" + TAB)
    terminal.until(b"/results ")
    terminal.type("takeo" + TAB + ENTER)
    terminal.until(engine.kb.table("constituencies").title.encode())  # the results table
    terminal.until(PROMPT, count=4)
    # A name inside a question; then one Tab lists both ways to go on.
    terminal.type("who is kem so" + TAB + ENTER)
    terminal.until(PROMPT, count=5)
    terminal.type("/results kompong ch" + TAB)
    terminal.until(b"Kampong Chhnang")
    terminal.type(CTRL_U + CTRL_D)
    assert terminal.close() == 0
    screen = terminal.text()
    history = (tmp_path / "state" / "cnrp-bot" / "history").read_text(encoding="utf-8").splitlines()
    # (readline keeps a line asked twice in a row once)
    assert history == ["who founded cnrp", "/results Takéo", "who is Kem Sokha"], (
        "what was typed is what was asked, and is kept")
    completed = screen.split("cnrp> ")[4]  # the line typed with Tab, and its answer
    assert "Kem Sokha" in completed.split("\n", 1)[1] and "(intent " in completed, (
        "answered about the completed name")
    assert not (tmp_path / "misses.sqlite3").exists(), "no misses kept unless asked"


def test_history_is_read_back_in_the_next_session(tmp_path: Path) -> None:
    state = tmp_path / "state" / "cnrp-bot"
    state.mkdir(parents=True)
    (state / "history").write_text("what is the cnrp\n", encoding="utf-8")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "TERM": "xterm",
           "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(tmp_path / "mpl")}  # fmt: skip
    term = Terminal([sys.executable, "-m", "bot"], env, tmp_path)
    try:
        term.until(PROMPT)
        term.type(UP + ENTER)
        term.until(PROMPT, count=2)
        term.type(CTRL_D)
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert "(intent " in term.text().split("what is the cnrp", 1)[1], "the recalled line was asked"
