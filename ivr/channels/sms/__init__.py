"""The SMS channel: texts read into intents, answers as texts; the managers' and admins' SMS words."""
