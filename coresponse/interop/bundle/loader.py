"""Writing a checked bundle: upserts by external_id, in one transaction, all or nothing.

Rows whose external_id is not stored yet are INSERTed; rows that exist are written with
INSERT ... ON CONFLICT (external_id) DO UPDATE, so a re-import updates in place and never
duplicates. Both run through executemany in batches; foreign keys are resolved with
external_id -> pk maps read after each file is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

from coresponse.bulk import BATCH, LOOKUP_BATCH, Upsert, large_sqlite_cache, stored_ids
from coresponse.field.models import EncounterNote
from coresponse.people.models import Person
from coresponse.people.services import link_later
from coresponse.privacy.policy import forget_terms
from coresponse.privacy.services import record

from .links import NAME as LINKS_FILE
from .links import load_links
from .reader import Bundle, ParsedFile
from .schema import FILES, Ref, RefList


def load(bundle: Bundle, advance: Callable[[int], object] = lambda n: None):
    """Write every file of `bundle`; returns (rows per file, records created per file)."""
    referenced = {
        column.type.target
        for pf in bundle.files.values()
        for column in pf.columns
        if isinstance(column.type, Ref)
    }
    pks: dict[str, dict[str, int]] = defaultdict(dict)
    for target, found in bundle.existing.items():
        pks[target].update(found)
    rows, created = {}, {}
    with transaction.atomic(), large_sqlite_cache():
        for name, pf in bundle.files.items():
            model = pf.spec.model
            ids = [values[0] for values in pf.rows]
            stored = stored_ids(model, ids)  # the rows that already exist: external_id -> pk
            _write(pf, pks, stored, advance)
            rows[name], created[name] = len(ids), len(ids) - len(stored)
            if name in referenced or any(c.note or isinstance(c.type, RefList) for c in pf.columns):
                pks[name].update(stored)
                pks[name].update(stored_ids(model, [i for i in ids if i not in stored]))
            for index, column in enumerate(pf.columns):
                if isinstance(column.type, RefList):
                    _replace_links(pf, index, column, pks)
                elif column.note:
                    _write_notes(pf, index, column.note, pks[name], stored)
        if "persons.csv" in bundle.files:  # linked by the worker once this commits
            person_ids = [values[0] for values in bundle.files["persons.csv"].rows]
            known = pks["persons.csv"]
            if not all(external_id in known for external_id in person_ids):
                known = stored_ids(Person, person_ids)
            link_later(known[external_id] for external_id in person_ids)
        if bundle.links is not None:
            persons = pks["persons.csv"]
            rows[LINKS_FILE], created[LINKS_FILE] = load_links(bundle.links, persons)
        counts = ", ".join(
            f"{name.removesuffix('.csv')}={rows[name]}"
            for name in [*(spec.name for spec in FILES), LINKS_FILE]
            if name in rows
        )
        record(None, "import", object_type="bundle", detail=f"{bundle.source}: {counts}")
    forget_terms()  # written behind the ORM: the policy's cached agreements are stale
    return rows, created


def _write(pf: ParsedFile, pks, stored: dict[str, int], advance) -> None:
    model = pf.spec.model
    given = {}  # model field name -> (row index, external id -> pk map for references)
    for index, column in enumerate(pf.columns):
        if not column.note and not isinstance(column.type, RefList):
            ids = pks[column.type.target] if isinstance(column.type, Ref) else None
            given[model._meta.get_field(column.field).name] = (index, ids)
    derived, sources = pf.spec.derived, None
    if derived is not None:  # fields computed from the row (a person's blocking keys)
        position = {column.name: index for index, column in enumerate(pf.columns)}
        sources = [position[name] for name in derived.inputs]
        for index, name in enumerate(derived.fields):
            given[name] = (-1 - index, None)
    writer = Upsert(model, ["external_id"], [name for name in given if name != "external_id"])
    plan = []
    for field in writer.fields:
        index, ids = given.get(field.name, (None, None))
        plan.append((index, ids, writer.adapters[field.name]))
    new, old = [], []
    for values in pf.rows:
        row = []
        if sources is not None:
            computed = derived.compute(*[values[i] for i in sources])
        for index, ids, adapt in plan:
            if index is None:  # a column the file does not have: `adapt` is the default
                row.append(adapt)
                continue
            if index < 0:  # a derived field
                row.append(computed[-1 - index])
                continue
            value = values[index]
            if value is not None:
                if ids is not None:
                    value = ids[value]
                elif adapt is not None:
                    value = adapt(value)
            row.append(value)
        batch = old if values[0] in stored else new
        batch.append(row)
        if len(batch) == BATCH:
            writer.execute(batch, update=batch is old)
            advance(len(batch))
            batch.clear()
    for batch, update in ((new, False), (old, True)):
        if batch:
            writer.execute(batch, update=update)
            advance(len(batch))


def _replace_links(pf: ParsedFile, index: int, column, pks) -> None:
    """Make each imported row's many-to-many set exactly the listed one (a diff, so that a
    re-import of the same bundle leaves the link rows untouched)."""
    field = pf.spec.model._meta.get_field(column.field)
    through = field.remote_field.through
    source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    own, targets = pks[pf.spec.name], pks[column.type.target]
    wanted = {(own[values[0]], targets[linked]) for values in pf.rows for linked in values[index]}
    owners = [own[values[0]] for values in pf.rows]
    existing = set()
    for start in range(0, len(owners), LOOKUP_BATCH):
        existing.update(
            through.objects.filter(**{f"{source}__in": owners[start : start + LOOKUP_BATCH]})
            .values_list(source, target)
            .iterator()
        )
    stale = defaultdict(list)
    for owner, linked in existing - wanted:
        stale[owner].append(linked)
    for owner, linked in stale.items():
        through.objects.filter(**{source: owner, f"{target}__in": linked}).delete()
    through.objects.bulk_create(
        [through(**{source: owner, target: linked}) for owner, linked in sorted(wanted - existing)],
        batch_size=BATCH,
    )


def _write_notes(pf: ParsedFile, index: int, category: str, own, stored) -> None:
    """One note per (encounter, category); a blank cell deletes the stored note. Encounters
    created by this import have no notes yet, so only stored ones are upserted or cleared."""
    writer = Upsert(EncounterNote, ["encounter", "category"], ["text"])
    names = [field.name for field in writer.fields]
    new, old, cleared = [], [], []
    for values in pf.rows:
        external_id, text = values[0], values[index]
        if not text:
            if external_id in stored:
                cleared.append(stored[external_id])
            continue
        note = {"encounter": own[external_id], "category": category, "text": text}
        batch = old if external_id in stored else new
        batch.append([note.get(name) for name in names])
        if len(batch) == BATCH:
            writer.execute(batch, update=batch is old)
            batch.clear()
    for batch, update in ((new, False), (old, True)):
        if batch:
            writer.execute(batch, update=update)
    for start in range(0, len(cleared), LOOKUP_BATCH):
        EncounterNote.objects.filter(
            category=category, encounter_id__in=cleared[start : start + LOOKUP_BATCH]
        ).delete()
