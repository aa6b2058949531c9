from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from companion.clinical.escalation import (
    DEFAULT_CHAINS,
    Chain,
    EscalationState,
    Notify,
    Position,
    Step,
    Stop,
    StopReason,
    Target,
    Wait,
    new_ack_code,
    next_action,
)

T0 = datetime(2026, 4, 6, 2, 17, tzinfo=UTC)
ON_CALL = Target("oncall", "on_call_clinician")
BACKUP = Target("oncall", "backup_clinician")
DIRECTOR = Target("oncall", "medical_director")
NURSE = Target("oncall", "nurse_on_duty")
CARE_TEAM = Target("care_team", "patient")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def run(
    chain: Chain, *, after_hours: bool = False, start: datetime = T0
) -> tuple[list[tuple[Position, tuple[Target, ...], timedelta]], Stop]:
    """Drive a chain to its end, advancing the clock to each due time; (position, targets, at)."""
    state = EscalationState()
    now = start
    executed: list[tuple[Position, tuple[Target, ...], timedelta]] = []
    for _ in range(100):
        action = next_action(chain, state, now, after_hours=after_hours)
        if isinstance(action, Stop):
            return executed, action
        if isinstance(action, Wait):
            assert action.until > now
            now = action.until
            continue
        executed.append((action.position, action.targets, now - start))
        state = EscalationState(action.position, action.next_due_at)
        if action.next_due_at is None:
            now += minutes(1)
    raise AssertionError("the chain did not stop")


CRISIS_RUN = [
    (Position(1, 0), (ON_CALL,), minutes(0)),
    (Position(1, 1), (ON_CALL, BACKUP), minutes(5)),
    (Position(1, 2), (DIRECTOR,), minutes(15)),
    (Position(2, 0), (ON_CALL,), minutes(25)),
    (Position(2, 1), (ON_CALL, BACKUP), minutes(30)),
    (Position(2, 2), (DIRECTOR,), minutes(40)),
    (Position(3, 0), (ON_CALL,), minutes(50)),
    (Position(3, 1), (ON_CALL, BACKUP), minutes(55)),
    (Position(3, 2), (DIRECTOR,), minutes(65)),
]


@pytest.mark.parametrize(
    ("name", "after_hours", "expected"),
    [
        ("crisis", False, CRISIS_RUN),
        ("crisis", True, CRISIS_RUN),
        (
            "medical",
            False,
            [
                (Position(1, 0), (NURSE,), minutes(0)),
                (Position(1, 1), (NURSE, ON_CALL), minutes(5)),
                (Position(1, 2), (DIRECTOR,), minutes(15)),
                (Position(2, 0), (NURSE,), minutes(25)),
                (Position(2, 1), (NURSE, ON_CALL), minutes(30)),
                (Position(2, 2), (DIRECTOR,), minutes(40)),
                (Position(3, 0), (NURSE,), minutes(50)),
                (Position(3, 1), (NURSE, ON_CALL), minutes(55)),
                (Position(3, 2), (DIRECTOR,), minutes(65)),
            ],
        ),
        (
            "same_day",
            False,
            [
                (Position(1, 0), (CARE_TEAM,), minutes(0)),
                (Position(1, 1), (ON_CALL, BACKUP), minutes(60)),
                (Position(1, 2), (DIRECTOR,), minutes(70)),
                (Position(2, 1), (ON_CALL, BACKUP), minutes(80)),
                (Position(2, 2), (DIRECTOR,), minutes(90)),
                (Position(3, 1), (ON_CALL, BACKUP), minutes(100)),
                (Position(3, 2), (DIRECTOR,), minutes(110)),
            ],
        ),
        (
            "same_day",
            True,
            [
                (Position(1, 0), (ON_CALL,), minutes(0)),
                (Position(1, 1), (ON_CALL, BACKUP), minutes(60)),
                (Position(1, 2), (DIRECTOR,), minutes(70)),
                (Position(2, 1), (ON_CALL, BACKUP), minutes(80)),
                (Position(2, 2), (DIRECTOR,), minutes(90)),
                (Position(3, 1), (ON_CALL, BACKUP), minutes(100)),
                (Position(3, 2), (DIRECTOR,), minutes(110)),
            ],
        ),
        ("routine", False, []),
    ],
)
def test_whole_chain_from_start_to_end(
    name: str, after_hours: bool, expected: list[tuple[Position, tuple[Target, ...], timedelta]]
) -> None:
    executed, stop = run(DEFAULT_CHAINS[name], after_hours=after_hours)
    assert executed == expected
    assert stop == Stop("no_steps" if name == "routine" else "exhausted")
    positions = [position for position, _, _ in executed]
    assert len(positions) == len(set(positions))
    assert positions == list(DEFAULT_CHAINS[name].positions())


