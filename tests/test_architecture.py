"""bot/core stays pure: no module in it imports discord or an adapter."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).parents[1] / "bot" / "core"
FORBIDDEN = ("discord", "bot.discord_app", "bot.cli")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_imports_no_adapter() -> None:
    files = sorted(CORE.glob("*.py"))
    assert files
    for path in files:
        bad = {n for n in _imports(path) if n.split(".")[0] == "discord" or n.startswith(FORBIDDEN[1:])}
        assert not bad, f"{path.name} imports {bad}"


def test_no_folder_shadows_discord() -> None:
    root = Path(__file__).parents[1]
    assert not (root / "discord").exists() and not (root / "bot" / "discord").exists()


DISCORD_APP = Path(__file__).parents[1] / "bot" / "discord_app"


def test_app_and_the_cogs_do_not_import_each_other() -> None:
    from bot.discord_app.app import EXTENSIONS

    assert not {n for n in _imports(DISCORD_APP / "app.py") if n.startswith("bot.discord_app.cogs")}
    cogs = sorted(p for p in (DISCORD_APP / "cogs").glob("*.py") if p.name != "__init__.py")
    assert {f"bot.discord_app.cogs.{p.stem}" for p in cogs} == set(EXTENSIONS), (
        "every cog is loaded as an extension"
    )
    for path in cogs:
        assert "bot.discord_app.app" not in _imports(path), path.name
        assert "setup" in path.read_text(encoding="utf-8"), f"{path.name} has no setup()"
