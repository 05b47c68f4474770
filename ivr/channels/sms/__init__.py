"""The SMS channel: texts read into intents, answers as texts (render.py) at a known cost (cost.py), every text
the line can send checked when it loads (check.py); the managers' and admins' SMS words."""
