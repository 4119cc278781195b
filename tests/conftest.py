"""Shared fixtures: one engine per test session (loading is the slow part)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.knowledge import DEFAULT_ROOT, KnowledgeBase
from tests.postgres_server import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]  # fixtures: a real PostgreSQL server, a database

TESTS = Path(__file__).parent


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="session")
def kb(engine: Engine) -> KnowledgeBase:
    return engine.kb


@pytest.fixture()
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of knowledge/ that a test may break."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_ROOT, target)
    return target
