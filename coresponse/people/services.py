"""Every write of person records and identity links.

Person records: `create_person` / `update_person` keep the blocking keys (people.normalize) and
have the record linked by the background worker once the transaction commits. Bulk writers (the
bundle import) call `keys_for` per row and `link_later` with the ids they wrote.

Identity links: `write_links` stores what a linkage run found (auto-linked above the model's
upper threshold, queued for review between the thresholds, removed below), never touching a
pair a person decided. `decide`, `split` and `join` are the reviewer's decisions. Audit events
are written by the callers in the layers above (the review pages, the `link` command), which
know who acts and may import the privacy layer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from coresponse.bulk import LOOKUP_BATCH, Upsert
from coresponse.people import normalize
from coresponse.people.models import (
    DECIDED_STATUSES,
    IdentityLink,
    LinkModel,
    LinkSource,
    LinkStatus,
    Person,
)

logger = logging.getLogger(__name__)

LINK_TASK_BATCH = 500  # person ids per background linking task
WRITE_BATCH = 5_000


# --- person records ----------------------------------------------------------------------------


def keys_for(first_name, last_name, dob, phone, address) -> dict[str, str]:
    """The blocking-key fields of a record with these values."""
    values = normalize.person_keys(first_name, last_name, dob, phone, address)
    return dict(zip(normalize.KEY_FIELDS, values, strict=True))


def apply_keys(person: Person) -> None:
    for name, value in keys_for(
        person.first_name, person.last_name, person.dob, person.phone, person.address
    ).items():
        setattr(person, name, value)


def link_later(person_ids: Iterable[int]) -> None:
    """Once the current transaction commits, have the worker link these records (in batches)."""
    ids = sorted(set(person_ids))
    if not ids:
        return
    from coresponse.people.tasks import link_persons

    def enqueue(batch):
        link_persons.enqueue(batch, timezone.now().isoformat())

    for start in range(0, len(ids), LINK_TASK_BATCH):
        batch = ids[start : start + LINK_TASK_BATCH]
        transaction.on_commit(lambda batch=batch: enqueue(batch))


@transaction.atomic
def create_person(**fields) -> Person:
    """A new person record (fields as on Person; an external id is made when none is given);
    linked to the other agencies' records of the same human within seconds of the commit."""
    person = Person(**fields)
    if not person.external_id:  # a record made here, not imported: an id of its own
        person.external_id = f"{person.agency.external_id}-{uuid.uuid4().hex[:12]}"
    apply_keys(person)
    person.full_clean()
    person.save()
    link_later([person.pk])
    return person


@transaction.atomic
def update_person(person: Person, **changes) -> Person:
    """Change a record's fields; its keys follow, and it is linked again if identifying data
    changed."""
    identifying = {"first_name", "last_name", "dob", "phone", "address", "sex"}
    changed = {name for name, value in changes.items() if getattr(person, name) != value}
    for name, value in changes.items():
        setattr(person, name, value)
    apply_keys(person)
    person.save()
    if changed & identifying:
        link_later([person.pk])
    return person


