"""The one disclosure policy. Every read of person data asks `decide` first.

    decide(user, owner_agency_id, category, person_id=None, purpose=None) -> Decision

For a viewer (a user with roles at agencies), a record (owned by one agency; `person_id` when
the record is a person's, so that consent and break-glass can apply), a data category and a
purpose of use, it says whether the data may be shown and why. The bases, tried in order:

1. ownership: the viewer works for the agency that owns the record, and their role needs the
   category (police roles never see mental-health, substance-use or medical data; Part 2
   substance-use records only to treating staff);
2. a sharing agreement (the program's MOU) from the owner to the viewer's agency covering the
   category and purpose, under the same role rules; never substance use (Part 2 needs consent)
   and never a clinical category for a law-enforcement agency;
3. the person's consent, active now, from the owner to the viewer's agency (or a class it
   belongs to), covering the category and purpose; substance use only with a Part 2 consent;
4. break-glass: a clinician, paramedic or supervisor outside law enforcement who opened the
   record in an emergency with a written justification, until it expires; substance use only
   to medical staff (42 CFR 2.51).

Hard lines no basis crosses: substance-use records are never disclosed for a criminal
investigation or charge (42 CFR 2.12(d)); a law-enforcement role sees clinical categories only
with the person's consent.

What a viewer's standing is (memberships, agreements in force, break-glass openings, consents)
is loaded once per request into an `Access` kept on the user object.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from coresponse import sql
from coresponse.agencies.models import Agency, AgencyKind, Membership, Program, Role
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import (
    BreakGlass,
    Consent,
    ConsentKind,
    Purpose,
    RecipientClass,
    SharingAgreement,
)

C = DataCategory

# Roles that may see clinical categories of records their agency holds.
CLINICAL_ROLES = frozenset(
    {Role.CLINICIAN, Role.CASE_MANAGER, Role.PEER_SPECIALIST, Role.SUPERVISOR, Role.PROGRAM_MANAGER}
)
MEDICAL_ROLES = CLINICAL_ROLES | {Role.PARAMEDIC}
# 42 CFR Part 2: substance-use records only to those who treat.
PART2_ROLES = frozenset({Role.CLINICIAN, Role.CASE_MANAGER})
# What a viewer outside the clinical roles may still see of a record their agency holds.
OPERATIONAL_CATEGORIES = frozenset({C.IDENTITY, C.CONTACT_PLAN, C.CRIMINAL_JUSTICE})
CLINICAL_CATEGORIES = frozenset({C.MENTAL_HEALTH, C.SUBSTANCE_USE, C.MEDICAL})
BREAK_GLASS_ROLES = frozenset({Role.CLINICIAN, Role.PARAMEDIC, Role.SUPERVISOR})
MEDICAL_STAFF = frozenset({Role.CLINICIAN, Role.PARAMEDIC})  # 42 CFR 2.51 medical personnel

# The purpose a role's reads serve when the caller names none.
DEFAULT_PURPOSE = {
    Role.DISPATCHER: Purpose.EMERGENCY_RESPONSE,
    Role.OFFICER: Purpose.EMERGENCY_RESPONSE,
    Role.CLINICIAN: Purpose.TREATMENT,
    Role.PARAMEDIC: Purpose.TREATMENT,
    Role.PEER_SPECIALIST: Purpose.CARE_COORDINATION,
    Role.CASE_MANAGER: Purpose.CARE_COORDINATION,
    Role.SUPERVISOR: Purpose.TREATMENT,
    Role.PROGRAM_MANAGER: Purpose.OPERATIONS,
    Role.AGENCY_ADMIN: Purpose.OPERATIONS,
    Role.AUDITOR: Purpose.AUDIT,
}

# Agency kinds each recipient class covers.
CLASS_KINDS = {
    RecipientClass.TREATING_PROVIDERS: frozenset(
        {
            AgencyKind.BEHAVIORAL_HEALTH,
            AgencyKind.HOSPITAL,
            AgencyKind.COMMUNITY_PROVIDER,
            AgencyKind.EMS,
        }
    ),
    RecipientClass.CRISIS_RESPONDERS: frozenset(
        {
            AgencyKind.LAW_ENFORCEMENT,
            AgencyKind.EMS,
            AgencyKind.FIRE,
            AgencyKind.PSAP,
            AgencyKind.CRISIS_LINE_988,
            AgencyKind.BEHAVIORAL_HEALTH,
        }
    ),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    basis: str = ""  # ownership | agreement | consent | break_glass; "" when refused
    source_id: int | None = None  # the agreement, consent or break-glass opening relied on

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def loud(self) -> bool:
        """Shown only because of an emergency opening: the page must say so."""
        return self.basis == "break_glass"


@dataclass(frozen=True)
class _Terms:
    id: int
    label: str
    categories: frozenset[str]
    purposes: frozenset[str]


@dataclass(frozen=True)
class _Consent(_Terms):
    person_id: int
    from_agency_id: int
    to_agency_id: int | None
    to_class: str
    kind: str
    until: datetime | None


@dataclass
class Access:
    """A viewer's standing, loaded once: memberships, agreements in force, open break-glass."""

    user: object
    now: datetime
    memberships: list[Membership]
    agreements: dict[tuple[int, int], list[_Terms]]  # (from agency, to agency) -> terms
    partners: dict[int, frozenset[int]]  # viewer's agency -> agencies sharing a program with it
    grants: dict[int, BreakGlass]  # person id -> the open break-glass
    consents: dict[int, list[_Consent]] = field(default_factory=dict)  # loaded per person
    _consents_loaded: set[int] = field(default_factory=set)

    @property
    def agency_ids(self) -> set[int]:
        return {m.agency_id for m in self.memberships}

    def load_consents(self, person_ids: Iterable[int]) -> None:
        """The consents active now of these persons that name one of the viewer's agencies."""
        wanted = {pid for pid in person_ids if pid is not None} - self._consents_loaded
        if not wanted or not self.memberships:
            return
        self._consents_loaded |= wanted
        # Hand-written (coresponse.sql): the crisis alert asks this for every lookup, and the
        # ORM's building of the query cost more than the database's answer.
        ids = sorted(wanted)
        recipients, recipient_params = _recipient_sql(self)
        now = sql.param(_SIGNED_AT, self.now)
        with sql.cursor() as cursor:
            cursor.execute(
                f"SELECT {_CONSENT_COLUMNS} FROM {Consent._meta.db_table}"
                f" WHERE person_id IN ({sql.marks(ids)}) AND signed_at <= %s"
                " AND (revoked_at IS NULL OR revoked_at > %s)"
                " AND (expires_at IS NULL OR expires_at > %s)"
                f" AND ({recipients})",
                [*ids, now, now, now, *recipient_params],
            )
            rows = _read_consent(cursor.fetchall())
        for row in rows:
            c = dict(zip(_CONSENT_NAMES, row, strict=True))
            self.consents.setdefault(c["person"], []).append(
                _Consent(
                    id=c["id"],
                    label=f"consent {c['external_id']}",
                    categories=frozenset(c["categories"]),
                    purposes=frozenset(c["purposes"]),
                    person_id=c["person"],
                    from_agency_id=c["from_agency"],
                    to_agency_id=c["to_agency"],
                    to_class=c["to_class"],
                    kind=c["kind"],
                    until=c["expires_at"],
                )
            )


