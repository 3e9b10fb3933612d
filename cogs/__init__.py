"""Discord front door: one cog per user-facing feature."""
