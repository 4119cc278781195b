"""The systemd units in deploy/ agree with the program: the exit code that means "fix the
settings" is not restarted, stopping leaves time for the answers in flight, state goes where
the settings read it, and the console script they run exists."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.discord_app.app import DRAIN_SECONDS, EXIT_CONFIG
from bot.discord_app.settings import KEYS

REPO = Path(__file__).resolve().parents[1]
UNITS = sorted((REPO / "deploy").glob("*.service"))


def directives(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit, a key given twice keeping both (as systemd does)."""
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_there_is_a_unit_for_one_process_and_one_for_shard_groups() -> None:
    assert [p.name for p in UNITS] == ["cnrp-bot.service", "cnrp-bot@.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_the_unit_agrees_with_the_program(unit: Path) -> None:
    found = directives(unit)
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert Path(found["ExecStart"][0]).name in scripts
    assert found["RestartPreventExitStatus"] == [str(EXIT_CONFIG)]
    assert found["Restart"] == ["on-failure"] and found["KillSignal"] == ["SIGTERM"]
    assert int(found["TimeoutStopSec"][0]) > DRAIN_SECONDS
    environment = " ".join(found["Environment"])
    state = dict(pair.split("=", 1) for pair in environment.split())
    assert "CNRP_STATE_DIR" in KEYS and state["CNRP_STATE_DIR"].startswith("%S/cnrp-bot")
    assert found["StateDirectory"][0] == state["CNRP_STATE_DIR"].removeprefix("%S/")
    assert "/etc/cnrp-bot/cnrp-bot.env" in found["EnvironmentFile"]
