"""The exchange bundle: a folder of CSV files in, the same format out.

    report = import_bundle(DirectorySource("bundle/"))       # or MemorySource({...})
    counts = export_bundle("out/")

The import checks every row of every file before it writes anything, then upserts by external
id in one transaction. Format: docs/exchange-format.md.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from dataclasses import dataclass, field

from tqdm import tqdm

from .loader import load
from .reader import DirectorySource, MemorySource, check
from .schema import FILES, SPECS, BundleError, Problem
from .writer import export_bundle, write_bundle

__all__ = [
    "FILES",
    "SPECS",
    "BundleError",
    "DirectorySource",
    "ImportReport",
    "MemorySource",
    "Problem",
    "export_bundle",
    "import_bundle",
    "write_bundle",
]


@dataclass
class ImportReport:
    rows: dict[str, int] = field(default_factory=dict)  # rows imported, per file
    created: dict[str, int] = field(default_factory=dict)  # of which new records, per file
    seconds: float = 0.0
    ignored: list[str] = field(default_factory=list)  # files that are not bundle files

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def __str__(self) -> str:
        parts = [f"{name}: {n} ({self.created.get(name, 0)} new)" for name, n in self.rows.items()]
        return f"Imported {self.total} rows in {self.seconds:.1f} s — " + (
            "; ".join(parts) or "no files"
        )


def import_bundle(source, *, progress: bool = False) -> ImportReport:
    """Check and import a bundle; raises BundleError (nothing written) on any problem.

    `source` is a DirectorySource, a MemorySource, or a folder path. With `progress`, a bar on
    stderr (only when it is a terminal) shows the checking and writing of the rows.
    """
    if isinstance(source, str | os.PathLike):
        source = DirectorySource(source)
    started = time.perf_counter()
    disable = None if progress else True  # None: tqdm shows itself only on a terminal
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of live rows: cyclic collection would be most of the time
    try:
        with _bar("checking", disable) as bar:
            bundle = check(source, advance=bar.update)
        with _bar("writing", disable, total=bundle.total_rows) as bar:
            rows, created = load(bundle, advance=bar.update)
    finally:
        if collecting:
            gc.enable()
    return ImportReport(rows, created, time.perf_counter() - started, bundle.ignored)


def _bar(label: str, disable, total=None) -> tqdm:
    return tqdm(
        desc=label, total=total, unit=" rows", unit_scale=True, file=sys.stderr, disable=disable
    )
