"""Block Kit builders: pure functions, domain values in, dicts out.

Every piece of user text passes through `common.escape` / `common.cap`, so
nothing a person types can break a message or ping a channel.
"""
