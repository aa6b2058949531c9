"""Escalation chains as data, and the pure step function that walks an alert up its chain.

A :class:`Chain` is snapshotted onto an alert when the alert fires (:meth:`Chain.to_dict`), so
editing the clinic's protocol never changes a running escalation. The caller keeps an
:class:`EscalationState` on the alert: the last position it executed, when the following step is
due, and whether the alert was acknowledged or resolved. :func:`next_action` turns that state and
"now" into one :class:`Action`:

* :class:`Stop` when the alert is resolved or acknowledged, the chain has no steps, or the last
  step of the last pass has been executed;
* :class:`Wait` when the following step is not due yet;
* :class:`Notify` otherwise: notify the targets of the following position now, record that
  position and ``next_due_at`` on the alert, and call again later.

The function only ever returns the position after the one recorded, so a restart resumes where the
escalation was and an executed step is never executed again. After a long outage only the one
following step is executed, and the step after it is due its full wait from ``now``.

Positions: ``pass_no`` counts passes from 1 to ``chain.repeat``; ``step_index`` counts steps from
0. The first pass runs every step; later passes start at ``chain.repeat_from``.

How a step pages: ``via`` is ``"sms"`` (the default), ``"voice"`` (a phone call whose keypad
acknowledges) or ``"both"``. A snapshot without ``via`` pages by SMS, as every chain did before
voice pages existed.

Business hours: a step may name ``after_hours_notify``, targets used instead of ``notify`` when
the caller says the clinic is closed (``next_action(..., after_hours=True)``). The caller decides
that from the clinic's hours and time zone at the moment it executes the step.

Pure: no I/O and no clock reads.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, cast, get_args

__all__ = [
    "DEFAULT_CHAINS",
    "Action",
    "Chain",
    "EscalationState",
    "Notify",
    "Position",
    "Step",
    "Stop",
    "StopReason",
    "Target",
    "TargetKind",
    "Via",
    "Wait",
    "new_ack_code",
    "next_action",
]

TargetKind = Literal["oncall", "role", "staff", "care_team"]
StopReason = Literal["acknowledged", "resolved", "exhausted", "no_steps"]
Via = Literal["sms", "voice", "both"]

_TARGET_KINDS: frozenset[str] = frozenset(get_args(TargetKind))
VIAS: tuple[Via, ...] = get_args(Via)


@dataclass(frozen=True)
class Target:
    """Whom to notify: ``oncall:<rota>``, ``role:<role>``, ``staff:<id>`` or ``care_team:patient``."""

    kind: TargetKind
    value: str

    def __post_init__(self) -> None:
        if self.kind not in _TARGET_KINDS:
            raise ValueError(f"unknown target kind {self.kind!r}")
        if not self.value:
            raise ValueError("a target needs a value")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"

    @classmethod
    def parse(cls, text: str) -> Target:
        """``"oncall:on_call_clinician"`` -> ``Target("oncall", "on_call_clinician")``."""
        kind, sep, value = text.partition(":")
        if not sep:
            raise ValueError(f"a target is written kind:value, got {text!r}")
        if kind not in _TARGET_KINDS:
            raise ValueError(f"unknown target kind {kind!r}")
        return cls(cast(TargetKind, kind), value)

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        return cls(data["kind"], data["value"])


def _seconds(value: timedelta) -> int | float:
    seconds = value.total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


@dataclass(frozen=True)
class Step:
    """Notify these targets, then wait ``wait`` before the next step.

    ``after_hours_notify``, when set, replaces ``notify`` outside the clinic's business hours.
    ``via`` says how each person is paged: by SMS, by a voice call, or both.
    """

    notify: tuple[Target, ...]
    wait: timedelta
    after_hours_notify: tuple[Target, ...] | None = None
    via: Via = "sms"

    def __post_init__(self) -> None:
        if self.via not in VIAS:
            raise ValueError(f"a step pages by {', '.join(VIAS)}, not {self.via!r}")
        if not self.notify:
            raise ValueError("a step must notify someone")
        if self.after_hours_notify is not None and not self.after_hours_notify:
            raise ValueError("after_hours_notify, when given, must notify someone")
        if self.wait < timedelta(0):
            raise ValueError("a step's wait must not be negative")

    def targets(self, after_hours: bool = False) -> tuple[Target, ...]:
        """The targets to notify, given whether the clinic is closed."""
        if after_hours and self.after_hours_notify is not None:
            return self.after_hours_notify
        return self.notify

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "notify": [target.to_dict() for target in self.notify],
            "wait_seconds": _seconds(self.wait),
        }
        if self.after_hours_notify is not None:
            data["after_hours_notify"] = [target.to_dict() for target in self.after_hours_notify]
        if self.via != "sms":
            data["via"] = self.via  # left out for SMS, so a chain without voice pages snapshots as before
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        after_hours = data.get("after_hours_notify")
        return cls(
            notify=tuple(Target.from_dict(item) for item in data["notify"]),
            wait=timedelta(seconds=data["wait_seconds"]),
            after_hours_notify=None if after_hours is None else tuple(Target.from_dict(item) for item in after_hours),
            via=data.get("via", "sms"),
        )


@dataclass(frozen=True)
class Chain:
    """Steps run in order; after the last step the chain starts again, ``repeat`` passes in all.

    Every pass after the first starts at step ``repeat_from`` (0: the whole chain again).
    """

    name: str
    steps: tuple[Step, ...]
    repeat: int = 3
    repeat_from: int = 0

    def __post_init__(self) -> None:
        if self.repeat < 1:
            raise ValueError("a chain runs at least one pass")
        if self.steps and not 0 <= self.repeat_from < len(self.steps):
            raise ValueError("repeat_from must name one of the chain's steps")
        if not self.steps and self.repeat_from != 0:
            raise ValueError("a chain without steps cannot repeat from a step")

    def first_position(self) -> Position | None:
        """Where the chain starts, or None for a chain without steps."""
        return Position(1, 0) if self.steps else None

    def position_after(self, position: Position) -> Position | None:
        """The position that follows ``position``, or None when the chain is exhausted."""
        self._check(position)
        if position.step_index + 1 < len(self.steps):
            return Position(position.pass_no, position.step_index + 1)
        if position.pass_no < self.repeat:
            return Position(position.pass_no + 1, self.repeat_from)
        return None

    def positions(self) -> tuple[Position, ...]:
        """Every position of the chain, in the order they are executed."""
        found: list[Position] = []
        position = self.first_position()
        while position is not None:
            found.append(position)
            position = self.position_after(position)
        return tuple(found)

    def step_at(self, position: Position) -> Step:
        self._check(position)
        return self.steps[position.step_index]

    def _check(self, position: Position) -> None:
        if not 1 <= position.pass_no <= self.repeat:
            raise ValueError(f"pass {position.pass_no} is outside chain {self.name!r}")
        if not 0 <= position.step_index < len(self.steps):
            raise ValueError(f"step {position.step_index} is outside chain {self.name!r}")
        if position.pass_no > 1 and position.step_index < self.repeat_from:
            raise ValueError(f"pass {position.pass_no} of chain {self.name!r} has no step {position.step_index}")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready snapshot of the chain."""
        return {
            "name": self.name,
            "repeat": self.repeat,
            "repeat_from": self.repeat_from,
            "steps": [step.to_dict() for step in self.steps],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Chain:
        return cls(
            name=data["name"],
            steps=tuple(Step.from_dict(item) for item in data["steps"]),
            repeat=data.get("repeat", 3),
            repeat_from=data.get("repeat_from", 0),
        )


@dataclass(frozen=True)
class Position:
    """A place in a chain: pass ``pass_no`` (from 1), step ``step_index`` (from 0)."""

    pass_no: int
    step_index: int


@dataclass(frozen=True)
class EscalationState:
    """What the alert records: the last executed position and when the following step is due.

    A fresh alert has ``position=None``; its first step is due at once, or at ``next_due_at``
    when the caller sets one.
    """

    position: Position | None = None
    next_due_at: datetime | None = None
    acknowledged: bool = False
    resolved: bool = False


@dataclass(frozen=True)
class Notify:
    """Notify ``targets`` now (``via`` SMS, voice or both) and record ``position``; the following
    step is due at ``next_due_at`` (None: this was the chain's last step)."""

    position: Position
    targets: tuple[Target, ...]
    next_due_at: datetime | None
    via: Via = "sms"


@dataclass(frozen=True)
class Wait:
    """Nothing to do before ``until``."""

    until: datetime


@dataclass(frozen=True)
class Stop:
    """The escalation is over."""

    reason: StopReason


Action: TypeAlias = Notify | Wait | Stop


def next_action(chain: Chain, state: EscalationState, now: datetime, *, after_hours: bool = False) -> Action:
    """The one thing to do for an alert at ``now`` (see the module docstring).

    Order of precedence: resolved, acknowledged, no steps, exhausted, not yet due, notify.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if state.resolved:
        return Stop("resolved")
    if state.acknowledged:
        return Stop("acknowledged")
    if not chain.steps:
        return Stop("no_steps")
    if state.position is None:
        following = chain.first_position()
    else:
        following = chain.position_after(state.position)
    if following is None:
        return Stop("exhausted")
    if state.next_due_at is not None and now < state.next_due_at:
        return Wait(state.next_due_at)
    step = chain.step_at(following)
    then = chain.position_after(following)
    return Notify(
        position=following,
        targets=step.targets(after_hours),
        next_due_at=None if then is None else now + step.wait,
        via=step.via,
    )


def new_ack_code(rng: random.Random) -> str:
    """A 4-digit acknowledgement code for a staff page (``ACK 4821``).

    Codes run from 1000 to 9999, so none starts with a zero that a reply could drop. Pass a
    ``random.SystemRandom()`` in production; keeping codes unique among open alerts is the
    caller's job.
    """
    return str(rng.randint(1000, 9999))


def _targets(*texts: str) -> tuple[Target, ...]:
    return tuple(Target.parse(text) for text in texts)


_ON_CALL = "oncall:on_call_clinician"
_BACKUP = "oncall:backup_clinician"
_DIRECTOR = "oncall:medical_director"
_NURSE = "oncall:nurse_on_duty"

# After the medical director is paged the chain waits as long as it did for the backup
# clinician (10 minutes) before the next pass starts.
_CRISIS = Chain(
    name="crisis",
    steps=(
        Step(_targets(_ON_CALL), timedelta(minutes=5)),
        Step(_targets(_ON_CALL, _BACKUP), timedelta(minutes=10)),
        Step(_targets(_DIRECTOR), timedelta(minutes=10)),
    ),
    repeat=3,
)

_MEDICAL = Chain(
    name="medical",
    steps=(
        Step(_targets(_NURSE), timedelta(minutes=5)),
        Step(_targets(_NURSE, _ON_CALL), timedelta(minutes=10)),
        Step(_targets(_DIRECTOR), timedelta(minutes=10)),
    ),
    repeat=3,
)

# The care team in business hours (the on-call clinician after hours), 60 minutes to
# acknowledge, then the crisis climb from its second step; later passes repeat that climb and do
# not go back to the care team.
_SAME_DAY = Chain(
    name="same_day",
    steps=(
        Step(
            _targets("care_team:patient"),
            timedelta(minutes=60),
            after_hours_notify=_targets(_ON_CALL),
        ),
        _CRISIS.steps[1],
        _CRISIS.steps[2],
    ),
    repeat=3,
    repeat_from=1,
)

# Dashboard queue and daily digest only: nobody is paged.
_ROUTINE = Chain(name="routine", steps=(), repeat=1)

DEFAULT_CHAINS: Mapping[str, Chain] = MappingProxyType(
    {chain.name: chain for chain in (_CRISIS, _MEDICAL, _SAME_DAY, _ROUTINE)}
)
