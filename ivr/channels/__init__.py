"""The channels a caller uses.

Each reads its requests into intents for ivr.conversation and renders the parts it returns.
"""
