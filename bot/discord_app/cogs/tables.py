"""Table commands: each renders a core table and pages it when it is long."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.render import UnknownName, render_table
from bot.discord_app.embeds import CHOICE_NAME_LIMIT, table_embeds, truncate
from bot.discord_app.runtime import Runtime, runtime_of
from bot.discord_app.views import (
    NO_PINGS,
    LocalPaginator,
    encode_options,
    maybe_view,
    names_view,
    paging_fits,
    paging_view,
)

PUBLIC_HELP = "Show the table to everyone in the channel (default: only you)"
AUTOCOMPLETE_LIMIT = 25  # Discord's maximum number of choices


# The option whose misspelt value gets a "did you mean", by table.
NAMED_OPTION = {"results": "constituency", "policies": "area", "committee": "which",
                "elections": "which"}


class TablesCog(commands.Cog):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def show(
        self, interaction: discord.Interaction, name: str, public: bool, **options: Any
    ) -> None:
        """Render table `name` and reply with it, paged when it has several pages; a misspelt
        name gets "did you mean" buttons that show the table for the name chosen."""
        owner = interaction.user.id
        given = {key: value for key, value in options.items() if value is not None}
        try:
            rendered = render_table(self.runtime.engine.kb, name, **given)
        except UnknownName as error:
            view = names_view(owner, name, NAMED_OPTION.get(name, ""), error.close, given)
            await interaction.response.send_message(
                str(error), view=maybe_view(view), ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        except ValueError as error:
            await interaction.response.send_message(
                str(error), ephemeral=True, allowed_mentions=NO_PINGS
            )
            return
        pages = table_embeds(rendered)
        encoded = encode_options(given)
        if len(pages) > 1 and not paging_fits(owner, name, encoded, len(pages)):
            # Options too long to keep in a button: pages turn in memory until they expire.
            local = LocalPaginator(pages, owner_id=owner)
            await interaction.response.send_message(
                embed=local.page, view=local, ephemeral=not public, allowed_mentions=NO_PINGS
            )
            local.attach(interaction, self.runtime)
            return
        view = paging_view(owner, name, encoded, 0, len(pages))
        await interaction.response.send_message(
            embed=pages[0], view=maybe_view(view), ephemeral=not public, allowed_mentions=NO_PINGS
        )

    def choices(self, kind: str, current: str) -> list[app_commands.Choice[str]]:
        names = self.runtime.engine.complete(kind, current, limit=AUTOCOMPLETE_LIMIT)
        return [
            app_commands.Choice(name=truncate(n, CHOICE_NAME_LIMIT), value=n)
            for n in names[:AUTOCOMPLETE_LIMIT]
        ]

    @app_commands.command(
        name="results", description="CNRP results by constituency, 2013 general election"
    )
    @app_commands.describe(
        constituency="One constituency (default: all 24)",
        sort="Sort by votes, share or name (default: votes)",
        order="Highest first (desc) or lowest first (asc)",
        public=PUBLIC_HELP,
    )
    async def results(
        self,
        interaction: discord.Interaction,
        constituency: str | None = None,
        sort: Literal["votes", "share", "name"] = "votes",
        order: Literal["desc", "asc"] = "desc",
        public: bool = False,
    ) -> None:
        await self.show(
            interaction, "results", public, constituency=constituency, sort=sort, order=order
        )

    @results.autocomplete("constituency")
    async def _constituency(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.choices("constituency", current)

    @app_commands.command(name="leaders", description="Party leaders and their deputies")
    @app_commands.describe(public=PUBLIC_HELP)
    async def leaders(self, interaction: discord.Interaction, public: bool = False) -> None:
        await self.show(interaction, "leaders", public)

    @app_commands.command(name="committee", description="The Executive and Standing Committees")
    @app_commands.describe(which="One committee (default: both)", public=PUBLIC_HELP)
    async def committee(
        self,
        interaction: discord.Interaction,
        which: Literal["executive", "standing"] | None = None,
        public: bool = False,
    ) -> None:
        await self.show(interaction, "committee", public, which=which)

    @app_commands.command(
        name="elections", description="The party's general and communal election results"
    )
    @app_commands.describe(which="One kind of election (default: both)", public=PUBLIC_HELP)
    async def elections(
        self,
        interaction: discord.Interaction,
        which: Literal["general", "communal"] | None = None,
        public: bool = False,
    ) -> None:
        await self.show(interaction, "elections", public, which=which)

    @app_commands.command(name="platform", description="The seven-point platform")
    @app_commands.describe(public=PUBLIC_HELP)
    async def platform(self, interaction: discord.Interaction, public: bool = False) -> None:
        await self.show(interaction, "platform", public)

    @app_commands.command(name="policies", description="Policies by area")
    @app_commands.describe(area="One policy area (default: all)", public=PUBLIC_HELP)
    async def policies(
        self, interaction: discord.Interaction, area: str | None = None, public: bool = False
    ) -> None:
        await self.show(interaction, "policies", public, area=area)

    @policies.autocomplete("area")
    async def _policy_area(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.choices("policy_area", current)

    @app_commands.command(
        name="timeline", description="Dated events, from the founding to the dissolution and after"
    )
    @app_commands.describe(year="Only this year (default: every year)", public=PUBLIC_HELP)
    async def timeline(
        self,
        interaction: discord.Interaction,
        year: app_commands.Range[int, 1900, 2100] | None = None,
        public: bool = False,
    ) -> None:
        await self.show(interaction, "timeline", public, year=year)

    @app_commands.command(name="sources", description="The sources every answer cites")
    @app_commands.describe(public=PUBLIC_HELP)
    async def sources(self, interaction: discord.Interaction, public: bool = False) -> None:
        await self.show(interaction, "sources", public)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(TablesCog(runtime_of(bot)))
