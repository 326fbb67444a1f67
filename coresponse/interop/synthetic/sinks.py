"""Where the generated rows go: a bundle in memory, or CSV files streamed to a folder."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from pathlib import Path

from .cedar import COLUMNS, TRUTH_COLUMNS, TRUTH_FILE


class MemorySink:
    """Collects the bundle as MemorySource takes it."""

    def __init__(self):
        self.files: dict[str, list[dict[str, str]]] = {name: [] for name in COLUMNS}
        self.identity_truth: list[dict[str, str]] = []

    def add(self, name: str, row: dict[str, str]) -> None:
        self.files[name].append(row)

    def truth(self, row: dict[str, str]) -> None:
        self.identity_truth.append(row)

    def close(self) -> None:
        pass


class CsvSink:
    """Streams each file to `directory` as it is generated, in the bundle's CSV dialect (the
    same bytes `write_bundle` writes: UTF-8, declared column order, \\n line ends). Files are
    written beside their final name and moved into place when complete."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.counts: dict[str, int] = {}
        self._open: dict[str, tuple] = {}
        for name, columns in (*COLUMNS.items(), (TRUTH_FILE, TRUTH_COLUMNS)):
            descriptor, temporary = tempfile.mkstemp(
                dir=self.directory, prefix=f".{name}.", suffix=".tmp"
            )
            handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            self._open[name] = (handle, writer, columns, temporary)
            self.counts[name] = 0

    def add(self, name: str, row: dict[str, str]) -> None:
        _, writer, columns, _ = self._open[name]
        writer.writerow([row[column] for column in columns])
        self.counts[name] += 1

    def truth(self, row: dict[str, str]) -> None:
        self.add(TRUTH_FILE, row)

    def close(self) -> None:
        for name, (handle, _, _, temporary) in self._open.items():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(temporary, self.directory / name)
        self._open = {}

    def abort(self) -> None:
        for handle, _, _, temporary in self._open.values():
            handle.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        self._open = {}
