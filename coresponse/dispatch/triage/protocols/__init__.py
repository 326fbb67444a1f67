"""The example protocols shipped with Coresponse, as TOML documents beside this file.

    load("star")                 # a name from EXAMPLES
    load("path/to/mine.toml")    # or a file of your own (.toml or .json)

docs/triage-protocols.md describes each one and the published program it is modelled on.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = {
    "star": "Street crisis team (STAR-like): civilian clinician and medic, low-risk calls",
    "cahoots": "Mobile crisis van (CAHOOTS-like): civilian, non-criminal crises, 24/7",
    "ride-along": "Ride-along co-responder: officer and clinician in one car, program hours",
    "on-call": "On-call clinician: deputies respond, clinician called out or by phone",
    "default": "Default screening by call-type category (Vera Institute taxonomy)",
}


def load(name_or_path: str | Path) -> dict:
    """An example protocol by name, or a protocol document from a .toml or .json file."""
    if str(name_or_path) in EXAMPLES:
        path = HERE / f"{name_or_path}.toml"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            names = ", ".join(EXAMPLES)
            raise FileNotFoundError(f"no protocol {str(name_or_path)!r}: a file, or one of {names}")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    return tomllib.loads(text)
