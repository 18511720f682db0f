"""No decision reads words meant for a person: a result's detail is never tested (startswith,
endswith, `in`, SQL substr/LIKE) anywhere but the one migration that turned old words into a kind,
and SQLite errors are told by their codes, never by their message."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import optout

ROOT = Path(optout.__file__).parent
SQL_ON_DETAIL = re.compile(
    r"(substr|instr)\s*\(\s*detail|detail\s+(NOT\s+)?(LIKE|GLOB)", re.IGNORECASE
)


def mentions_detail(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Attribute) and n.attr == "detail")
        or (
            isinstance(n, ast.Subscript)
            and isinstance(n.slice, ast.Constant)
            and n.slice.value == "detail"
        )
        for n in ast.walk(node)
    )


def mentions_error_text(node: ast.AST) -> bool:
    """str(exc) / str(e): an exception's message."""
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id == "str"
        and n.args
        and isinstance(n.args[0], ast.Name)
        and n.args[0].id in ("exc", "e", "error", "err")
        for n in ast.walk(node)
    )


def decisions_on_text(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and mentions_detail(node.func.value)
        ):
            found.append(f"{path.name}:{node.lineno} {node.func.attr} on a detail")
        if (
            isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            and (
                mentions_detail(node.comparators[-1])
                or (
                    "sqlite" in path.read_text(encoding="utf-8")
                    and mentions_error_text(node.comparators[-1])
                )
            )
        ):
            found.append(f"{path.name}:{node.lineno} `in` on a detail or an SQLite error's text")
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL_ON_DETAIL.search(node.value)
            and path.name != "historyschema.py"
        ):
            found.append(f"{path.name}:{node.lineno} SQL on a detail's text")
    return found


def test_no_decision_reads_a_detail_or_an_sqlite_message():
    sqlite_users = [p for p in ROOT.rglob("*.py") if "sqlite3" in p.read_text(encoding="utf-8")]
    assert sqlite_users, "the scan must see the history modules"
    found = [f for p in sorted(ROOT.rglob("*.py")) for f in decisions_on_text(p)]
    assert found == []


def test_the_scan_catches_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import sqlite3\n"
        "def f(row, exc):\n"
        "    if row['detail'].startswith('sent unconfirmed'): pass\n"
        "    if 'locked' in str(exc): pass\n"
        "    q = 'SELECT 1 WHERE substr(detail, 1, 4) = ?'\n"
    )
    assert len(decisions_on_text(bad)) == 3