_CONSENT_NAMES = (
    "id", "external_id", "categories", "purposes", "person", "from_agency", "to_agency",
    "to_class", "kind", "expires_at",
)  # fmt: skip
_CONSENT_FIELDS = [Consent._meta.get_field(name) for name in _CONSENT_NAMES]
_CONSENT_COLUMNS = ", ".join(f.column for f in _CONSENT_FIELDS)
_read_consent = sql.reader(*_CONSENT_FIELDS)
_SIGNED_AT = Consent._meta.get_field("signed_at")


def access(user, *, now: datetime | None = None) -> Access:
    """The viewer's standing, cached on the user object for the request (or the command)."""
    cached = getattr(user, "_privacy_access", None)
    if cached is not None and now is None:
        return cached
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False):
        return Access(user, now, [], {}, {}, {})
    memberships = _memberships(user)
    agreements, partners = _agency_terms(frozenset(m.agency_id for m in memberships), now)
    grants = {}
    if any(m.role in BREAK_GLASS_ROLES for m in memberships):  # nobody else can have one
        grants = {g.person_id: g for g in _open_grants(user, now)}
    result = Access(user, now, memberships, agreements, partners, grants)
    user._privacy_access = result
    return result


_GRANT_FIELDS = list(BreakGlass._meta.concrete_fields)
_GRANTS_SQL = (
    f"SELECT {', '.join(f.column for f in _GRANT_FIELDS)} FROM {BreakGlass._meta.db_table}"
    " WHERE user_id = %s AND opened_at <= %s AND expires_at > %s"
)
_read_grant = sql.reader(*_GRANT_FIELDS)


