"""`pip install .` as a user would: build the wheel, install it into a fresh virtual environment,
and run `cnrp-bot` from an unrelated folder. The wheel must carry the knowledge base and the
word vectors, and the program must write only to the user's state folder.

The slowest test in the suite (it installs the dependencies); pip's cache makes it quick after
the first run, and it reaches no index but the one pip is configured with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.resources import KNOWLEDGE_SUFFIXES, knowledge_version

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.install


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, input=stdin, text=True,
                          capture_output=True, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, argv))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # From the checkout itself, as `pip install .` does (its build/ and *.egg-info are ignored).
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", out, REPO, cwd=out)
    (built,) = out.glob("cnrp_bot-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment with the wheel and its dependencies, and nothing else."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv)
    python = venv / "bin" / "python"
    # This environment's pip installs into the new one (--python), so none is bootstrapped there.
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheel, cwd=venv)
    yield venv


def user_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(home / "mpl")}


def test_the_wheel_carries_every_knowledge_file_and_the_word_vectors(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {p.relative_to(REPO / "knowledge").as_posix() for p in (REPO / "knowledge").rglob("*")
               if p.is_file() and p.suffix in KNOWLEDGE_SUFFIXES}
    assert {n.removeprefix("bot/_knowledge/") for n in names if n.startswith("bot/_knowledge/")} == shipped
    assert {"bot/data/wordvectors.npz", "bot/data/WORDVECTORS.md"} <= names
    assert not [n for n in names if n.startswith(("knowledge/", "tests/", "training/"))]
    licences = {n.rsplit("/", 1)[-1] for n in names if "/licenses/" in n}
    assert licences == {"LICENSE", "LICENSE-all-MiniLM-L6-v2"}


def test_a_fresh_install_gives_discord_py_its_fast_json(installed: Path, tmp_path: Path) -> None:
    # discord.py decodes every gateway event and REST reply with orjson only when it can import it.
    python = installed / "bin" / "python"
    done = run(python, "-c", "import discord.utils; print(discord.utils.HAS_ORJSON)", cwd=tmp_path,
               env=user_env(tmp_path / "home"))
    assert done.stdout.strip() == "True"


def test_a_fresh_install_gives_the_bot_uvloops_event_loop(installed: Path, tmp_path: Path) -> None:
    python = installed / "bin" / "python"
    done = run(python, "-c", "from bot.discord_app.app import new_event_loop; "
               "print(type(new_event_loop()).__module__)", cwd=tmp_path,
               env=user_env(tmp_path / "home"))
    assert done.stdout.strip() == "uvloop"


def test_the_installed_program_answers_from_an_unrelated_folder(installed: Path,
                                                                tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "home", tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    env = user_env(home)
    program = installed / "bin" / "cnrp-bot"
    done = run(program, "ask", "--json", "who founded the cnrp", cwd=elsewhere, env=env)
    answer = json.loads(done.stdout)
    assert answer["matched"] is True and answer["intent"] == "party.founders" and answer["citations"]
    version = run(program, "--version", cwd=elsewhere, env=env).stdout
    site = next((installed / "lib").glob("python3.*/site-packages"))
    assert f"knowledge {knowledge_version(REPO / 'knowledge')} in {site / 'bot' / '_knowledge'}" in version, (
        "the installed copy reads its own knowledge base, the same as the checkout's")
    run(program, "validate", "--strict", cwd=elsewhere, env=env)
    # The console with --keep-misses writes its store, and only there: the user's state folder.
    run(program, "console", "--keep-misses", cwd=elsewhere, env=env, stdin="what is the weather on mars\n")
    assert (home / ".local" / "state" / "cnrp-bot" / "misses.sqlite3").is_file()
    assert list(elsewhere.iterdir()) == [], "nothing in the working folder"
    assert not [p for p in site.rglob("*.sqlite3*")], "nothing in the package"
    assert not (REPO.parent / "data").exists() and not (site.parent / "data").exists()
