"""What a protocol would have done with a city's calls: `coresponse triage FILE --mapping M
--protocol P`, the number a program needs to size itself.

Nothing is written. The export is read through its mapping (reader.check), every call is decided
with CompiledProtocol.decide_many, and the decisions are counted overall, by call type and by
hour of week (Monday 00 to Sunday 23, in the export's local time: the mapping's time_zone).
Frequent callers are found within the file, by intake's rule and settings.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from coresponse.dispatch.models import Recommendation, TriageProtocol
from coresponse.dispatch.triage import protocols
from coresponse.dispatch.triage.engine import (
    CallFacts,
    CompiledProtocol,
    call_flags,
    compile_protocol,
)

from .loader import frequent_flags
from .reader import Checked

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ORDER = [value for value, _ in Recommendation.choices]


@dataclass
class ProtocolChoice:
    compiled: CompiledProtocol
    origin: str  # how --protocol was resolved, for the report


def resolve_protocol(name: str, zone) -> ProtocolChoice:
    """--protocol: a file, else a protocol in the database (its newest version), else an
    example shipped with Coresponse. Raises LookupError saying what exists."""
    path = Path(name)
    if path.is_file():
        document = protocols.load(path)
        return ProtocolChoice(compile_protocol(document, tz=zone), f"file {path}")
    stored = TriageProtocol.objects.filter(external_id=name).select_related("program").first()
    if stored is not None:
        version = stored.versions.order_by("-number").first()
        if version is None:
            raise LookupError(f"protocol {name!r} has no version yet")
        hours = stored.program.service_hours if stored.program else None
        compiled = compile_protocol(
            version.document, version=version.number, service_hours=hours or None, tz=zone
        )
        return ProtocolChoice(compiled, f"protocol {name!r} v{version.number} in the database")
    if name in protocols.EXAMPLES:
        return ProtocolChoice(compile_protocol(protocols.load(name), tz=zone), f"example {name!r}")
    stored_ids = list(TriageProtocol.objects.values_list("external_id", flat=True)[:20])
    raise LookupError(
        f"no protocol {name!r}: give a .toml or .json file, a protocol id in the database"
        f" ({', '.join(stored_ids) or 'none yet'}) or an example ({', '.join(protocols.EXAMPLES)})"
    )


@dataclass
class Shares:
    path: str
    protocol: str
    origin: str
    zone: str
    calls: int = 0
    skipped: int = 0
    overall: Counter = field(default_factory=Counter)
    by_type: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_hour: list[Counter] = field(default_factory=lambda: [Counter() for _ in range(168)])

    @property
    def recommendations(self) -> list[str]:
        """The recommendations that occur, in the order of dispatch.models.Recommendation."""
        return [r for r in ORDER if self.overall[r]] + sorted(
            r for r in self.overall if r not in ORDER
        )


def compute(checked: Checked, choice: ProtocolChoice) -> Shares:
    mapping = checked.mapping
    zone = mapping.zone
    fields = {name: index for index, name in enumerate(checked.fields)}
    rows = checked.rows
    flags = frequent_flags(checked, known=()) if "caller_phone" in fields else None
    get = _getter(fields)
    facts = [
        CallFacts(
            get(values, "call_type"),
            get(values, "priority"),
            get(values, "narrative") or "",
            get(values, "received_at"),
            get(values, "source") or "",
            call_flags(flags is not None and flags[index]),
        )
        for index, values in enumerate(rows)
    ]
    decisions = choice.compiled.decide_many(facts)
    shares = Shares(
        checked.path,
        choice.compiled.ref,
        choice.origin,
        mapping.time_zone,
        calls=len(rows),
        skipped=checked.bad_rows,
    )
    for fact, decision in zip(facts, decisions, strict=True):
        recommendation = decision.recommendation
        shares.overall[recommendation] += 1
        shares.by_type[fact.call_type][recommendation] += 1
        local = fact.received_at.astimezone(zone)
        shares.by_hour[local.weekday() * 24 + local.hour][recommendation] += 1
    return shares


def _getter(fields: dict[str, int]):
    def get(values, name):
        index = fields.get(name)
        return None if index is None else values[index]

    return get


# --- output --------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def as_json(shares: Shares) -> str:
    names = shares.recommendations

    def breakdown(counter: Counter) -> dict:
        total = sum(counter.values())
        return {
            name: {"calls": counter[name], "share": round(_share(counter[name], total), 6)}
            for name in names
        }

    document = {
        "file": shares.path,
        "protocol": shares.protocol,
        "protocol_source": shares.origin,
        "time_zone": shares.zone,
        "calls": shares.calls,
        "skipped_rows": shares.skipped,
        "overall": breakdown(shares.overall),
        "by_call_type": [
            {"call_type": call_type, "calls": sum(c.values()), "recommendations": breakdown(c)}
            for call_type, c in _types_by_volume(shares)
        ],
        "by_hour_of_week": [
            {
                "hour_of_week": _label(index),
                "day": DAYS[index // 24],
                "hour": index % 24,
                "calls": sum(counter.values()),
                "recommendations": breakdown(counter),
            }
            for index, counter in enumerate(shares.by_hour)
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def as_csv(shares: Shares) -> str:
    """One row per (breakdown, group, recommendation): tidy data for a spreadsheet or R."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["breakdown", "group", "recommendation", "calls", "group_calls", "share"])
    names = shares.recommendations

    def rows(breakdown: str, group: str, counter: Counter) -> None:
        total = sum(counter.values())
        for name in names:
            share = f"{_share(counter[name], total):.6f}"
            writer.writerow([breakdown, group, name, counter[name], total, share])

    rows("overall", "", shares.overall)
    for call_type, counter in _types_by_volume(shares):
        rows("call_type", call_type, counter)
    for index, counter in enumerate(shares.by_hour):
        rows("hour_of_week", _label(index), counter)
    return out.getvalue()