def _open_grants(user, now: datetime) -> list[BreakGlass]:
    """The user's break-glass openings in force (hand-written: every request of a clinician,
    paramedic or supervisor asks, and there is almost never one)."""
    moment = sql.param(BreakGlass._meta.get_field("opened_at"), now)
    with sql.cursor() as cursor:
        cursor.execute(_GRANTS_SQL, [user.pk, moment, moment])
        rows = _read_grant(cursor.fetchall())
    names = [f.attname for f in _GRANT_FIELDS]
    return [BreakGlass.from_db(connection.alias, names, row) for row in rows]


# Agreements in force and program partnerships by the viewer's agencies: documents that change
# a few times a year, cached per process for TERMS_SECONDS (an agreement saved here clears the
# cache at once). Consents and break-glass are never cached: a revocation acts on the next read.
TERMS_SECONDS = 60
_terms: dict[tuple, tuple[float, dict, dict]] = {}
_terms_lock = threading.Lock()


def _agency_terms(agency_ids: frozenset[int], now: datetime) -> tuple[dict, dict]:
    today = timezone.localdate(now)
    key = (agency_ids, today)
    hit = _terms.get(key)
    if hit is not None and time.monotonic() - hit[0] < TERMS_SECONDS:
        return hit[1], hit[2]
    agreements: dict[tuple[int, int], list[_Terms]] = defaultdict(list)
    in_force = SharingAgreement.objects.filter(
        to_agency_id__in=agency_ids, effective_from__lte=today
    ).filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
    for a in in_force:
        agreements[(a.from_agency_id, a.to_agency_id)].append(
            _Terms(
                a.pk, f"the agreement “{a.title}”", frozenset(a.categories), frozenset(a.purposes)
            )
        )
    partners: dict[int, set[int]] = defaultdict(set)
    programs = Program.agencies.through.objects.filter(
        program__in=Program.agencies.through.objects.filter(agency_id__in=agency_ids).values(
            "program_id"
        )
    )
    members: dict[int, set[int]] = defaultdict(set)
    for program_id, agency_id in programs.values_list("program_id", "agency_id"):
        members[program_id].add(agency_id)
    for group in members.values():
        for agency_id in group & agency_ids:
            partners[agency_id] |= group
    result = (dict(agreements), {k: frozenset(v) for k, v in partners.items()})
    with _terms_lock:
        if len(_terms) > 1000:
            _terms.clear()
        _terms[key] = (time.monotonic(), *result)
    return result


def forget_terms() -> None:
    """An agreement or a program's partners changed: the next standing reads them again."""
    with _terms_lock:
        _terms.clear()


def forget(user) -> None:
    """Drop the cached standing (after a consent, agreement or break-glass change)."""
    if hasattr(user, "_privacy_access"):
        del user._privacy_access


def _memberships(user) -> list[Membership]:
    """The user's memberships in id order (the first is the primary one), each with its agency,
    left on the user as a prefetch would leave them (`user.memberships.all()` asks nothing
    more). One hand-written query: every request of every user starts here."""
    cache = user.__dict__.setdefault("_prefetched_objects_cache", {})
    if "memberships" in cache:
        return list(cache["memberships"])
    with sql.cursor() as cursor:
        cursor.execute(_MEMBERSHIPS_SQL, [user.pk])
        rows = _read_membership(cursor.fetchall())
    found = []
    cut = len(_MEMBERSHIP_FIELDS)
    for row in rows:
        membership = Membership.from_db(connection.alias, _MEMBERSHIP_NAMES, row[:cut])
        agency = Agency.from_db(connection.alias, _AGENCY_NAMES, row[cut:])
        Membership.agency.field.set_cached_value(membership, agency)
        Membership.user.field.set_cached_value(membership, user)
        found.append(membership)
    # What prefetch_related_objects leaves behind (django.db.models.query.prefetch_one_level).
    prefetched = user.memberships.all()
    prefetched._result_cache, prefetched._prefetch_done = found, True
    cache["memberships"] = prefetched
    return list(found)


