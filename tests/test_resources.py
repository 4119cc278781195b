"""Where the program finds what it ships with and where it writes: the knowledge base from the
checkout here (an installed wheel reads its own copy: tests/test_install.py), a per-user state
folder by platform, a knowledge version that follows the files; and pyproject.toml packs every
package and every knowledge file."""

from __future__ import annotations

import importlib.resources
import shutil
import tomllib
from pathlib import Path

import pytest

import bot
from bot.core import resources
from bot.core.knowledge import DEFAULT_ROOT
from bot.core.resources import (
    KNOWLEDGE_SUFFIXES,
    default_state_dir,
    knowledge_version,
    packaged_knowledge,
    program_version,
)

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_a_checkout_serves_its_own_knowledge_folder() -> None:
    assert packaged_knowledge() == DEFAULT_ROOT == REPO / "knowledge"
    assert not (Path(bot.__file__).parent / resources.PACKAGED_KNOWLEDGE).exists(), (
        "bot/_knowledge exists only inside a wheel: the checkout has one knowledge folder")


def test_the_packaged_copy_is_looked_for_where_importlib_resources_finds_the_package(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Path(resources.__file__).parent.parent == importlib.resources.files("bot")
    package = tmp_path / "bot"
    (package / "core").mkdir(parents=True)
    monkeypatch.setattr(resources, "__file__", str(package / "core" / "resources.py"))
    (package / resources.PACKAGED_KNOWLEDGE).mkdir()
    assert packaged_knowledge() == package / resources.PACKAGED_KNOWLEDGE


def test_the_version_is_the_installed_distributions() -> None:
    assert program_version() == PYPROJECT["project"]["version"]


@pytest.mark.parametrize(("platform", "environ", "expected"), [
    ("linux", {"HOME": "/home/ana"}, "/home/ana/.local/state/cnrp-bot"),
    ("linux", {"HOME": "/home/ana", "XDG_STATE_HOME": "/srv/state"}, "/srv/state/cnrp-bot"),
    ("linux", {"HOME": "/home/ana", "XDG_STATE_HOME": "relative"}, "/home/ana/.local/state/cnrp-bot"),
    ("freebsd14", {"HOME": "/home/ana"}, "/home/ana/.local/state/cnrp-bot"),
    ("darwin", {"HOME": "/Users/ana"}, "/Users/ana/Library/Application Support/cnrp-bot"),
])  # fmt: skip
def test_the_state_folder_is_per_user_where_each_platform_expects_it(
    monkeypatch: pytest.MonkeyPatch, platform: str, environ: dict[str, str], expected: str
) -> None:
    monkeypatch.setattr("sys.platform", platform)
    assert default_state_dir(environ) == Path(expected)


def test_the_knowledge_version_follows_the_files(knowledge_copy: Path, tmp_path: Path) -> None:
    version = knowledge_version(knowledge_copy)
    assert len(version) == 12 and version == knowledge_version(DEFAULT_ROOT), "same files, same version"
    moved = tmp_path / "elsewhere"
    shutil.copytree(knowledge_copy, moved)
    assert knowledge_version(moved) == version, "where it lies does not matter"
    sources = knowledge_copy / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert knowledge_version(knowledge_copy) != version


def test_pyproject_packs_every_package_and_every_knowledge_file() -> None:
    packages = set(SETUPTOOLS["packages"])
    mapped = SETUPTOOLS["package-dir"]
    assert mapped == {"bot._knowledge": "knowledge"}
    code = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "bot").rglob("__init__.py")}
    folders = {"bot._knowledge" + "".join(f".{part}" for part in p.relative_to(REPO / "knowledge").parts)
               for p in [REPO / "knowledge", *(d for d in (REPO / "knowledge").rglob("*") if d.is_dir())]
               if "__pycache__" not in p.parts}
    assert packages == code | folders, "a new folder under bot/ or knowledge/ must be listed"
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    for package in folders:
        assert sorted(data[package]) == sorted(f"*{suffix}" for suffix in KNOWLEDGE_SUFFIXES), package
    stray = [p for p in (REPO / "knowledge").rglob("*")
             if p.is_file() and p.suffix not in KNOWLEDGE_SUFFIXES and "__pycache__" not in p.parts]
    assert stray == [], "a knowledge file of a type the wheel would leave out"


def test_the_licence_file_matches_pyproject() -> None:
    project = PYPROJECT["project"]
    assert isinstance(project["license"], str), "an SPDX expression, not a table"
    assert "MIT" in project["license"].split(" AND ")
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    for name in project["license-files"]:
        assert (REPO / name).is_file(), name
