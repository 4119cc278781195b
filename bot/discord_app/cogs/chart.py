"""/chart: the 2013 results as a PNG, drawn in a worker thread so the heartbeat keeps going."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.chart import chart_alt_text, chart_source, render_vote_chart
from bot.core.engine import Engine
from bot.discord_app.embeds import FOOTER_LIMIT, TABLE_COLOUR, truncate
from bot.discord_app.runtime import Runtime, runtime_of
from bot.discord_app.views import NO_PINGS

log = logging.getLogger(__name__)

ALT_TEXT_LIMIT = 1024  # Discord's limit for an attachment's description
TITLES = {
    "share": "CNRP vote share by constituency, 2013",
    "votes": "CNRP votes by constituency, 2013",
}


class ChartCog(commands.Cog):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # Charts depend only on the knowledge base, so each is drawn once per loaded engine.
        self._cache: dict[str, bytes] = {}
        self._cache_engine: Engine | None = None

    async def png(self, metric: str) -> bytes:
        engine = self.runtime.engine
        if engine is not self._cache_engine:
            self._cache = {}
            self._cache_engine = engine
        if metric not in self._cache:
            self._cache[metric] = await asyncio.to_thread(render_vote_chart, engine.kb, metric)
        return self._cache[metric]

    @app_commands.command(
        name="chart", description="The 2013 results by constituency as a bar chart"
    )
    @app_commands.describe(
        metric="Vote share (default) or number of votes",
        public="Show the chart to everyone in the channel (default: only you)",
    )
    async def chart(
        self,
        interaction: discord.Interaction,
        metric: Literal["share", "votes"] = "share",
        public: bool = False,
    ) -> None:
        # Drawing takes longer than the 3 seconds Discord allows for a first response.
        await interaction.response.defer(ephemeral=not public, thinking=True)
        try:
            png = await self.png(metric)
        except Exception:
            log.exception("chart failed for metric=%s", metric)
            await interaction.edit_original_response(content="Sorry, I could not draw that chart.")
            return
        filename = f"cnrp-2013-{metric}.png"
        embed = discord.Embed(title=TITLES[metric], colour=TABLE_COLOUR)
        embed.set_image(url=f"attachment://{filename}")
        kb = self.runtime.engine.kb
        embed.set_footer(text=truncate(chart_source(kb), FOOTER_LIMIT))
        # The alt text says in words what the bars show, for screen readers.
        alt = truncate(chart_alt_text(kb, metric), ALT_TEXT_LIMIT)
        await interaction.edit_original_response(
            embed=embed,
            attachments=[discord.File(io.BytesIO(png), filename=filename, description=alt)],
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ChartCog(runtime_of(bot)))
