"""The commands, one room per feature; each a class with typed methods that return a Card.

- `lookup`: the names a person types, resolved against the catalog (shared by every room)
- `comparing`: compare, verdict, reviews, search, top, help
- `voting`: vote, and votes by reaction or button on a card
- `subscribing`: subscribe, unsubscribe, subscriptions
- `watching`: watch, unwatch, watching
- `deciding`: decide, decisions, undecide
- `aliases`: a did-you-mean choice picked (what teaches learned aliases)

Cards are assembled in bot.assembly, which publishing, the schedule and the dispatcher use
without this layer; chat text reaches these methods through bot.textcommands.
"""