def test_the_last_step_says_the_chain_is_exhausted() -> None:
    chain = DEFAULT_CHAINS["crisis"]
    action = next_action(chain, EscalationState(Position(3, 1), T0), T0)
    assert action == Notify(Position(3, 2), (DIRECTOR,), None)
    assert next_action(chain, EscalationState(Position(3, 2), None), T0 + minutes(30)) == Stop("exhausted")


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        # A fresh alert: the first step at once.
        (EscalationState(), T0, Notify(Position(1, 0), (ON_CALL,), T0 + minutes(5))),
        # A fresh alert whose start was put off.
        (EscalationState(next_due_at=T0 + minutes(2)), T0, Wait(T0 + minutes(2))),
        # Not yet due.
        (EscalationState(Position(1, 0), T0 + minutes(5)), T0 + minutes(4), Wait(T0 + minutes(5))),
        # Due exactly now.
        (
            EscalationState(Position(1, 0), T0 + minutes(5)),
            T0 + minutes(5),
            Notify(Position(1, 1), (ON_CALL, BACKUP), T0 + minutes(15)),
        ),
        # After the last step of a pass, the next pass starts at the first step.
        (
            EscalationState(Position(1, 2), T0 + minutes(25)),
            T0 + minutes(25),
            Notify(Position(2, 0), (ON_CALL,), T0 + minutes(30)),
        ),
    ],
)
def test_next_action(state: EscalationState, now: datetime, expected: object) -> None:
    assert next_action(DEFAULT_CHAINS["crisis"], state, now) == expected


@pytest.mark.parametrize("position", [None, *DEFAULT_CHAINS["crisis"].positions()])
@pytest.mark.parametrize(
    ("acknowledged", "resolved", "reason"),
    [(True, False, "acknowledged"), (False, True, "resolved"), (True, True, "resolved")],
)
def test_ack_and_resolve_stop_the_climb(
    position: Position | None, acknowledged: bool, resolved: bool, reason: StopReason
) -> None:
    state = EscalationState(position, T0, acknowledged=acknowledged, resolved=resolved)
    assert next_action(DEFAULT_CHAINS["crisis"], state, T0 + timedelta(hours=5)) == Stop(reason)


def test_ack_part_way_stops_the_run() -> None:
    chain = DEFAULT_CHAINS["crisis"]
    first = next_action(chain, EscalationState(), T0)
    assert isinstance(first, Notify)
    second = next_action(chain, EscalationState(first.position, first.next_due_at), T0 + minutes(5))
    assert isinstance(second, Notify)
    acked = EscalationState(second.position, second.next_due_at, acknowledged=True)
    assert next_action(chain, acked, T0 + minutes(15)) == Stop("acknowledged")


def test_a_restart_resumes_where_the_escalation_was() -> None:
    # The alert carries the chain snapshot and its state as JSON; a new process reads them back.
    chain = DEFAULT_CHAINS["crisis"]
    stored = json.dumps(
        {
            "chain": chain.to_dict(),
            "position": {"pass_no": 2, "step_index": 1},
            "next_due_at": (T0 + minutes(40)).isoformat(),
        }
    )
    loaded = json.loads(stored)
    restored_chain = Chain.from_dict(loaded["chain"])
    state = EscalationState(Position(**loaded["position"]), datetime.fromisoformat(loaded["next_due_at"]))
    assert next_action(restored_chain, state, T0 + minutes(39)) == Wait(T0 + minutes(40))
    assert next_action(restored_chain, state, T0 + minutes(40)) == Notify(Position(2, 2), (DIRECTOR,), T0 + minutes(50))


def test_an_executed_step_is_never_repeated() -> None:
    chain = DEFAULT_CHAINS["crisis"]
    state = EscalationState(Position(1, 1), T0)
    # Asking twice before recording gives the same step; once recorded, the next one follows.
    first = next_action(chain, state, T0)
    assert first == next_action(chain, state, T0)
    assert isinstance(first, Notify)
    after = next_action(chain, EscalationState(first.position, T0), T0)
    assert isinstance(after, Notify)
    assert after.position != first.position
    assert after.position == Position(2, 0)


@pytest.mark.parametrize(
    ("last", "down_for", "expected_position", "expected_wait"),
    [
        (Position(1, 0), timedelta(hours=3), Position(1, 1), minutes(10)),
        (Position(1, 2), timedelta(days=2), Position(2, 0), minutes(5)),
        (Position(3, 1), timedelta(hours=1), Position(3, 2), None),
    ],
)
def test_after_long_downtime_only_the_next_step_runs(
    last: Position, down_for: timedelta, expected_position: Position, expected_wait: timedelta | None
) -> None:
    chain = DEFAULT_CHAINS["crisis"]
    now = T0 + down_for
    action = next_action(chain, EscalationState(last, T0), now)
    assert isinstance(action, Notify)
    assert action.position == expected_position
    assert action.next_due_at == (None if expected_wait is None else now + expected_wait)


@pytest.mark.parametrize("acknowledged", [False, True])
def test_routine_has_no_steps(acknowledged: bool) -> None:
    chain = DEFAULT_CHAINS["routine"]
    assert chain.steps == ()
    expected = Stop("acknowledged" if acknowledged else "no_steps")
    assert next_action(chain, EscalationState(acknowledged=acknowledged), T0) == expected


