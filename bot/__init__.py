"""shipbot core: models, store, matching, decision, cards and commands. No platform imports."""

__version__ = "0.1.0"
