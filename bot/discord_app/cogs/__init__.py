"""The bot's cogs, each an extension with its own `setup()`: questions (ask), tables, the chart
and administration. The bot loads them by name (see app.EXTENSIONS)."""
