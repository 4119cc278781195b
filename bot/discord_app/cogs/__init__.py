"""The bot's cogs: questions (ask), tables, the chart and administration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.discord_app.app import CnrpBot


def all_cogs(bot: CnrpBot) -> list[commands.Cog]:
    from bot.discord_app.cogs.admin import AdminCog
    from bot.discord_app.cogs.ask import AskCog
    from bot.discord_app.cogs.chart import ChartCog
    from bot.discord_app.cogs.tables import TablesCog

    return [AskCog(bot), TablesCog(bot), ChartCog(bot), AdminCog(bot)]