@pytest.mark.parametrize("name", sorted(DEFAULT_CHAINS))
def test_chains_round_trip_through_json(name: str) -> None:
    chain = DEFAULT_CHAINS[name]
    snapshot = json.loads(json.dumps(chain.to_dict()))
    assert Chain.from_dict(snapshot) == chain
    assert Chain.from_dict(snapshot).to_dict() == chain.to_dict()


def test_snapshot_format() -> None:
    assert DEFAULT_CHAINS["same_day"].to_dict()["steps"][0] == {
        "notify": [{"kind": "care_team", "value": "patient"}],
        "wait_seconds": 3600,
        "after_hours_notify": [{"kind": "oncall", "value": "on_call_clinician"}],
    }
    custom = Chain("custom", (Step((Target("staff", "17"),), timedelta(seconds=90.5)),), repeat=1)
    assert Chain.from_dict(json.loads(json.dumps(custom.to_dict()))) == custom


@pytest.mark.parametrize(
    ("after_hours", "first_targets"),
    [(False, (CARE_TEAM,)), (True, (ON_CALL,))],
    ids=["business-hours", "after-hours"],
)
def test_same_day_targets_depend_on_business_hours(after_hours: bool, first_targets: tuple[Target, ...]) -> None:
    chain = DEFAULT_CHAINS["same_day"]
    action = next_action(chain, EscalationState(), T0, after_hours=after_hours)
    assert action == Notify(Position(1, 0), first_targets, T0 + minutes(60))
    # Steps without after-hours targets page the same people at any hour.
    climb = next_action(chain, EscalationState(Position(1, 0), T0), T0 + minutes(60), after_hours=after_hours)
    assert isinstance(climb, Notify)
    assert climb.targets == (ON_CALL, BACKUP)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("oncall:on_call_clinician", ON_CALL),
        ("role:clinician", Target("role", "clinician")),
        ("staff:42", Target("staff", "42")),
        ("care_team:patient", CARE_TEAM),
    ],
)
def test_target_text_form(text: str, target: Target) -> None:
    assert Target.parse(text) == target
    assert str(target) == text


@pytest.mark.parametrize("text", ["pager:someone", "oncall", "oncall:", ":x"])
def test_bad_targets_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Target.parse(text)


def test_bad_chains_and_positions_are_refused() -> None:
    step = Step((ON_CALL,), minutes(5))
    with pytest.raises(ValueError):
        Chain("x", (step,), repeat=0)
    with pytest.raises(ValueError):
        Chain("x", (step,), repeat_from=1)
    with pytest.raises(ValueError):
        Step((), minutes(5))
    with pytest.raises(ValueError):
        Step((ON_CALL,), minutes(-1))
    with pytest.raises(ValueError):
        Target.from_dict({"kind": "phone", "value": "x"})
    crisis = DEFAULT_CHAINS["crisis"]
    for bad in (Position(4, 0), Position(0, 0), Position(1, 3)):
        with pytest.raises(ValueError):
            next_action(crisis, EscalationState(bad, T0), T0)
    with pytest.raises(ValueError):
        next_action(DEFAULT_CHAINS["same_day"], EscalationState(Position(2, 0), T0), T0)
    with pytest.raises(ValueError):
        next_action(crisis, EscalationState(), datetime(2026, 4, 6, 2, 17))


def test_new_ack_code() -> None:
    codes = [new_ack_code(random.Random(seed)) for seed in range(500)]
    assert all(len(code) == 4 and code.isdigit() and code[0] != "0" for code in codes)
    assert new_ack_code(random.Random(7)) == new_ack_code(random.Random(7))
    assert len(set(codes)) > 400


# How a step pages: its snapshot, read back, and what the step function hands on. A snapshot stored
# before voice pages existed has no "via" and pages by SMS.
@pytest.mark.parametrize(
    ("snapshot_via", "via", "written"),
    [
        (None, "sms", None),
        ("sms", "sms", None),
        ("voice", "voice", "voice"),
        ("both", "both", "both"),
    ],
)
def test_a_steps_via_round_trips_and_defaults_to_sms(snapshot_via: str | None, via: str, written: str | None) -> None:
    snapshot: dict[str, object] = {"notify": [{"kind": "oncall", "value": "on_call_clinician"}], "wait_seconds": 300}
    if snapshot_via is not None:
        snapshot["via"] = snapshot_via
    step = Step.from_dict(snapshot)
    assert step.via == via
    assert step.to_dict().get("via") == written
    chain = Chain("voice", (step,), repeat=1)
    action = next_action(chain, EscalationState(), T0)
    assert isinstance(action, Notify) and action.via == via


@pytest.mark.parametrize("via", ["phone", "SMS", "", "call"])
def test_an_unknown_via_is_refused(via: str) -> None:
    with pytest.raises(ValueError, match="pages by sms, voice, both"):
        Step((ON_CALL,), timedelta(minutes=5), via=via)  # type: ignore[arg-type]


def test_the_default_chains_page_by_sms() -> None:
    assert {step.via for chain in DEFAULT_CHAINS.values() for step in chain.steps} == {"sms"}
