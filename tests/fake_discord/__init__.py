"""A loopback fake of Discord for end-to-end tests of the real discord.py client."""

from tests.fake_discord.payloads import FakeUser
from tests.fake_discord.process import BotProcess
from tests.fake_discord.server import DEFAULT_TOKEN as FAKE_TOKEN
from tests.fake_discord.server import FakeDiscord, Recorded

__all__ = ["FAKE_TOKEN", "BotProcess", "FakeDiscord", "FakeUser", "Recorded"]
