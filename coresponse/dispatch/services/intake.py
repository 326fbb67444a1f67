"""Taking a call: one write for the API and the call-taker's form alike.

`create_call` normalises the caller's number, flags a frequent caller, gives the call a readable
id, saves it and triages it, in one transaction, and writes the audit chain. `update_call`
re-triages only when something the protocol reads has changed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from coresponse.dispatch.models import Call
from coresponse.dispatch.services.triage import triage_call
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.services import record

# What a call-taker or a CAD system may set. external_id only at creation (a CAD's own id);
# idempotency_key is the API's, never typed.
EDITABLE_FIELDS = frozenset(
    {
        "received_at",
        "source",
        "call_type",
        "priority",
        "address",
        "latitude",
        "longitude",
        "district",
        "narrative",
        "program",
        "caller_name",
        "caller_phone",
    }
)
CREATE_ONLY_FIELDS = frozenset({"external_id", "idempotency_key"})
# What the triage engine reads (CallFacts, the program's protocol, the frequent-caller flag).
TRIAGE_INPUTS = frozenset(
    {"received_at", "source", "call_type", "priority", "narrative", "program", "frequent_caller"}
)
CALLER_FIELDS = frozenset({"caller_name", "caller_phone"})

# Spaces, dashes, dots, parentheses and a leading + are how people write numbers; anything
# else (letters, "ext") is refused rather than silently turned into different digits.
_PHONE_TEXT = re.compile(r"^\+?[\d\s().\-/]*$")
PHONE_MIN_DIGITS, PHONE_MAX_DIGITS = 3, 15  # 911-style short codes to E.164's longest

_ID_RETRIES = 25


_NOT_DIGIT = re.compile(r"[^0-9]")  # ASCII digits only (str.isdigit also takes "²")


def normalize_phone(text) -> str:
    """Digits only; a US number written with its leading 1 (11 digits) becomes its 10 digits."""
    digits = _NOT_DIGIT.sub("", str(text or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def parse_phone(text) -> str:
    """The digits of a usable caller number (as normalize_phone gives them; "" for none), or
    ValueError saying why `text` is not one."""
    text = str(text or "").strip()
    if not text:
        return ""
    if not _PHONE_TEXT.match(text):
        raise ValueError("Use digits only (spaces, dashes, dots and parentheses are fine).")
    digits = normalize_phone(text)
    if not PHONE_MIN_DIGITS <= len(digits) <= PHONE_MAX_DIGITS:
        raise ValueError(f"A phone number has {PHONE_MIN_DIGITS} to {PHONE_MAX_DIGITS} digits.")
    return digits


def phone_problem(text) -> str:
    """Why `text` is not a usable caller number, or "" when it is (or is empty)."""
    try:
        parse_phone(text)
    except ValueError as error:
        return str(error)
    return ""


def format_phone(digits: str) -> str:
    """(303) 555-0142 for a 10-digit number, the digits as they are otherwise."""
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return digits


def frequent_caller_threshold() -> tuple[int, int]:
    """(calls, days): that many calls within that many days make a frequent caller."""
    return (
        int(getattr(settings, "CORESPONSE_FREQUENT_CALLER_CALLS", 3)),
        int(getattr(settings, "CORESPONSE_FREQUENT_CALLER_DAYS", 90)),
    )


def earlier_calls(phone: str, at: datetime, *, exclude_call_id=None) -> int:
    """Stored calls from `phone` in the window of the threshold's days ending at `at`."""
    phone = normalize_phone(phone)
    if not phone:
        return 0
    _, days = frequent_caller_threshold()
    calls = Call.objects.filter(
        caller_phone=phone, received_at__gt=at - timedelta(days=days), received_at__lte=at
    )
    if exclude_call_id is not None:
        calls = calls.exclude(pk=exclude_call_id)
    return calls.count()


def is_frequent_caller(phone: str, at: datetime, *, exclude_call_id=None) -> bool:
    """N or more calls from the number within the window ending at `at`, this call included.

    "This call" is the one being taken and not stored yet; when it is already stored (an
    update), pass its id as `exclude_call_id` so it is not counted twice.
    """
    if not normalize_phone(phone):
        return False
    calls, _ = frequent_caller_threshold()
    return earlier_calls(phone, at, exclude_call_id=exclude_call_id) + 1 >= calls


def _next_external_id(received_at: datetime) -> str:
    """C-YYYYMMDD-NNNN: the next number of the call's local day."""
    prefix = f"C-{timezone.localtime(received_at):%Y%m%d}-"
    # A range rather than LIKE, so the unique index on external_id finds the day's ids
    # without scanning the table ("." sorts right after "-"). Longest first, then highest:
    # past 9999 a day the numbers grow a digit and still sort.
    last = (
        Call.objects.filter(external_id__gt=prefix, external_id__lt=prefix[:-1] + ".")
        .order_by(Length("external_id").desc(), "-external_id")
        .values_list("external_id", flat=True)
        .first()
    )
    tail = last[len(prefix) :] if last else ""
    number = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{number:04d}"


