"""The configuration and checklists shipped with the package (links to config/ and checklists/ in a checkout).

`ivr init DIR` copies them out; ivr.folders falls back to them when no folder is configured.
"""
