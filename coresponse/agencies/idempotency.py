"""Idempotency keys: a retried write is answered with its first response, never carried out twice.

A client (a CAD system, the offline field app) sends a key with a write. The first request with
the key claims it, does the work and stores the response, all in one transaction; a retry with
the same key and the same request gets that stored response back; the same key with a different
request is refused, since answering it with the other request's response would mislead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from coresponse.agencies.models import IdempotencyKey


class KeyReused(Exception):
    """The key was already used for a different request."""


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: str
    content_type: str
    replayed: bool


def fingerprint(*parts) -> str:
    """SHA-256 of the request's parts (method, path, parsed body): key order and spacing of a
    JSON body do not change it, any value does."""
    sha = hashlib.sha256()
    for part in parts:
        data = json.dumps(part, sort_keys=True, separators=(",", ":"), default=str).encode()
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)
    return sha.hexdigest()


def _stored(user, scope: str, key: str, digest: str) -> Outcome | None:
    entry = IdempotencyKey.objects.filter(user=user, scope=scope, key=key).first()
    if entry is None:
        return None
    if entry.fingerprint != digest:
        raise KeyReused(key)
    # The body is kept as the exact text sent, so a replay is byte for byte the first answer
    # (a PostgreSQL jsonb object would come back with its keys reordered).
    return Outcome(entry.status_code, entry.response["body"], entry.response["content_type"], True)


def run_once(
    user, scope: str, key: str, digest: str, perform: Callable[[], tuple[int, str, str]]
) -> Outcome:
    """Answer a keyed write: the stored outcome of an earlier identical request, or `perform()`.

    `perform()` returns (status, body text, content type) of a successful write; it raises to
    refuse one (bad input), and then nothing is stored and the key stays free, so the client can
    correct the request and send it again with the same key. Raises `KeyReused` for a key
    already used with a different fingerprint.
    """
    earlier = _stored(user, scope, key, digest)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            # Claim the key before the work: a concurrent request with the same key waits on
            # the unique index here and, once this commits, fails over to the stored outcome.
            entry = IdempotencyKey.objects.create(
                user=user, scope=scope, key=key, fingerprint=digest, status_code=0, response={}
            )
            status, body, content_type = perform()
            entry.status_code = status
            entry.response = {"content_type": content_type, "body": body}
            entry.save(update_fields=["status_code", "response"])
    except IntegrityError:
        earlier = _stored(user, scope, key, digest)
        if earlier is not None:
            return earlier
        raise
    return Outcome(status, body, content_type, False)