def _check_fields(fields: dict, allowed: frozenset) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not a call intake field: {', '.join(sorted(unknown))}")


def _clean(call: Call, fields: dict) -> None:
    """Model validation as the last line: choices, lengths, the priority and coordinate ranges."""
    if "caller_phone" in fields:
        try:
            call.caller_phone = parse_phone(fields["caller_phone"])
        except ValueError as error:
            raise ValidationError({"caller_phone": [str(error)]}) from None
    for name in ("call_type", "address", "district", "caller_name", "narrative"):
        value = getattr(call, name)
        if isinstance(value, str):
            # A browser's textarea sends CRLF: one kind of line end, so narratives compare.
            setattr(call, name, value.replace("\r\n", "\n").strip())
    # The model's check constraints, by field name (full_clean would report them unnamed).
    errors = {}
    if call.priority is not None and not 1 <= call.priority <= 5:
        errors["priority"] = ["Priority is 1 (most urgent) to 5."]
    for name, limit in (("latitude", 90), ("longitude", 180)):
        value = getattr(call, name)
        if value is not None and not -limit <= value <= limit:
            errors[name] = [f"Ensure this value is between -{limit} and {limit}."]
    try:
        call.full_clean(
            exclude=["external_id", "idempotency_key", *errors],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def _save_with_new_id(call: Call) -> None:
    """Insert with the day's next id; a concurrent writer that took it makes us take the next."""
    for _ in range(_ID_RETRIES):
        call.external_id = _next_external_id(call.received_at)
        try:
            with transaction.atomic():
                call.save(force_insert=True)
            return
        except IntegrityError:
            if Call.objects.filter(external_id=call.external_id).exists():
                continue
            raise
    raise IntegrityError(f"no free call id after {_ID_RETRIES} tries")


def _audit_categories(fields) -> list[str]:
    return [DataCategory.IDENTITY] if CALLER_FIELDS & set(fields) else []


@transaction.atomic
def create_call(*, user, **fields) -> Call:
    """Take a call: normalise, flag a frequent caller, save, triage. All or nothing.

    Raises django ValidationError (a dict by field) for a bad value, TypeError for a field
    that is not an intake field.
    """
    _check_fields(fields, EDITABLE_FIELDS | CREATE_ONLY_FIELDS)
    fields.setdefault("received_at", timezone.now())
    external_id = (fields.pop("external_id", "") or "").strip()
    call = Call(**fields, created_by=user if getattr(user, "is_authenticated", False) else None)
    _clean(call, fields)
    call.frequent_caller = is_frequent_caller(call.caller_phone, call.received_at)
    if external_id:
        call.external_id = external_id
        try:
            with transaction.atomic():
                call.save(force_insert=True)
        except IntegrityError:
            if Call.objects.filter(external_id=external_id).exists():
                raise ValidationError(
                    {"external_id": ["A call with this id already exists."]}
                ) from None
            raise
    else:
        _save_with_new_id(call)
    result = triage_call(call)
    record(
        user,
        "create",
        object_type="call",
        object_id=call.pk,
        categories=_audit_categories(fields),
        detail=f"call {call.external_id}: {call.call_type}, triage {result.recommendation}",
    )
    return call


@transaction.atomic
def update_call(call: Call, *, user, **fields) -> Call:
    """Change a call's intake fields; re-triage when the protocol's inputs changed."""
    _check_fields(fields, EDITABLE_FIELDS)
    call = Call.objects.select_for_update().get(pk=call.pk)
    before = {name: getattr(call, name) for name in EDITABLE_FIELDS | {"frequent_caller"}}
    for name, value in fields.items():
        setattr(call, name, value)
    _clean(call, fields)
    if {"caller_phone", "received_at"} & set(fields):
        call.frequent_caller = is_frequent_caller(
            call.caller_phone, call.received_at, exclude_call_id=call.pk
        )
    changed = sorted(name for name, value in before.items() if getattr(call, name) != value)
    if not changed:
        return call
    call.save(update_fields=changed)
    detail = f"call {call.external_id}: changed {', '.join(changed)}"
    if TRIAGE_INPUTS & set(changed):
        result = triage_call(call)
        detail += f"; re-triaged {result.recommendation}"
    record(
        user,
        "update",
        object_type="call",
        object_id=call.pk,
        categories=_audit_categories(changed),
        detail=detail,
    )
    return call


def create_call_once(key: str, *, user, **fields) -> tuple[Call, bool]:
    """create_call, unless a call was already taken with this key: then (that call, False).

    For the call-taker's form, whose every opened copy carries a key: a second press of Save
    or a resubmitted page must not take the call twice.
    """
    existing = Call.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing, False
    try:
        return create_call(user=user, idempotency_key=key, **fields), True
    except IntegrityError:
        existing = Call.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False
