"""Deciding many calls on the machine's other core while this process does something else.

    pending = decide_aside([(compiled, facts), ...])   # starts at once; facts: a list, or
                                                       # a function that builds it (called
                                                       # where the deciding happens)
    ...                                                # e.g. write the calls
    decisions = pending.result()                       # one list of Decisions per group
    # or, for storing many: the few distinct decisions, each call's index into them
    distinct, choices = pending.choices()              # choices: one sequence per group

An import has every call's facts in memory before it writes a row, so triage need not wait for
the write: a forked child reads the parent's facts and compiled protocols as they are (no
pickling of the input), decides, and sends back each call's index into the few distinct
decisions it made. Small batches, or a machine with one core, are decided in this process.

Nothing here touches Django or the database; the child never uses the parent's connections and
leaves through os._exit (multiprocessing's fork start), so it cannot close them.
"""

from __future__ import annotations

import multiprocessing
import os
from array import array
from collections.abc import Callable, Sequence
from typing import Protocol

from .engine import CallFacts, CompiledProtocol, Decision

ASIDE_MIN_CALLS = 20_000  # below this a fork costs more than it saves

Facts = Sequence[CallFacts] | Callable[[], Sequence[CallFacts]]
Groups = Sequence[tuple[CompiledProtocol, Facts]]


def _facts(facts: Facts) -> Sequence[CallFacts]:
    return facts() if callable(facts) else facts


class Pending(Protocol):
    def result(self) -> list[list[Decision]]: ...

    def choices(self) -> tuple[list[Decision], list[Sequence[int]]]: ...


class _Done:
    def __init__(self, decisions: list[list[Decision]]):
        self._decisions = decisions

    def result(self) -> list[list[Decision]]:
        return self._decisions

    def choices(self) -> tuple[list[Decision], list[Sequence[int]]]:
        position: dict[Decision, int] = {}
        out = []
        for decisions in self._decisions:
            out.append([position.setdefault(d, len(position)) for d in decisions])
        return list(position), out


class _Child:
    def __init__(self, groups: Groups):
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(groups, send), daemon=True)
        self._process.start()
        send.close()

    def choices(self) -> tuple[list[Decision], list[Sequence[int]]]:
        try:
            distinct, indices, sizes = self._receive.recv()
        except EOFError:
            self._process.join()
            raise RuntimeError(
                f"the triage process ended without an answer (exit code {self._process.exitcode})"
            ) from None
        finally:
            self._receive.close()
        self._process.join()
        out, start = [], 0
        for size in sizes:
            out.append(indices[start : start + size])
            start += size
        return distinct, out

    def result(self) -> list[list[Decision]]:
        distinct, choices = self.choices()
        return [[distinct[i] for i in indices] for indices in choices]


def decide_aside(groups: Groups, calls: int | None = None) -> Pending:
    """Start deciding every group's facts with its protocol; `.result()` waits for them.
    `calls`: how many there are, when the facts are functions that build them."""
    if calls is None:
        calls = sum(len(facts) for _, facts in groups if not callable(facts))
    if calls < ASIDE_MIN_CALLS or (os.cpu_count() or 1) < 2 or not _can_fork():
        return _Done([compiled.decide_many(_facts(facts)) for compiled, facts in groups])
    return _Child(groups)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(groups: Groups, send) -> None:
    """Decide, then send (distinct decisions, each call's index into them)."""
    position: dict[Decision, int] = {}
    distinct: list[Decision] = []
    indices = array("I")
    sizes = []
    for compiled, facts in groups:
        start = len(indices)
        for decision in compiled.decide_many(_facts(facts)):
            index = position.get(decision)
            if index is None:
                index = position[decision] = len(distinct)
                distinct.append(decision)
            indices.append(index)
        sizes.append(len(indices) - start)
    send.send((distinct, indices, sizes))
    send.close()
