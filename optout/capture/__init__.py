"""Captures: a page a flow read, kept as its structure without the person's content, so it can be
shared (on an issue tracker) and replayed against a flow (`optout flows test`).

keep.py      what text a capture may keep: the flow's own patterns and a short list of UI words
snapshot.py  the walker run in the page, the scrubbing into servable HTML, the secret check
fileformat.py  the capture file (a JSON header in a comment, then the page), reading and showing it
hook.py      what a run calls after each setting's page is read (`optout check --capture`)
replay.py    serving captures at their URLs and reading them with a flow, read only
"""
