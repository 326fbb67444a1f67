"""Synthetic data sets. `county`: Cedar County (the `coresponse seed --scenario county` data).

    from coresponse.interop.synthetic import generate, write
    bundle = generate(seed=42, scale=1.0)   # .files: the bundle as MemorySource takes it
                                            # .identity_truth: person_id -> human_id rows
    write("out/", seed=42, scale=10)         # streamed CSV files plus identity_truth.csv

`cad.write_export("calls.csv", "seattle")` writes the county's calls as a city's CAD export
(docs/cad-import.md). `roster.build()` adds what the bundle does not carry (users, teams,
shifts, directory, training, budgets) with the ORM.
"""

from .cedar import UNTIL
from .county import Generated, generate, write

__all__ = ["UNTIL", "Generated", "generate", "write"]
