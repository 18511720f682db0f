"""Regular expressions from flow files, made safe to run against hostile pages.

A flow's patterns are searched in URLs and page text the site controls. Python's `re` backtracks,
and a search cannot be interrupted, so a pattern like `(a+)+$` could stall a run far past its time
limit. Patterns are therefore checked when the flow loads: no repetition of something that can
itself match in several ways (nested or alternated quantifiers without a delimiter), no
backreferences, and unbounded repetition only where the search is anchored at the start. URLs are
searched in their first MAX_URL characters, so even an allowed `.*` stays fast.
"""

from __future__ import annotations

import re

try:  # the parser of `re` itself: the same reading of the pattern the search will use
    import re._constants as _c  # type: ignore[import-not-found]
    import re._parser as _parser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

MAX_PATTERN = 500
MAX_URL = 4096
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def _varies(op, av) -> bool:
    """A repeat whose count is not fixed (`+`, `*`, `{1,3}`): it can match in several ways."""
    return op in _REPEATS and av[0] != av[1]


def _matches_char(op, av, ch: str) -> bool:
    """Whether the one-character element (op, av) can match `ch`; True when unsure."""
    if op is _c.LITERAL:
        return chr(av).lower() == ch.lower()
    if op is _c.NOT_LITERAL:
        return chr(av).lower() != ch.lower()
    if op is _c.IN:
        negate = bool(av) and av[0][0] is _c.NEGATE
        hit = any(_matches_char(o, a, ch) for o, a in av if o is not _c.NEGATE)
        return hit != negate
    if op is _c.RANGE:
        return any(av[0] <= ord(c) <= av[1] for c in {ch.lower(), ch.upper()})
    if op is _c.CATEGORY:
        return bool(re.fullmatch(_CATEGORIES.get(getattr(av, "name", ""), r"[\s\S]"), ch))
    return True  # ANY and whatever else


def _sequence(items) -> list:
    """The top-level elements of a group body, looking through plain groups."""
    out = []
    for op, av in items:
        if op is _c.SUBPATTERN:
            out += _sequence(av[-1])
        else:
            out.append((op, av))
    return out


def _delimited(body) -> bool:
    """True when each pass of a repeated body must match a character none of its own variable
    parts can match (`([a-z]+\\.)*`): then it can be split in only one way."""
    seq = _sequence(body)
    loose = [(op, av) for op, av in seq if _varies(op, av) or op is _c.BRANCH]
    if any(op is _c.BRANCH for op, _ in loose):
        return False
    single = [e for op, av in loose for e in [av[2]] if len(e) == 1]
    if len(single) != len(loose):
        return False  # a variable part that is not one character class
    marks = [chr(av) for op, av in seq if op is _c.LITERAL]
    return any(not any(_matches_char(*e[0], mark) for e in single) for mark in marks)


def _problem(items, unbounded: list[int]) -> str | None:
    for op, av in items:
        if op in (_c.GROUPREF, getattr(_c, "GROUPREF_EXISTS", _c.GROUPREF)):
            return "a backreference"
        if op in _REPEATS:
            low, high, body = av
            if high == _c.MAXREPEAT:
                unbounded.append(1)
            inner = [x for x in _walk(body) if _varies(*x) or x[0] is _c.BRANCH]
            if high > 1 and low != high and inner and not _delimited(body):
                return "a repeated part that can itself match in several ways (nested quantifiers)"
            if high > 1 and inner and low == high and high > 4 and not _delimited(body):
                return "a repeated part that can itself match in several ways (nested quantifiers)"
            children = [body]
        elif op is _c.SUBPATTERN:
            children = [av[-1]]
        elif op is _c.BRANCH:
            children = av[1]
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            children = [av[1]]
        elif op is getattr(_c, "ATOMIC_GROUP", None):
            children = [av]
        else:
            continue
        for child in children:
            found = _problem(child, unbounded)
            if found:
                return found
    return None


def _walk(items):
    """Every element at any depth."""
    for op, av in items:
        yield op, av
        if op in _REPEATS:
            yield from _walk(av[2])
        elif op is _c.SUBPATTERN:
            yield from _walk(av[-1])
        elif op is _c.BRANCH:
            for branch in av[1]:
                yield from _walk(branch)
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            yield from _walk(av[1])


def check(pattern: str) -> str:
    """`pattern` when it is a valid regex that cannot backtrack catastrophically, else ValueError."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {pattern!r} ({exc})") from None
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"the pattern {pattern[:40]!r}… is longer than {MAX_PATTERN} characters")
    parsed = list(_parser.parse(pattern))
    unbounded: list[int] = []
    problem = _problem(parsed, unbounded)
    anchored = bool(parsed) and parsed[0][0] is _c.AT and getattr(parsed[0][1], "name", "") in (
        "AT_BEGINNING", "AT_BEGINNING_STRING")
    if not problem and unbounded and not anchored:
        problem = "unbounded repetition (*, +) in a pattern not anchored with ^"
    if not problem and len(unbounded) > 2:
        problem = "more than two unbounded repetitions (*, +)"
    if problem:
        raise ValueError(f"the pattern {pattern!r} could take minutes on a hostile page: it has {problem}")
    return pattern


def search_url(pattern: str, url: str) -> re.Match | None:
    """Search a checked pattern in a URL (or href), in its first MAX_URL characters."""
    return re.search(pattern, url[:MAX_URL])


def search_text(pattern: str, text: str) -> re.Match | None:
    """Search a checked pattern in page text, ignoring case."""
    return re.search(pattern, text, re.IGNORECASE)