def refresh_keys(person_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored keys of these records (all when None); returns how many changed."""
    persons = Person.objects.order_by("id")
    if person_ids is not None:
        ids = sorted(set(person_ids))
        chunks = [ids[i : i + LOOKUP_BATCH] for i in range(0, len(ids), LOOKUP_BATCH)]
    else:
        chunks = [None]
    fields = ["id", *normalize.KEY_SOURCES, *normalize.KEY_FIELDS]
    keys_at = 1 + len(normalize.KEY_SOURCES)
    changed = []
    for chunk in chunks:
        rows = persons if chunk is None else persons.filter(id__in=chunk)
        for values in rows.values_list(*fields).iterator(chunk_size=10_000):
            pk, sources, stored = values[0], values[1:keys_at], values[keys_at:]
            keys = normalize.person_keys(*sources)
            if tuple(keys) != tuple(stored):
                changed.append([*keys, pk])
    assignments = ", ".join(f"{name} = %s" for name in normalize.KEY_FIELDS)
    sql = f"UPDATE {Person._meta.db_table} SET {assignments} WHERE id = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(changed), WRITE_BATCH):
            cursor.executemany(sql, changed[start : start + WRITE_BATCH])
    return len(changed)


# --- models ------------------------------------------------------------------------------------


@transaction.atomic
def save_model(parameters: dict, *, backend: str, auto_threshold: float, review_threshold: float,
               records: int, summary: dict) -> LinkModel:  # fmt: skip
    """Store a newly trained model as the next version."""
    last = LinkModel.objects.select_for_update().order_by("-version").first()
    return LinkModel.objects.create(
        version=(last.version + 1) if last else 1,
        created_at=timezone.now(),
        backend=backend,
        parameters=parameters,
        auto_threshold=auto_threshold,
        review_threshold=review_threshold,
        records=records,
        summary=summary,
    )


# --- links found by the model ------------------------------------------------------------------


@dataclass
class Written:
    """What a write of links did, by outcome."""

    created: dict[str, int] = field(default_factory=lambda: {"auto": 0, "review": 0})
    updated: int = 0
    removed: int = 0
    kept_decisions: int = 0  # pairs the model scored that a person had already decided

    def as_dict(self) -> dict:
        return {
            "created": dict(self.created),
            "updated": self.updated,
            "removed": self.removed,
            "kept_decisions": self.kept_decisions,
        }


def _canonical(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def write_links(
    found: Iterable[tuple[int, int, float, list]],
    model: LinkModel | None,
    *,
    auto_threshold: float,
    review_threshold: float,
    source: str = LinkSource.BATCH,
    scope: set[int] | None = None,
    within: bool = False,
) -> Written:
    """Store scored pairs (a, b, probability, weights) as links.

    At or above `auto_threshold` a pair is linked automatically, from `review_threshold` up it
    waits for review, below it nothing is stored. A pair a person confirmed or rejected is never
    changed. Automatic and queued links the run no longer finds are removed: among all links
    when `scope` is None (a batch over every record); among links between two of `scope`'s
    records when `within` (a batch over some agencies); else among links touching `scope`'s
    records (the records just linked again)."""
    now = timezone.now()
    result = Written()
    wanted: dict[tuple[int, int], tuple[str, float, list]] = {}
    for a, b, probability, weights in found:
        if a == b:
            continue
        if probability >= auto_threshold:
            status = LinkStatus.AUTO
        elif probability >= review_threshold:
            status = LinkStatus.REVIEW
        else:
            continue
        wanted[_canonical(a, b)] = (status, probability, weights)
    with transaction.atomic():
        existing = _existing_links(scope, set(wanted), within)
        inserts, updates, stale = [], [], []
        for pair, (link_id, status, _score) in existing.items():
            if pair not in wanted and status not in DECIDED_STATUSES:
                stale.append(link_id)
        for pair, (status, probability, weights) in wanted.items():
            stored = existing.get(pair)
            if stored is None:
                inserts.append((pair[0], pair[1], round(probability, 6), status, weights))
                result.created[status] += 1
            elif stored[1] in DECIDED_STATUSES:
                result.kept_decisions += 1
            elif stored[1] != status or abs(stored[2] - probability) > 1e-6:
                updates.append((stored[0], status, probability, weights))
        _insert_links(inserts, model, source, now)
        result.updated = _update_links(updates, model, source, now)
        for start in range(0, len(stale), LOOKUP_BATCH):
            deleted, _ = IdentityLink.objects.filter(
                id__in=stale[start : start + LOOKUP_BATCH],
                status__in=[LinkStatus.AUTO, LinkStatus.REVIEW],
            ).delete()
            result.removed += deleted
    return result


def _existing_links(scope: set[int] | None, pairs: set[tuple[int, int]], within: bool):
    """(a, b) -> (id, status, score) of the stored links a write must consider."""
    fields = ("person_a_id", "person_b_id", "id", "status", "score")
    found = {}
    if scope is None or within:
        rows = IdentityLink.objects.values_list(*fields).iterator(chunk_size=20_000)
        return {
            (a, b): (pk, status, score)
            for a, b, pk, status, score in rows
            if scope is None or (a in scope and b in scope) or (a, b) in pairs
        }
    ids = sorted(scope | {p for pair in pairs for p in pair})
    for start in range(0, len(ids), LOOKUP_BATCH):
        chunk = ids[start : start + LOOKUP_BATCH]
        for column in ("person_a_id__in", "person_b_id__in"):
            for a, b, pk, status, score in IdentityLink.objects.filter(
                **{column: chunk}
            ).values_list(*fields):
                if (a in scope or b in scope) or (a, b) in pairs:
                    found[(a, b)] = (pk, status, score)
    return found


def _insert_links(inserts, model, source, now) -> None:
    """New links (a, b, score, status, weights) in one stream (COPY on PostgreSQL); a pair
    another writer stored meanwhile is left as it is. A batch run writes hundreds of thousands,
    sharing a few thousand lists of weights: each list is encoded once."""
    fields = {f.name: f for f in IdentityLink._meta.concrete_fields}
    stamp = fields["updated_at"].get_db_prep_save(now, connection)
    encoded: dict[int, object] = {}

    def json(weights):
        value = encoded.get(id(weights))
        if value is None:
            value = encoded[id(weights)] = fields["weights"].get_db_prep_save(weights, connection)
        return value

    given = {"person_a": 0, "person_b": 1, "score": 2, "status": 3}
    writer = Upsert(IdentityLink, ["person_a", "person_b"], [])
    constant = {"model": model.pk if model else None, "source": source, "updated_at": stamp}
    plan = [
        (given.get(f.name), constant.get(f.name, writer.adapters[f.name])) for f in writer.fields
    ]
    weights_at = [f.name for f in writer.fields].index("weights")

    def rows():
        for insert in inserts:
            row = [insert[at] if at is not None else value for at, value in plan]
            row[weights_at] = json(insert[4])
            yield row

    if inserts:
        writer.execute(rows(), update=True)


def _update_links(updates, model, source, now) -> int:
    """Change score and status of undecided links only (a reviewer may have decided one since
    it was read: the WHERE keeps that decision)."""
    if not updates:
        return 0
    from django.db.models import JSONField

    table = IdentityLink._meta.db_table
    json = JSONField().get_db_prep_save
    sql = (
        f"UPDATE {table} SET score = %s, status = %s, model_id = %s, weights = %s, source = %s, "
        f"updated_at = %s WHERE id = %s AND status IN (%s, %s)"
    )
    stamp = IdentityLink._meta.get_field("updated_at").get_db_prep_save(now, connection)
    rows = [
        [round(p, 6), status, model.pk if model else None, json(weights, connection), source,
         stamp, pk, LinkStatus.AUTO.value, LinkStatus.REVIEW.value]
        for pk, status, p, weights in updates
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            cursor.executemany(sql, rows[start : start + WRITE_BATCH])
    return len(rows)


# --- reviewers' decisions ----------------------------------------------------------------------


class DecisionError(ValueError):
    """A decision that cannot be made (e.g. joining a record to itself)."""


@transaction.atomic
def decide(link: IdentityLink, status: str, user) -> IdentityLink:
    """A reviewer confirms or rejects a link; later runs of the linker keep the decision."""
    if status not in DECIDED_STATUSES:
        raise DecisionError(f"a reviewer confirms or rejects; {status!r} is neither")
    link = IdentityLink.objects.select_for_update().get(pk=link.pk)
    link.status = status
    link.decided_by = user if getattr(user, "is_authenticated", False) else None
    link.decided_at = link.updated_at = timezone.now()
    link.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return link


@transaction.atomic
def join(a: Person, b: Person, user) -> IdentityLink:
    """A reviewer says two records are one human (a confirmed link, made if the model had not
    proposed it)."""
    if a.pk == b.pk:
        raise DecisionError("a record is always one human with itself")
    first, second = _canonical(a.pk, b.pk)
    link, _ = IdentityLink.objects.get_or_create(
        person_a_id=first,
        person_b_id=second,
        defaults={
            "score": 1.0,
            "status": LinkStatus.CONFIRMED,
            "source": LinkSource.REVIEWER,
            "decided_at": timezone.now(),
        },
    )
    return decide(link, LinkStatus.CONFIRMED, user)


@transaction.atomic
def split(cluster_ids: Iterable[int], moved_ids: Iterable[int], user) -> list[IdentityLink]:
    """A reviewer splits a cluster: the `moved_ids` records are a different human from the rest
    of `cluster_ids`. Every link between the two groups is rejected (a rejection also keeps
    links through other records from joining them again); links inside each group stay."""
    cluster, moved = set(cluster_ids), set(moved_ids)
    if not moved or not moved < cluster:
        raise DecisionError("choose some, but not all, of the cluster's records to split off")
    rest = cluster - moved
    crossing = IdentityLink.objects.filter(
        person_a_id__in=cluster, person_b_id__in=cluster
    ).exclude(status=LinkStatus.REJECTED)
    changed = []
    for link in crossing.select_for_update():
        if (link.person_a_id in moved) != (link.person_b_id in moved):
            changed.append(decide(link, LinkStatus.REJECTED, user))
    # Two records left in different groups with no stored link between them: record the
    # rejection for one pair, so a later run cannot re-join the groups through a new link.
    if not changed:
        a, b = min(moved), min(rest)
        first, second = _canonical(a, b)
        link, _ = IdentityLink.objects.get_or_create(
            person_a_id=first,
            person_b_id=second,
            defaults={
                "score": 0.0,
                "status": LinkStatus.REJECTED,
                "source": LinkSource.REVIEWER,
                "decided_at": timezone.now(),
            },
        )
        changed.append(decide(link, LinkStatus.REJECTED, user))
    return changed


# --- incremental linking -----------------------------------------------------------------------

INCREMENTAL_CANDIDATES = 1_000  # per blocking key, when a saved record is linked


def link_records(person_ids: Iterable[int], saved_at: str | None = None) -> Written | None:
    """Link these records to every other record with the newest saved model, without a batch
    run: the candidates are the records sharing a blocking key (the batch's own rules, over
    the keys indexed on Person), scored in Python with the model's parameters. None when no
    model has been trained yet (`coresponse link` trains the first).

    `saved_at` (ISO time) is when the records were saved: a batch run that read the records
    after that already linked them, and nothing is done again."""
    from coresponse.people import matching
    from coresponse.people.linkage.records import PERSON_FIELDS, person_record

    row = LinkModel.objects.order_by("-version").first()
    if row is None:
        return None
    covered = row.summary.get("last_run", {}).get("read_at")
    if saved_at and covered and datetime.fromisoformat(covered) > datetime.fromisoformat(saved_at):
        return Written()
    model = matching.current_model()
    if model.version != row.version:
        model = matching.current_model(refresh=True)
    ids = sorted(set(person_ids))
    found = []
    for start in range(0, len(ids), LOOKUP_BATCH):
        chunk = Person.objects.filter(id__in=ids[start : start + LOOKUP_BATCH])
        for values in chunk.values(*PERSON_FIELDS):
            left = person_record(values)
            wanted = matching.record_keys(left)
            for person in matching.candidates(
                wanted, per_key=INCREMENTAL_CANDIDATES, exclude=[values["id"]]
            ):
                right = person_record({name: getattr(person, name) for name in PERSON_FIELDS})
                scored = model.score(left, right)
                if scored.probability >= model.review_threshold:
                    found.append((values["id"], person.pk, scored.probability, scored.weights()))
    return write_links(
        found,
        row,
        auto_threshold=row.auto_threshold,
        review_threshold=row.review_threshold,
        source=LinkSource.INCREMENTAL,
        scope=set(ids),
    )


# --- batch linking -----------------------------------------------------------------------------


@dataclass
class Run:
    """What one batch run did."""

    model: LinkModel
    records: int
    pairs: int  # pairs scored at or above the review threshold
    written: Written
    seconds: dict[str, float]
    read_at: str  # when the records were read (records saved before are linked)

    def as_dict(self) -> dict:
        return {
            "read_at": self.read_at,
            "model_version": self.model.version,
            "records": self.records,
            "pairs": self.pairs,
            "seconds": self.seconds,
            **self.written.as_dict(),
        }


def link_all(
    *,
    agency_ids: Iterable[int] | None = None,
    auto_threshold: float | None = None,
    review_threshold: float | None = None,
    backend: str | None = None,
    train: bool = True,
    u_pairs: float | None = None,
    say=lambda text: None,
) -> Run:
    """Link every record (of `agency_ids`, when given): estimate a new model version from the
    records themselves (or, with train=False, score with the newest saved one), score every
    candidate pair with Splink, and store the links (write_links)."""
    import time

    from coresponse.people import matching
    from coresponse.people.linkage import backends, engine
    from coresponse.people.linkage.model import (
        DEFAULT_AUTO_THRESHOLD,
        DEFAULT_REVIEW_THRESHOLD,
        Model,
    )
    from coresponse.people.linkage.records import person_records, to_arrow

    backend = backend or backends.configured()
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    read_at = timezone.now().isoformat()
    persons = Person.objects.all()
    if agency_ids is not None:
        persons = persons.filter(agency_id__in=list(agency_ids))
    table = to_arrow(person_records(persons))  # Splink's input, for training and prediction
    seconds["read"] = round(time.perf_counter() - began, 2)
    say(f"read {len(table):,} records in {seconds['read']:.1f} s")
    previous = LinkModel.objects.order_by("-version").first()
    auto = (
        auto_threshold
        if auto_threshold is not None
        else (previous.auto_threshold if previous else DEFAULT_AUTO_THRESHOLD)
    )
    review = (
        review_threshold
        if review_threshold is not None
        else (previous.review_threshold if previous else DEFAULT_REVIEW_THRESHOLD)
    )
    review = min(review, auto)
    if train or previous is None:
        began = time.perf_counter()
        options = {} if u_pairs is None else {"u_pairs": u_pairs}
        parameters, summary = engine.train(table, backend, **options)
        seconds["train"] = round(time.perf_counter() - began, 2)
        say(f"estimated the model (EM) in {seconds['train']:.1f} s")
        row = save_model(
            parameters,
            backend=backend,
            auto_threshold=auto,
            review_threshold=review,
            records=len(table),
            summary=summary.as_dict(),
        )
        matching.forget_model()
    else:
        row = previous
        row.auto_threshold, row.review_threshold = auto, review
    model = Model(row.parameters, version=row.version, pk=row.pk,
                  auto_threshold=auto, review_threshold=review)  # fmt: skip
    began = time.perf_counter()
    found = []
    evidence: dict[tuple[int, ...], list] = {}  # a few thousand combinations of levels at most
    for pair in engine.predict(table, model, backend, threshold=review):
        weights = evidence.get(pair.levels)
        if weights is None:
            weights = evidence[pair.levels] = model.scored(pair.levels).weights()
        found.append((pair.id_l, pair.id_r, pair.probability, weights))
    seconds["predict"] = round(time.perf_counter() - began, 2)
    say(f"scored {len(found):,} pairs at or above {review:g} in {seconds['predict']:.1f} s")
    began = time.perf_counter()
    scope = None if agency_ids is None else set(table.column("unique_id").to_pylist())
    written = write_links(found, row, auto_threshold=auto, review_threshold=review,
                          scope=scope, within=True)  # fmt: skip
    seconds["write"] = round(time.perf_counter() - began, 2)
    run = Run(row, len(table), len(found), written, seconds, read_at)
    row.summary = {**row.summary, "last_run": run.as_dict()}
    row.save(update_fields=["summary", "auto_threshold", "review_threshold"])
    return run
