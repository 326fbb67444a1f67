"""Background work of the people app: linking records as they are saved.

A record created or changed by a call, an encounter or an import is handed to `link_persons`
when its transaction commits (people.services.link_later); the worker links it to the other
records of the same human within seconds, with the newest saved model, without a batch run.
"""

from __future__ import annotations

import logging

from django_tasks import task

from coresponse.people import services

logger = logging.getLogger(__name__)


@task()
def link_persons(person_ids: list[int], saved_at: str | None = None) -> dict:
    """Link these records to the others with the saved model; what was written, by outcome.
    `saved_at` (ISO time): when the records were saved (see services.link_records)."""
    written = services.link_records(person_ids, saved_at)
    if written is None:
        logger.info("no linkage model yet: %d records wait for `coresponse link`", len(person_ids))
        return {"linked": 0, "reason": "no linkage model has been trained yet"}
    return {"linked": len(person_ids), **written.as_dict()}