_MEMBERSHIP_FIELDS = list(Membership._meta.concrete_fields)
_AGENCY_FIELDS = list(Agency._meta.concrete_fields)
_MEMBERSHIP_NAMES = [f.attname for f in _MEMBERSHIP_FIELDS]
_AGENCY_NAMES = [f.attname for f in _AGENCY_FIELDS]
_MEMBERSHIPS_SQL = (
    f"SELECT {', '.join(f'membership.{f.column}' for f in _MEMBERSHIP_FIELDS)},"
    f" {', '.join(f'agency.{f.column}' for f in _AGENCY_FIELDS)}"
    f" FROM {Membership._meta.db_table} AS membership"
    f" JOIN {Agency._meta.db_table} AS agency ON agency.id = membership.agency_id"
    " WHERE membership.user_id = %s ORDER BY membership.id"
)
_read_membership = sql.reader(*_MEMBERSHIP_FIELDS, *_AGENCY_FIELDS)


def active_consents(at: datetime):
    return Consent.objects.filter(signed_at__lte=at).filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=at),
        Q(expires_at__isnull=True) | Q(expires_at__gt=at),
    )


def _recipients(standing: Access) -> list[tuple[str, object, frozenset[int]]]:
    """Who a consent may name to reach the viewer, as (field, value, from agencies) terms: one of
    the viewer's agencies, a class one belongs to, or program partners (from those agencies)."""
    terms: list[tuple[str, object, frozenset[int]]] = []
    for m in standing.memberships:
        terms.append(("to_agency_id", m.agency_id, frozenset()))
        for cls, kinds in CLASS_KINDS.items():
            if m.agency.kind in kinds:
                terms.append(("to_class", cls, frozenset()))
        partners = standing.partners.get(m.agency_id, frozenset()) - {m.agency_id}
        if partners:
            terms.append(("to_class", RecipientClass.PROGRAM_PARTNERS, partners))
    return terms


def recipient_q(standing: Access) -> Q:
    """Consents whose recipient is one of the viewer's agencies, or a class one belongs to."""
    q = Q(pk__in=[])
    for name, value, partners in _recipients(standing):
        q |= (
            Q(**{name: value, "from_agency_id__in": sorted(partners)})
            if partners
            else Q(**{name: value})
        )
    return q


def _recipient_sql(standing: Access) -> tuple[str, list]:
    """recipient_q as SQL over the consent table's columns."""
    parts, params = ["1 = 0"], []
    for name, value, partners in _recipients(standing):
        if partners:
            parts.append(f"({name} = %s AND from_agency_id IN ({sql.marks(partners)}))")
            params.extend([value, *sorted(partners)])
        else:
            parts.append(f"{name} = %s")
            params.append(value)
    return " OR ".join(parts), params


def _covers(consent: _Consent, membership: Membership, standing: Access) -> bool:
    if consent.to_agency_id is not None:
        return consent.to_agency_id == membership.agency_id
    if consent.to_class == RecipientClass.PROGRAM_PARTNERS:
        partners = standing.partners.get(membership.agency_id, frozenset())
        return consent.from_agency_id in partners and consent.from_agency_id != membership.agency_id
    return membership.agency.kind in CLASS_KINDS.get(consent.to_class, frozenset())


def _role_refusal(role: str, category: str, police: bool) -> str:
    """Why this role may not see this category of a record its agency may hold ('' if it may)."""
    if category in OPERATIONAL_CATEGORIES:
        return ""
    if police:
        return f"police roles never see {DataCategory(category).label.lower()} without consent"
    if category == C.SUBSTANCE_USE:
        return (
            "" if role in PART2_ROLES else "42 CFR Part 2 substance-use record: treating staff only"
        )
    needed = MEDICAL_ROLES if category == C.MEDICAL else CLINICAL_ROLES
    return (
        ""
        if role in needed
        else f"{DataCategory(category).label.lower()} is not shown to your role"
    )


