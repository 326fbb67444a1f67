"""Deciding many calls on the machine's other core while this process does something else.

    pending = decide_aside([(compiled, facts), ...])   # starts at once; facts: a list, or
                                                       # a function that builds it (called
                                                       # where the deciding happens)
    ...                                                # e.g. write the calls
    # the few distinct decisions, and each call's index into them (what an import stores)
    distinct, choices = pending.choices()              # choices: one sequence per group
    pending.also()                                     # what `also=` worked out there

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
    def choices(self) -> tuple[list[Decision], list[Sequence[int]]]: ...

    def also(self) -> object: ...


class _Done:
    def __init__(self, decisions: list[list[Decision]], also: object = None):
        self._decisions = decisions
        self._also = also

    def also(self) -> object:
        return self._also

    def choices(self) -> tuple[list[Decision], list[Sequence[int]]]:
        position: dict[Decision, int] = {}
        out = []
        for decisions in self._decisions:
            out.append([position.setdefault(d, len(position)) for d in decisions])
        return list(position), out


class _Child:
    def __init__(self, groups: Groups, also: Callable[[], object] | None):
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_child, args=(groups, also, send), daemon=True)
        self._process.start()
        send.close()
        self._answer: tuple | None = None

    def _answered(self) -> tuple:
        if self._answer is None:
            try:
                self._answer = self._receive.recv()
            except EOFError:
                self._process.join()
                code = self._process.exitcode
                raise RuntimeError(
                    f"the triage process ended without an answer (exit code {code})"
                ) from None
            finally:
                self._receive.close()
            self._process.join()
        return self._answer

    def also(self) -> object:
        return self._answered()[3]

    def choices(self) -> tuple[list[Decision], list[Sequence[int]]]:
        distinct, indices, sizes, _ = self._answered()
        out, start = [], 0
        for size in sizes:
            out.append(indices[start : start + size])
            start += size
        return distinct, out


def decide_aside(
    groups: Groups, calls: int | None = None, *, also: Callable[[], object] | None = None
) -> Pending:
    """Start deciding every group's facts with its protocol; `.choices()` waits for them.
    `calls`: how many there are, when the facts are functions that build them. `also`: called
    where the deciding happens, after it; its result (a picklable value) comes back as
    `.also()`: what the facts' builders worked out on the way (an import's frequent callers)."""
    if calls is None:
        calls = sum(len(facts) for _, facts in groups if not callable(facts))
    if calls < ASIDE_MIN_CALLS or (os.cpu_count() or 1) < 2 or not _can_fork():
        decisions = [compiled.decide_many(_facts(facts)) for compiled, facts in groups]
        return _Done(decisions, also() if also is not None else None)
    return _Child(groups, also)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _child(groups: Groups, also, send) -> None:
    """Decide, then send (distinct decisions, each call's index into them, also's result)."""
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
    send.send((distinct, indices, sizes, also() if also is not None else None))
    send.close()