def as_table(shares: Shares, top: int = 30) -> str:
    names = shares.recommendations
    labels = dict(Recommendation.choices)
    lines = [
        f"{shares.path}: {shares.calls:,} calls triaged with {shares.protocol} ({shares.origin})",
    ]
    if shares.skipped:
        lines.append(f"{shares.skipped:,} bad rows left out (listed on stderr).")
    lines += ["", "Overall"]
    width = max([len(labels.get(n, n)) for n in names] + [14])
    lines.append(f"  {'recommendation':<{width}}  {'calls':>9}  {'share':>6}")
    for name in names:
        count = shares.overall[name]
        lines.append(
            f"  {labels.get(name, name):<{width}}  {count:>9,}  {_share(count, shares.calls):>6.1%}"
        )

    types = _types_by_volume(shares)
    shown = types if top <= 0 else types[:top]
    lines += ["", f"By call type ({len(types):,} call types, most calls first; share of each)"]
    type_width = min(44, max([len(t) for t, _ in shown] + [9]))
    columns = [max(len(n), 6) for n in names]
    lines.append(
        f"  {'call type':<{type_width}}  {'calls':>8}  "
        + "  ".join(f"{n:>{w}}" for n, w in zip(names, columns, strict=True))
    )
    for call_type, counter in shown:
        total = sum(counter.values())
        text = call_type if len(call_type) <= type_width else call_type[: type_width - 1] + "…"
        cells = "  ".join(
            f"{_share(counter[n], total):>{w}.1%}" for n, w in zip(names, columns, strict=True)
        )
        lines.append(f"  {text:<{type_width}}  {total:>8,}  {cells}")
    if len(shown) < len(types):
        rest = sum(sum(c.values()) for _, c in types[len(shown) :])
        lines.append(
            f"  ... {len(types) - len(shown):,} more call types ({rest:,} calls): "
            "--top 0 shows all, --format csv or json for tools"
        )

    counts = [sum(c.values()) for c in shares.by_hour]
    lines += [
        "",
        f"By hour of week ({shares.zone}): percent of the hour's calls; · no calls",
        f"  calls per hour: {min(counts):,} to {max(counts):,}",
    ]
    hours = "".join(f"{h:>4}" for h in (f"{h:02d}" for h in range(24)))
    for name in names:
        lines += ["", f"  {labels.get(name, name)} ({name})", f"     {hours}"]
        for day_index, day in enumerate(DAYS):
            cells = []
            for hour in range(24):
                counter = shares.by_hour[day_index * 24 + hour]
                total = sum(counter.values())
                cells.append(f"{round(100 * counter[name] / total):>4}" if total else "   ·")
            lines.append(f"  {day}{''.join(cells)}")
    return "\n".join(lines) + "\n"


def _types_by_volume(shares: Shares) -> list[tuple[str, Counter]]:
    return sorted(shares.by_type.items(), key=lambda item: (-sum(item[1].values()), item[0]))


def _label(index: int) -> str:
    return f"{DAYS[index // 24]} {index % 24:02d}"
