"""Helping someone else: profiles (list, delete every trace), assisted sessions, handouts.

Support volunteers (digital-rights clinics, library help desks, family) help people who would
never install a command-line tool. Three things make that safe:

* **Profiles** keep each person's accounts, keyring entries, sessions, history and evidence apart,
  and `delete_profile` removes every trace of one person, saying what it removed.
* **Assisted sessions** (`assist`): a visible browser with in-memory contexts; the person signs in
  themselves (optout never sees or types their password), optout reads the settings and, once the
  person agrees, switches them off. Nothing is stored unless the person asks (`keep_profile`); the
  session lives only in the browser's memory and the screenshots in a temporary folder that is
  removed at the end (also on Ctrl-C, SIGTERM or a closed terminal; a folder left by a killed
  session is swept at the next start).
* **Handouts** (`handout_html`): one printable page in plain language: what was found, what was
  switched off, what still needs the person (forms, e-mails, guide steps, with drafted text and
  links), what to watch for and how to check again. No secrets; a name only if the volunteer typed one.
"""

from optout.people.assist import (
    ASSISTED_ACCOUNT,
    BANNER_TAG,
    Assisted,
    Confirm,
    Tell,
    assist,
    banner_text,
    setting_of,
    sweep_stale,
    what_was_kept,
)
from optout.people.handout import (
    OBJECTION_TEXT,
    STATE_WORDS,
    Email,
    Guide,
    handout_for_profile,
    handout_html,
)
from optout.people.profiles import ProfileInfo, Removal, delete_profile, list_profiles

__all__ = [
    "ASSISTED_ACCOUNT",
    "BANNER_TAG",
    "OBJECTION_TEXT",
    "STATE_WORDS",
    "Assisted",
    "Confirm",
    "Email",
    "Guide",
    "ProfileInfo",
    "Removal",
    "Tell",
    "assist",
    "banner_text",
    "delete_profile",
    "handout_for_profile",
    "handout_html",
    "list_profiles",
    "setting_of",
    "sweep_stale",
    "what_was_kept",
]
