"""`optout ui`: a page in the person's own browser, served on 127.0.0.1 only, for people who do not
live in a terminal: where they stand, a checklist to check or switch off with live progress,
volunteer mode (as `optout assist`) ending with the handout, and their stored accounts.

Layout: `security` (token, cookie, Host/Origin/CSRF checks, headers), `words` (states and next
steps in plain words), `jobs` (a running check, switch-off or assisted session and its events),
`routes` (the pages and actions), `app` (the Starlette app and the server's life). Starlette and
uvicorn are imported only here, so `optout --help` stays fast.
"""
