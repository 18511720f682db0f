"""Regular expressions from flow files, run where a hostile page cannot stall them.

A flow's patterns (written by strangers: local flows, updates) are searched in URLs and page text
the site controls. Python's `re` backtracks and a search cannot be interrupted, so a pattern like
`\\w{1,100}\\w{1,100}\\w{1,100}x` took 38 s on 3,000 characters, blocking the event loop past every
time limit. Every pattern from a flow therefore runs in RE2 (Google's linear-time engine, the
`google-re2` binding): a search takes time in proportion to the text, whatever the pattern.

The syntax is RE2's, close to Python's: no lookaround, no backreferences (a flow says "not this"
with a signal's `unless:`); `\\w \\d \\s \\b` are ASCII. A pattern RE2 cannot compile, or one whose
compiled program exceeds MAX_MEM, is refused when the flow loads, naming the pattern.
"""

from __future__ import annotations

import functools

import re2

MAX_PATTERN = 500
MAX_URL = 4096
#: RE2's memory budget for one compiled pattern: a pattern larger than this is refused, not run.
MAX_MEM = 8 << 20


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # the refusal is ours to word, not printed by the C++ library
    options.case_sensitive = not ignore_case
    options.max_mem = MAX_MEM
    return options


@functools.lru_cache(maxsize=2048)
def compiled(pattern: str, ignore_case: bool = False):
    """The RE2 program of a checked pattern (compiled once)."""
    return re2.compile(pattern, _options(ignore_case))


def check(pattern: str) -> str:
    """`pattern` when RE2 can run it, else ValueError saying why."""
    if not isinstance(pattern, str):
        raise ValueError("a pattern must be a string")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"the pattern {pattern[:40]!r}… is longer than {MAX_PATTERN} characters")
    try:
        compiled(pattern, False)
        compiled(pattern, True)
    except re2.error as exc:
        why = (
            exc.args[0].decode("utf-8", "replace")
            if exc.args and isinstance(exc.args[0], bytes)
            else str(exc)
        )
        hint = (
            ' (lookaround and backreferences are not supported: say "not this" with a signal\'s '
            "`unless:`)"
            if "(?=" in pattern
            or "(?!" in pattern
            or "(?<" in pattern
            or "perl operator" in why
            or "escape" in why
            else ""
        )
        raise ValueError(
            f"not a regular expression optout can run in linear time: {pattern!r} ({why}){hint}"
        ) from None
    return pattern


def search_url(pattern: str, url: str):
    """Search a checked pattern in a URL (or href), in its first MAX_URL characters."""
    return compiled(pattern).search(url[:MAX_URL])


def search_text(pattern: str, text: str):
    """Search a checked pattern in page text, ignoring case."""
    return compiled(pattern, True).search(text)


def finditer_text(pattern: str, text: str):
    """Every match of a checked pattern in page text, ignoring case."""
    return compiled(pattern, True).finditer(text)


def any_of(patterns: list[str]) -> str:
    """One pattern matching any of `patterns` (each checked): one look instead of several."""
    return "|".join(f"(?:{p})" for p in patterns)


def browser_safe(pattern: str) -> bool:
    """Whether a checked pattern may also run in the browser's own engine (V8 backtracks): for
    Playwright's locators, which take a regex and run it in the page. Safe: at most three
    quantifiers, each on a single character or class and bounded by ten (`.{0,4}`), so a search
    costs at most a few thousand steps per position, whatever the page."""
    try:
        import re._constants as c  # type: ignore[import-not-found]
        import re._parser as parser  # type: ignore[import-not-found]

        parsed = parser.parse(pattern)
    except Exception:  # noqa: BLE001 - RE2 syntax Python cannot read: not for the browser
        return False
    repeats = 0

    def walk(items) -> bool:
        nonlocal repeats
        for op, av in items:
            if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
                _, high, body = av
                repeats += 1
                if (
                    high > 10
                    or len(body) != 1
                    or body[0][0] not in (c.LITERAL, c.NOT_LITERAL, c.IN, c.ANY, c.CATEGORY)
                ):
                    return False
            elif op is c.SUBPATTERN and not walk(av[-1]):
                return False
            elif op is c.BRANCH and not all(walk(b) for b in av[1]):
                return False
            elif op in (c.ASSERT, c.ASSERT_NOT, c.GROUPREF, getattr(c, "ATOMIC_GROUP", c.ASSERT)):
                return False
        return repeats <= 3

    return walk(parsed)


#: Playwright selector syntax that runs a regular expression in the page (`:text-matches()`, an
#: engine given `/…/`) or switches engine (`text=`, `xpath=`, `>>`): a flow's `css` is CSS only.
_SELECTOR_REGEX = re2.compile(r"(?i)text-matches|>>|^\s*[a-z][a-z0-9:_-]*=|^\s*/")


def check_selector(css: str) -> str:
    """`css` when it is a plain CSS selector (Playwright's `:has-text()` and `:visible` included),
    else ValueError: nothing in it may run a flow's regex in the page, where V8 backtracks."""
    if _SELECTOR_REGEX.search(css):
        raise ValueError(
            f"the selector {css!r} is not plain CSS: a flow's css may not use "
            "`:text-matches()`, `text=`, `xpath=`, `>>` or /regex/ (say it with `text:` or a role)"
        )
    return css
