"""The Discord adapter: discord.py app commands, embeds, reaction votes."""
