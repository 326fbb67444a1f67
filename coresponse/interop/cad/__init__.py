"""Calls from a city's CAD or open-data calls-for-service export (docs/cad-import.md).

    mapping = load_mapping("docs/cad-mappings/seattle.toml")
    report = import_calls("calls.csv", mapping, skip_bad=False, progress=True)

A mapping (mapping.py, TOML) names the export's columns; the reader (reader.py) checks every row
and reports each problem as FILE:LINE:COLUMN: reason; the loader (loader.py) upserts the calls
by external id, flags frequent callers and triages them, in one transaction; shares.py counts
what a protocol would do with a file, without writing anything.
"""

from .loader import CadImportError, ImportReport, frequent_flags, import_calls
from .mapping import Mapping, MappingError
from .mapping import load as load_mapping
from .reader import Checked, check

__all__ = [
    "CadImportError",
    "Checked",
    "ImportReport",
    "Mapping",
    "MappingError",
    "check",
    "frequent_flags",
    "import_calls",
    "load_mapping",
]
