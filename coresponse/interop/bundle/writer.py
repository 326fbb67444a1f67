"""Writing bundles to disk: the database's export, and any in-memory bundle (the seed's --out)."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Mapping
from operator import itemgetter
from pathlib import Path

from coresponse.field.models import EncounterNote
from coresponse.privacy.services import record

from .links import COLUMNS as LINK_COLUMNS
from .links import NAME as LINKS_FILE
from .links import export_rows as export_links
from .reader import cell_text
from .schema import FILES, SPECS, FileSpec, Ref, RefList


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    """Write one CSV file atomically: a temporary file beside it, then os.replace."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def export_bundle(directory) -> dict[str, int]:
    """Write all eight files of the database into `directory`; returns rows per file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    external: dict[str, dict[int, str]] = {}
    counts = {}
    for spec in FILES:
        rows, external[spec.name] = _export_rows(spec, external)
        write_csv(directory / spec.name, [c.name for c in spec.columns], rows)
        counts[spec.name] = len(rows)
    links = export_links(external["persons.csv"])
    write_csv(directory / LINKS_FILE, [c.name for c in LINK_COLUMNS], links)
    counts[LINKS_FILE] = len(links)
    detail = ", ".join(f"{name.removesuffix('.csv')}={n}" for name, n in counts.items())
    record(None, "export", object_type="bundle", detail=f"{directory}: {detail}")
    return counts


def _export_rows(spec: FileSpec, external: dict[str, dict[int, str]]):
    """The file's rows as formatted cells, ordered by external id, and its pk -> external id."""
    model = spec.model
    fields = ["pk"]
    sources = []  # per column: a function of the values_list tuple giving the stored value
    for column in spec.columns:
        if column.note:
            notes = dict(
                EncounterNote.objects.filter(category=column.note)
                .values_list("encounter_id", "text")
                .iterator(10_000)
            )
            sources.append(lambda stored, notes=notes: notes.get(stored[0]))
        elif isinstance(column.type, RefList):
            field = model._meta.get_field(column.field)
            through, names = field.remote_field.through, external[column.type.target]
            links = defaultdict(list)
            pairs = through.objects.values_list(
                f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
            )
            for owner, linked in pairs.iterator(10_000):
                links[owner].append(names[linked])
            sources.append(lambda stored, links=links: links.get(stored[0]))
        elif isinstance(column.type, Ref):
            fields.append(model._meta.get_field(column.field).attname)
            sources.append(_external_id(len(fields) - 1, external[column.type.target]))
        else:
            fields.append(column.field)
            sources.append(itemgetter(len(fields) - 1))
    plan = list(zip([c.format for c in spec.columns], sources, strict=True))
    rows, ids = [], {}
    for stored in model.objects.order_by().values_list(*fields).iterator(10_000):
        row = [fmt(source(stored)) for fmt, source in plan]
        rows.append(row)
        ids[stored[0]] = row[0]
    rows.sort(key=itemgetter(0))
    return rows, ids


def _external_id(index: int, names: dict[int, str]):
    return lambda stored: None if stored[index] is None else names[stored[index]]


def write_bundle(directory, mapping: Mapping[str, list[Mapping[str, str]]]) -> dict[str, int]:
    """Write an in-memory bundle (as MemorySource takes it) as CSV files; returns rows per file.

    Columns keep the declared order; a file without records gets the full header.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, records in mapping.items():
        keys = list(dict.fromkeys(key for record in records for key in record))
        spec = SPECS.get(name)
        header = keys
        if spec is not None:
            header = [c.name for c in spec.columns if c.name in keys or not records]
            header += [key for key in keys if key not in spec.by_name]
        rows = ([cell_text(record.get(key)) for key in header] for record in records)
        write_csv(directory / name, header, rows)
        counts[name] = len(records)
    return counts