def decide(
    user,
    owner_agency_id: int | None,
    category: str,
    person_id: int | None = None,
    purpose: str | None = None,
) -> Decision:
    """May `user` see `category` of a record owned by `owner_agency_id`, and why."""
    if not getattr(user, "is_authenticated", False):
        return Decision(False, "not signed in")
    standing = access(user)
    if person_id is not None and person_id not in standing._consents_loaded:
        standing.load_consents([person_id])
    refusals: list[str] = []
    for m in standing.memberships:
        use = purpose or DEFAULT_PURPOSE.get(m.role, Purpose.OPERATIONS)
        decision = _decide_as(standing, m, owner_agency_id, category, person_id, use, refusals)
        if decision is not None:
            return decision
    if not standing.memberships:
        return Decision(False, "you have no role at any agency")
    return Decision(False, _most_telling(refusals, owner_agency_id, category))


def _decide_as(standing, m, owner, category, person_id, purpose, refusals) -> Decision | None:
    label = DataCategory(category).label.lower()
    if category == C.SUBSTANCE_USE and purpose == Purpose.CRIMINAL_INVESTIGATION:
        refusals.append(
            "42 CFR 2.12(d): substance-use records are never disclosed for a criminal "
            "investigation or charge"
        )
        return None
    police = m.agency.kind == AgencyKind.LAW_ENFORCEMENT
    role_refusal = _role_refusal(m.role, category, police)
    # 1. ownership
    if owner is not None and m.agency_id == owner:
        if not role_refusal:
            return Decision(True, f"{m.agency.name} holds this record ({label})", "ownership")
        refusals.append(role_refusal)
    # 2. a sharing agreement
    elif owner is not None and category != C.SUBSTANCE_USE and not role_refusal:
        for terms in standing.agreements.get((owner, m.agency_id), ()):
            if category in terms.categories and purpose in terms.purposes:
                return Decision(
                    True,
                    f"{terms.label} shares {label} with {m.agency.name} for "
                    f"{Purpose(purpose).label.lower()}",
                    "agreement",
                    terms.id,
                )
    # 3. the person's consent
    for consent in standing.consents.get(person_id, ()) if person_id is not None else ():
        if owner is not None and consent.from_agency_id != owner:
            continue
        if category not in consent.categories or purpose not in consent.purposes:
            continue
        if not _covers(consent, m, standing):
            continue
        if category == C.SUBSTANCE_USE and consent.kind != ConsentKind.PART2:
            refusals.append(
                "a general authorization is not a Part 2 consent: substance-use records need one"
            )
            continue
        until = f" until {timezone.localdate(consent.until):%b %-d, %Y}" if consent.until else ""
        return Decision(
            True,
            f"{consent.label} covers {label} for {m.agency.name}{until}",
            "consent",
            consent.id,
        )
    # 4. break-glass
    grant = standing.grants.get(person_id) if person_id is not None else None
    if grant is not None and not police and m.role in BREAK_GLASS_ROLES:
        if category != C.SUBSTANCE_USE or m.role in MEDICAL_STAFF:
            local = timezone.localtime(grant.expires_at)
            return Decision(
                True,
                f"EMERGENCY ACCESS: you opened this record with break-glass until {local:%H:%M}; "
                "an auditor will review it",
                "break_glass",
                grant.pk,
            )
        refusals.append(
            "42 CFR 2.51: break-glass opens substance-use records to medical staff only"
        )
    if category == C.SUBSTANCE_USE and owner != m.agency_id:
        refusals.append(
            "42 CFR Part 2: substance-use records need the person's Part 2 consent naming "
            "your agency"
        )
    elif police and category in CLINICAL_CATEGORIES:
        refusals.append(f"police roles never see {label} without the person's consent")
    elif role_refusal and owner != m.agency_id:
        refusals.append(role_refusal)
    return None


def _most_telling(refusals: list[str], owner, category) -> str:
    for prefix in ("42 CFR 2.12", "42 CFR 2.51", "a general", "42 CFR Part 2", "police"):
        for reason in refusals:
            if reason.startswith(prefix):
                return reason
    if refusals:
        return refusals[0]
    label = DataCategory(category).label.lower()
    if owner is None:
        return "no agency holds this record"
    return (
        f"the record belongs to another agency; no agreement or consent shares {label} with yours"
    )
