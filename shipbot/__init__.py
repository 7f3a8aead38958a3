"""The shipbot command and the start-up wiring: the one place that joins the core (bot/) and
the platform adapters (adapters/); neither of those imports this package."""
