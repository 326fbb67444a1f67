"""The steps of a seeded referral's closed loop: when it was received, accepted, scheduled (and
its appointment), and its outcome, as its status implies. Pure and deterministic (a
random.Random seeded by the referral's id, never the county's main generator, so adding the
steps changes no other value of the bundle)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from .cedar import ZONE

STAMPS = ("received_at", "accepted_at", "scheduled_at", "completed_at", "declined_at", "no_show_at")
_FINAL = {"completed": "completed_at", "declined": "declined_at", "no_show": "no_show_at"}


def _office(moment: datetime) -> datetime:
    """The same moment moved into office hours (9:00-17:00 local), keeping the day."""
    local = moment.astimezone(ZONE)
    if 9 <= local.hour < 17:
        return moment
    return datetime.combine(local.date(), time(9 + local.minute % 8, local.minute), ZONE)


def referral_stamps(
    referral_id: str, status: str, sent: datetime, closed: datetime | None, end: datetime
) -> dict[str, datetime | None]:
    """The six step stamps of the bundle (None where the loop did not get) and `appointment_at`
    for a scheduled one; every stamp is between `sent` and the close (or `end`), in order."""
    rng = random.Random(f"steps:{referral_id}")
    stop = closed or end

    def at(start: datetime, low_hours: float, high_hours: float) -> datetime:
        moment = _office(start + timedelta(hours=rng.uniform(low_hours, high_hours)))
        return max(sent, min(moment, stop)).replace(microsecond=0)

    out: dict[str, datetime | None] = dict.fromkeys((*STAMPS, "appointment_at"))
    if status == "sent":
        return out
    out["received_at"] = received = at(sent, 2, 30)
    if status in ("accepted", "scheduled", "completed", "no_show"):
        out["accepted_at"] = accepted = max(received, at(received, 4, 72))
        if status in ("scheduled", "completed", "no_show"):
            out["scheduled_at"] = scheduled = max(accepted, at(accepted, 2, 96))
            appointment = _office(scheduled + timedelta(hours=rng.uniform(48, 240)))
            if closed is not None:
                appointment = min(appointment, closed)
            out["appointment_at"] = max(appointment, scheduled).replace(microsecond=0)
    if status in _FINAL and closed is not None:
        out[_FINAL[status]] = closed
    return out
