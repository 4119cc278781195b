"""Shared fixtures: one engine per test session (loading is the slow part)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.engine import Engine
from bot.core.knowledge import DEFAULT_ROOT, KnowledgeBase
from tests.postgres_server import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]  # fixtures: a real PostgreSQL server, a database

TESTS = Path(__file__).parent


@pytest.fixture(scope="session", autouse=True)
def no_engine_cache() -> Iterator[None]:
    """The CLI and the Discord app keep built engines on disk (`enginecache`); under test the
    cache is off, so no test depends on what an earlier one left there, nor touches the user's
    (tests/test_enginecache.py turns it on in folders of its own; subprocesses inherit this)."""
    before = os.environ.get("CNRP_CACHE_DIR")
    os.environ["CNRP_CACHE_DIR"] = ""
    yield
    if before is None:
        os.environ.pop("CNRP_CACHE_DIR", None)
    else:
        os.environ["CNRP_CACHE_DIR"] = before


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
