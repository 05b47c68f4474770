"""What the line did and what it says, for people: the report, its charts, the printable checklists, a lookup.

Used by the `ivr` command and the /admin console alike; pure where it can be (no Flask).
"""
