"""Answers remembered until the facts are next rebuilt: in the process's cache, and, for the
questions the worker answers ahead of time (`insights.tasks.warm`), in the database.

    remember(("evaluation", ...), lambda: evaluate(...))

A page asks the same question again as people click through it, and every program manager
opens the same default dashboard: the first is computed once per rebuild (by the worker right
after the rebuild, for the default questions), the rest are read. Keys name the question and
the rebuild, so a rebuild makes every answer new.
"""

from __future__ import annotations

import hashlib
import pickle

from django.core.cache import cache

from coresponse.insights import facts
from coresponse.insights.models import Snapshot

TIMEOUT = facts.REFRESH_MINUTES * 60 * 2


def _version() -> str:
    """The rebuild the facts are at: its id and when it finished (ids alone can come back
    when a database is emptied and filled again)."""
    refreshed = facts.last_refresh()
    if refreshed is None:
        return "none"
    return f"{refreshed.pk}.{refreshed.finished_at.timestamp():.6f}"


def _key(question) -> tuple[str, str, str]:
    version = _version()
    digest = hashlib.sha256(repr(question).encode()).hexdigest()
    return version, digest, f"insights:memo:{version}:{digest}"


def recall(question):
    """The answer to `question` if it was computed for this rebuild, else None (nothing is
    computed: a page can then send the slow part of its answer later)."""
    version, digest, key = _key(question)
    got = cache.get(key)
    if got is not None:
        return got
    row = Snapshot.objects.filter(key=digest, version=version).only("data").first()
    if row is None:
        return None
    got = pickle.loads(bytes(row.data))  # noqa: S301 - written by this module only
    cache.set(key, got, timeout=TIMEOUT)
    return got


def remember(question, build, *, persist: bool = False):
    """`build()` for `question` (anything with a stable repr), remembered for this rebuild.

    `persist`: also store it in the database for every process (the worker's warming).
    """
    got = recall(question)
    if got is not None:
        return got
    version, digest, key = _key(question)
    got = build()
    if persist:
        Snapshot.objects.update_or_create(
            key=digest, defaults={"version": version, "data": pickle.dumps(got)}
        )
    cache.set(key, got, timeout=TIMEOUT)
    return got


def forget_older() -> int:
    """Drop the stored answers of earlier rebuilds."""
    return Snapshot.objects.exclude(version=_version()).delete()[0]
