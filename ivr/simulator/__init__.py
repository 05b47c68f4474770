"""The terminal phones of `ivr simulate`: calls and texts through the real webhooks, in-process."""
