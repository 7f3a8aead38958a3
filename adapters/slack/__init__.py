"""The Slack adapter: slack-bolt listeners, Block Kit rendering, HTTP and Socket Mode."""
