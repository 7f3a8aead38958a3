"""Platform adapters: console, Slack, Discord. Each turns platform events into core commands."""
