"""One conversation for every channel.

A channel (voice, SMS) parses its request into one neutral `Intent`
(intent.py), calls `dispatch.handle(record, session, intent)`, which owns every
decision, and renders the `Part`s it returns (reply.py). The session (session.py)
is the one typed state of a conversation, with the one codec that reads and
writes its JSON. steps.py holds what a decision does to the store: the system
chosen, an answer, the staff code, the outcome. replies.py and system_names.py
read what a text or a spoken answer means, the same way for both channels.
"""
