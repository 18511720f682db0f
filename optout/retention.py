"""Evidence retention: keep what proves a change, prune the rest."""

from __future__ import annotations

from pathlib import Path

from optout.history import History
from optout.paths import Profile


def prune_evidence(profile: Profile, keep: int = 10) -> list[Path]:
    """Delete evidence no longer needed as proof; return the files deleted.

    Per (platform, account, setting) the evidence of the last `keep` results is kept, and so is
    that of every result that changed something or whose state differs from the one before it:
    those are the proof of what happened. Only files inside the profile's evidence folder that
    history refers to are ever deleted.
    """
    if not profile.history_db.exists():
        return []
    root = profile.evidence.resolve()
    keep_files: set[Path] = set()
    drop_files: set[Path] = set()
    with History(profile) as history:
        rows = history.evidence_rows()
    by_key: dict[tuple, list[dict]] = {}
    for r in rows:
        by_key.setdefault((r["platform"], r["account"], r["setting"]), []).append(r)
    for results in by_key.values():
        previous = None
        for i, r in enumerate(results):
            wanted = i >= len(results) - keep or r["changed"] or r["state"] != previous
            previous = r["state"]
            files = {Path(p).resolve() for p in r["evidence"]}
            (keep_files if wanted else drop_files).update(files)
    deleted = []
    for path in sorted(drop_files - keep_files):
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
            deleted.append(path)
    return deleted
