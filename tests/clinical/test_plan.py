from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from companion.clinical.localtime import QuietHours
from companion.clinical.plan import (
    DEFAULT_PLAN,
    MODALITIES,
    AftercarePlan,
    ModalityPlan,
    PatientTiming,
    PlannedPrompt,
    SessionInfo,
    plan_prompts,
    reminder_due,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")
NO_QUIET = QuietHours(time(0), time(0))

Row = tuple[str, str, str, str, int | None]


def at(tz: ZoneInfo, text: str) -> datetime:
    """A local wall time in ``tz`` as a UTC instant (test inputs never sit in a DST edge)."""
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


def local(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def rows(prompts: list[PlannedPrompt], tz: ZoneInfo) -> list[Row]:
    return [(p.instrument, p.slot, local(p.due_at, tz), local(p.expires_at, tz), p.session_id) for p in prompts]


def session(session_id: int, tz: ZoneInfo, start: str, hours: float | None = 2, modality: str = "iv") -> SessionInfo:
    started = at(tz, start)
    ended = None if hours is None else started + timedelta(hours=hours)
    return SessionInfo(session_id, started, ended, modality)


def day(text: str, offset: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=offset)).isoformat()


def plan_for(
    sessions: list[SessionInfo],
    tz: ZoneInfo = NEW_YORK,
    *,
    start: str = "2026-03-01 00:00",
    end: str = "2026-06-30 00:00",
    upcoming: list[SessionInfo] | None = None,
    plan: AftercarePlan = DEFAULT_PLAN,
    timing: PatientTiming | None = None,
    has_baseline: bool = True,
) -> list[PlannedPrompt]:
    return plan_prompts(
        sessions,
        upcoming or [],
        plan,
        timing or PatientTiming(tz),
        at(tz, start),
        at(tz, end),
        has_baseline,
    )


# One session on Monday 2026-04-06, 09:00-11:00 New York time, and nothing after it.
SINGLE_SESSION: list[Row] = [
    ("post_session", "post:1", "2026-04-06 14:00", "2026-04-07 14:00", 1),
    *[
        ("mood", f"mood:2026-04-{d:02d}", f"2026-04-{d:02d} 10:00", f"2026-04-{d + 1:02d} 00:00", 1)
        for d in range(7, 13)
    ],
    ("mood", "mood:2026-04-13", "2026-04-13 10:00", "2026-04-14 00:00", 1),
    ("phq9", "phq9:2026-04-13", "2026-04-13 10:00", "2026-04-15 10:00", 1),
    # Maintenance from day 8: every 3 days (days 10, 13, ... 28) until day 30.
    ("mood", "mood:2026-04-16", "2026-04-16 10:00", "2026-04-17 00:00", 1),
    ("mood", "mood:2026-04-19", "2026-04-19 10:00", "2026-04-20 00:00", 1),
    ("mood", "mood:2026-04-22", "2026-04-22 10:00", "2026-04-23 00:00", 1),
    ("mood", "mood:2026-04-25", "2026-04-25 10:00", "2026-04-26 00:00", 1),
    ("mood", "mood:2026-04-28", "2026-04-28 10:00", "2026-04-29 00:00", 1),
    ("mood", "mood:2026-05-01", "2026-05-01 10:00", "2026-05-02 00:00", 1),
    ("mood", "mood:2026-05-04", "2026-05-04 10:00", "2026-05-05 00:00", 1),
]


@pytest.mark.parametrize("hours", [2, None], ids=["ended", "end-not-recorded"])
@pytest.mark.parametrize("modality", [*MODALITIES, "unlisted"])
def test_single_session_for_each_modality(modality: str, hours: float | None) -> None:
    assert DEFAULT_PLAN.for_modality(modality) == ModalityPlan()
    prompts = plan_for([session(1, NEW_YORK, "2026-04-06 09:00", hours, modality)])
    assert rows(prompts, NEW_YORK) == SINGLE_SESSION


@pytest.mark.parametrize(
    ("modality", "post_due", "mood_days"),
    [
        ("oral", "2026-04-06 15:00", ["2026-04-07", "2026-04-08", "2026-04-09"]),
        ("iv", "2026-04-06 14:00", [day("2026-04-06", n) for n in range(1, 8)]),
    ],
)
def test_per_modality_overrides(modality: str, post_due: str, mood_days: list[str]) -> None:
    plan = AftercarePlan(
        default=ModalityPlan(),
        per_modality={
            "oral": ModalityPlan(post_session_delay=timedelta(hours=4), daily_mood_days=3, maintenance_until_days=0)
        },
    )
    prompts = plan_for([session(1, NEW_YORK, "2026-04-06 09:00", 2, modality)], plan=plan, end="2026-04-14")
    by_instrument = rows(prompts, NEW_YORK)
    assert [r[2] for r in by_instrument if r[0] == "post_session"] == [post_due]
    assert [r[1] for r in by_instrument if r[0] == "mood"] == [f"mood:{d}" for d in mood_days]


@pytest.mark.parametrize(
    ("second_start", "expected_owner"),
    [
        # Same day: one run, owned by the later session.
        ("2026-04-06 15:00", {**{day("2026-04-06", n): 2 for n in range(1, 8)}}),
        ("2026-04-07 09:00", {"2026-04-07": 1, **{day("2026-04-07", n): 2 for n in range(1, 8)}}),
        (
            "2026-04-08 09:00",
            {"2026-04-07": 1, "2026-04-08": 1, **{day("2026-04-08", n): 2 for n in range(1, 8)}},
        ),
        (
            "2026-04-11 09:00",
            {**{day("2026-04-06", n): 1 for n in range(1, 6)}, **{day("2026-04-11", n): 2 for n in range(1, 8)}},
        ),
    ],
    ids=["same-day", "1-day-apart", "2-days-apart", "5-days-apart"],
)
def test_sessions_close_together_give_one_mood_prompt_a_day(second_start: str, expected_owner: dict[str, int]) -> None:
    sessions = [session(1, NEW_YORK, "2026-04-06 09:00"), session(2, NEW_YORK, second_start)]
    last_daily = max(expected_owner)
    prompts = plan_for(sessions, end=f"{day(last_daily, 1)} 00:00")
    mood = [p for p in prompts if p.instrument == "mood"]
    assert {p.slot.removeprefix("mood:"): p.session_id for p in mood} == expected_owner
    assert len({p.due_at.astimezone(NEW_YORK).date() for p in mood}) == len(mood)
    assert [p.slot for p in prompts if p.instrument == "post_session"] == ["post:1", "post:2"]
    # The periodic PHQ-9 stays on the first session's weekly cadence.
    assert [p.slot for p in prompts if p.instrument == "phq9"] == ["phq9:2026-04-13"]


def test_sessions_two_days_apart_extend_the_plan_seven_days_after_the_later_one() -> None:
    sessions = [session(1, NEW_YORK, "2026-04-06 09:00"), session(2, NEW_YORK, "2026-04-08 09:00")]
    mood = [p for p in plan_for(sessions, end="2026-05-20 00:00") if p.instrument == "mood"]
    assert [(p.slot, p.session_id) for p in mood] == [
        ("mood:2026-04-07", 1),
        ("mood:2026-04-08", 1),
        *[(f"mood:2026-04-{d:02d}", 2) for d in range(9, 16)],
        # Maintenance counts from the later session: days 10, 13, ..., 28 after 2026-04-08.
        *[(f"mood:{day('2026-04-08', n)}", 2) for n in range(10, 29, 3)],
    ]


@pytest.mark.parametrize(
    ("tz", "session_start", "before", "before_utc", "change", "change_utc", "midnight_after_change_utc"),
    [
        (NEW_YORK, "2026-03-05 09:00", "2026-03-07", "15:00", "2026-03-08", "14:00", "2026-03-09 04:00"),
        (NEW_YORK, "2026-10-29 09:00", "2026-10-31", "14:00", "2026-11-01", "15:00", "2026-11-02 05:00"),
        (LONDON, "2026-03-26 09:00", "2026-03-28", "10:00", "2026-03-29", "09:00", "2026-03-29 23:00"),
        (LONDON, "2026-10-22 09:00", "2026-10-24", "09:00", "2026-10-25", "10:00", "2026-10-26 00:00"),
        (KOLKATA, "2026-03-05 09:00", "2026-03-07", "04:30", "2026-03-08", "04:30", "2026-03-08 18:30"),
    ],
    ids=["new-york-spring", "new-york-autumn", "london-spring", "london-autumn", "kolkata"],
)
def test_a_ten_oclock_prompt_stays_at_ten_across_dst(
    tz: ZoneInfo,
    session_start: str,
    before: str,
    before_utc: str,
    change: str,
    change_utc: str,
    midnight_after_change_utc: str,
) -> None:
    prompts = plan_for([session(1, tz, session_start)], tz, start="2026-01-01 00:00", end="2026-12-31 00:00")
    mood = {p.slot: p for p in prompts if p.instrument == "mood"}
    assert len(mood) == 14
    assert {p.due_at.astimezone(tz).time() for p in mood.values()} == {time(10)}
    assert mood[f"mood:{before}"].due_at == datetime.fromisoformat(f"{before} {before_utc}").replace(tzinfo=UTC)
    assert mood[f"mood:{change}"].due_at == datetime.fromisoformat(f"{change} {change_utc}").replace(tzinfo=UTC)
    expiry = datetime.fromisoformat(midnight_after_change_utc).replace(tzinfo=UTC)
    assert mood[f"mood:{change}"].expires_at == expiry


@pytest.mark.parametrize(
    ("tz", "preferred", "session_start", "mood_day", "expected_utc"),
    [
        # 02:30 does not exist on 2026-03-08 in New York: 03:30 EDT.
        (NEW_YORK, time(2, 30), "2026-03-06 09:00", "2026-03-07", "2026-03-07 07:30"),
        (NEW_YORK, time(2, 30), "2026-03-06 09:00", "2026-03-08", "2026-03-08 07:30"),
        (NEW_YORK, time(2, 30), "2026-03-06 09:00", "2026-03-09", "2026-03-09 06:30"),
        # 01:30 occurs twice on 2026-11-01 in New York: the first, 01:30 EDT.
        (NEW_YORK, time(1, 30), "2026-10-30 09:00", "2026-11-01", "2026-11-01 05:30"),
        (NEW_YORK, time(1, 30), "2026-10-30 09:00", "2026-11-02", "2026-11-02 06:30"),
        # London: 01:30 does not exist on 2026-03-29 (02:30 BST) and occurs twice on 2026-10-25.
        (LONDON, time(1, 30), "2026-03-27 09:00", "2026-03-29", "2026-03-29 01:30"),
        (LONDON, time(1, 30), "2026-10-23 09:00", "2026-10-25", "2026-10-25 00:30"),
    ],
)
def test_preferred_times_in_a_dst_gap_or_fold(
    tz: ZoneInfo, preferred: time, session_start: str, mood_day: str, expected_utc: str
) -> None:
    timing = PatientTiming(tz, preferred, NO_QUIET)
    prompts = plan_for([session(1, tz, session_start)], tz, start="2026-01-01", end="2026-12-31", timing=timing)
    due = {p.slot: p.due_at for p in prompts}
    assert due[f"mood:{mood_day}"] == datetime.fromisoformat(expected_utc).replace(tzinfo=UTC)


def test_a_patient_in_kolkata() -> None:
    prompts = plan_for([session(1, KOLKATA, "2026-04-06 14:00")], KOLKATA, end="2026-04-09 00:00")
    assert [(p.slot, p.due_at) for p in prompts] == [
        ("post:1", datetime(2026, 4, 6, 13, 30, tzinfo=UTC)),  # 19:00 IST
        ("mood:2026-04-07", datetime(2026, 4, 7, 4, 30, tzinfo=UTC)),  # 10:00 IST
        ("mood:2026-04-08", datetime(2026, 4, 8, 4, 30, tzinfo=UTC)),
    ]
    assert prompts[1].expires_at == datetime(2026, 4, 7, 18, 30, tzinfo=UTC)  # midnight IST


@pytest.mark.parametrize(
    ("tz", "quiet", "start", "hours", "due", "expires"),
    [
        # Ends 19:30 -> due 22:30, inside quiet hours -> 08:00 the next day; open 24 hours.
        (NEW_YORK, QuietHours(), "2026-04-06 17:30", 2, "2026-04-07 08:00", "2026-04-08 08:00"),
        (KOLKATA, QuietHours(), "2026-04-06 17:30", 2, "2026-04-07 08:00", "2026-04-08 08:00"),
        # Ends 15:00 -> due 18:00, outside quiet hours.
        (NEW_YORK, QuietHours(), "2026-04-06 13:00", 2, "2026-04-06 18:00", "2026-04-07 18:00"),
        # Ends 23:30 -> due 02:30 the next day -> 08:00 that same day.
        (NEW_YORK, QuietHours(), "2026-04-06 21:30", 2, "2026-04-07 08:00", "2026-04-08 08:00"),
        # Ends 17:30 -> due 20:30; open 24 hours (midnight would be 3.5 hours).
        (NEW_YORK, QuietHours(), "2026-04-06 15:30", 2, "2026-04-06 20:30", "2026-04-07 20:30"),
        # No recorded end: planned as two hours.
        (NEW_YORK, QuietHours(), "2026-04-06 10:00", None, "2026-04-06 15:00", "2026-04-07 15:00"),
        # On the 25-hour day the next midnight is later than 24 hours after 00:30.
        (NEW_YORK, NO_QUIET, "2026-10-31 19:30", 2, "2026-11-01 00:30", "2026-11-02 00:00"),
    ],
)
def test_post_session_check(
    tz: ZoneInfo, quiet: QuietHours, start: str, hours: float | None, due: str, expires: str
) -> None:
    timing = PatientTiming(tz, quiet=quiet)
    prompts = plan_for([session(7, tz, start, hours)], tz, start="2026-01-01", end="2026-12-31", timing=timing)
    post = [p for p in prompts if p.instrument == "post_session"]
    assert rows(post, tz) == [("post_session", "post:7", due, expires, 7)]


@pytest.mark.parametrize(
    ("preferred", "first_mood"),
    [
        (time(7, 0), ("mood:2026-04-07", "2026-04-07 08:00", "2026-04-08 00:00")),
        (time(8, 0), ("mood:2026-04-07", "2026-04-07 08:00", "2026-04-08 00:00")),
        (time(20, 59), ("mood:2026-04-07", "2026-04-07 20:59", "2026-04-08 00:00")),
        # The slot keeps the day the prompt belongs to; quiet hours hold it to the next morning.
        (time(22, 0), ("mood:2026-04-07", "2026-04-08 08:00", "2026-04-09 00:00")),
    ],
)
def test_mood_at_a_preferred_time_inside_quiet_hours(preferred: time, first_mood: tuple[str, str, str]) -> None:
    timing = PatientTiming(NEW_YORK, preferred)
    prompts = plan_for([session(1, NEW_YORK, "2026-04-06 09:00")], timing=timing)
    mood = [
        (p.slot, local(p.due_at, NEW_YORK), local(p.expires_at, NEW_YORK)) for p in prompts if p.instrument == "mood"
    ]
    assert mood[0] == first_mood
    assert len(mood) == len({slot for slot, _, _ in mood}) == 14


def test_maintenance_after_seven_days_without_a_session() -> None:
    prompts = plan_for([session(1, NEW_YORK, "2026-04-06 09:00")], start="2026-04-14 00:00", end="2026-06-30")
    assert rows(prompts, NEW_YORK) == SINGLE_SESSION[-7:]
    assert {p.instrument for p in prompts} == {"mood"}


def test_a_new_session_restarts_the_plan() -> None:
    sessions = [session(1, NEW_YORK, "2026-04-06 09:00"), session(2, NEW_YORK, "2026-04-18 09:00")]
    prompts = plan_for(sessions, start="2026-04-14 00:00", end="2026-06-30")
    assert [(p.instrument, p.slot, p.session_id) for p in prompts] == [
        ("mood", "mood:2026-04-16", 1),
        ("post_session", "post:2", 2),
        *[("mood", f"mood:2026-04-{d}", 2) for d in range(19, 25)],
        ("mood", "mood:2026-04-25", 2),
        # A new course: the weekly PHQ-9 counts from the session that restarted the plan.
        ("phq9", "phq9:2026-04-25", 2),
        *[("mood", f"mood:{day('2026-04-18', n)}", 2) for n in range(10, 29, 3)],
    ]


def test_questionnaires_follow_continuing_sessions() -> None:
    # Sessions every 5 days from 2026-04-06; the plan is active until 7 days after the last one.
    sessions = [session(n + 1, NEW_YORK, f"{day('2026-04-06', 5 * n)} 09:00") for n in range(4)]
    prompts = plan_for(sessions)
    mood_days = [p.slot.removeprefix("mood:") for p in prompts if p.instrument == "mood"]
    assert mood_days[:22] == [day("2026-04-06", n) for n in range(1, 23)]
    assert mood_days[22:] == [day("2026-04-21", n) for n in range(10, 29, 3)]
    # Day 7 and day 14 lie within 2 days of a session's eve (days 9 and 14): dropped.
    assert [p.slot for p in prompts if p.instrument == "phq9"] == ["phq9:2026-04-27"]
    assert [p.slot for p in prompts if p.instrument == "gad7"] == ["gad7:2026-04-20"]
    gad7 = next(p for p in prompts if p.instrument == "gad7")
    assert gad7.expires_at - gad7.due_at == timedelta(hours=48)
    assert gad7.session_id == 3


@pytest.mark.parametrize(
    ("has_baseline", "expected"),
    [
        (
            False,
            [
                # The first session's pre-session PHQ-9 is the baseline.
                ("phq9", "phq9:pre:1", "2026-04-05 10:00", "2026-04-06 09:00", 1),
                # Wednesday's eve (Tuesday) is within 2 days of Sunday's: dropped.
                ("phq9", "phq9:pre:3", "2026-04-09 10:00", "2026-04-10 09:00", 3),
            ],
        ),
        (True, [("phq9", "phq9:pre:3", "2026-04-09 10:00", "2026-04-10 09:00", 3)]),
    ],
)
def test_pre_session_phq9_for_a_first_week_of_sessions(has_baseline: bool, expected: list[Row]) -> None:
    upcoming = [
        session(1, NEW_YORK, "2026-04-06 09:00"),
        session(2, NEW_YORK, "2026-04-08 09:00"),
        session(3, NEW_YORK, "2026-04-10 09:00"),
    ]
    prompts = plan_for([], upcoming=upcoming, start="2026-04-01 00:00", has_baseline=has_baseline)
    assert rows(prompts, NEW_YORK) == expected


@pytest.mark.parametrize(
    ("window_start", "upcoming", "has_baseline", "expected"),
    [
        # No session scheduled: as soon as possible, outside quiet hours.
        ("2026-04-06 23:00", [], False, [("phq9", "phq9:baseline", "2026-04-07 08:00", "2026-04-09 08:00", None)]),
        ("2026-04-06 12:15", [], False, [("phq9", "phq9:baseline", "2026-04-06 12:15", "2026-04-08 12:15", None)]),
        ("2026-04-06 12:15", [], True, []),
        # The eve at 10:00 has passed: as soon as possible, still before the session.
        (
            "2026-04-06 15:00",
            [(1, "2026-04-07 09:00")],
            False,
            [("phq9", "phq9:pre:1", "2026-04-06 15:00", "2026-04-07 09:00", 1)],
        ),
        # Too late for a baseline before the session.
        ("2026-04-07 09:30", [(1, "2026-04-07 09:00")], False, []),
    ],
)
def test_baseline_phq9(
    window_start: str, upcoming: list[tuple[int, str]], has_baseline: bool, expected: list[Row]
) -> None:
    scheduled = [session(i, NEW_YORK, start) for i, start in upcoming]
    prompts = plan_for([], upcoming=scheduled, start=window_start, end="2026-04-07 09:45", has_baseline=has_baseline)
    assert rows(prompts, NEW_YORK) == expected


def test_no_baseline_once_a_session_is_recorded() -> None:
    prompts = plan_for([session(1, NEW_YORK, "2026-04-06 09:00")], has_baseline=False)
    assert rows(prompts, NEW_YORK) == SINGLE_SESSION


@pytest.mark.parametrize(
    ("next_start", "expected_phq9"),
    [
        # Eve on day 7 itself, or 2 days after it: the pre-session PHQ-9 replaces the periodic one.
        ("2026-04-14 09:00", ["phq9:pre:2"]),
        ("2026-04-16 09:00", ["phq9:pre:2"]),
        ("2026-04-12 09:00", ["phq9:pre:2"]),
        # Three days apart: both.
        ("2026-04-17 09:00", ["phq9:2026-04-13", "phq9:pre:2"]),
    ],
)
def test_pre_session_phq9_replaces_a_periodic_one_close_to_it(next_start: str, expected_phq9: list[str]) -> None:
    prompts = plan_for(
        [session(1, NEW_YORK, "2026-04-06 09:00")],
        upcoming=[session(2, NEW_YORK, next_start)],
        end="2026-04-20 00:00",
    )
    assert [p.slot for p in prompts if p.instrument == "phq9"] == expected_phq9


def test_a_replaced_periodic_phq9_stays_replaced_after_the_session_is_recorded() -> None:
    first = session(1, NEW_YORK, "2026-04-06 09:00")
    second = session(2, NEW_YORK, "2026-04-12 09:00")
    before = plan_for([first], upcoming=[second], end="2026-04-20")
    after = plan_for([first, second], upcoming=[second], end="2026-04-20")
    assert [p.slot for p in before if p.instrument == "phq9"] == ["phq9:pre:2"]
    # Recorded now (listed in both: recorded wins); no periodic PHQ-9 comes back a day later.
    assert [p.slot for p in after if p.instrument == "phq9"] == []


@pytest.mark.parametrize(
    ("preferred", "session_start", "expected"),
    [
        # 22:00 is held to 08:00 on the session day: before a 09:00 session it is kept...
        (time(22), "2026-04-10 09:00", [("phq9:pre:2", "2026-04-10 08:00", "2026-04-10 09:00")]),
        # ...but not before a 07:30 one.
        (time(22), "2026-04-10 07:30", []),
        (time(10), "2026-04-10 07:30", [("phq9:pre:2", "2026-04-09 10:00", "2026-04-10 07:30")]),
        (time(10), "2026-04-12 16:00", [("phq9:pre:2", "2026-04-11 10:00", "2026-04-12 16:00")]),
    ],
)
def test_pre_session_phq9_is_due_before_the_session(
    preferred: time, session_start: str, expected: list[tuple[str, str, str]]
) -> None:
    prompts = plan_for(
        [session(1, NEW_YORK, "2026-03-01 09:00")],
        upcoming=[session(2, NEW_YORK, session_start)],
        timing=PatientTiming(NEW_YORK, preferred),
        start="2026-04-05",
        end="2026-04-20",
    )
    assert [
        (p.slot, local(p.due_at, NEW_YORK), local(p.expires_at, NEW_YORK)) for p in prompts if p.instrument == "phq9"
    ] == expected


def test_pre_session_phq9_can_be_switched_off() -> None:
    plan = AftercarePlan(ModalityPlan(), {"oral": ModalityPlan(phq9_before_session=False)})
    prompts = plan_for(
        [session(1, NEW_YORK, "2026-04-06 09:00")],
        upcoming=[session(2, NEW_YORK, "2026-04-14 09:00", modality="oral")],
        plan=plan,
        end="2026-04-20",
    )
    assert [p.slot for p in prompts if p.instrument == "phq9"] == ["phq9:2026-04-13"]


# Sessions across the spring change in New York, one scheduled, the whole plan crossing months.
RICH_SESSIONS = [
    session(1, NEW_YORK, "2026-03-02 09:00"),
    session(2, NEW_YORK, "2026-03-04 18:45", modality="intranasal"),
    session(3, NEW_YORK, "2026-03-11 21:00", hours=None),
]
RICH_UPCOMING = [session(4, NEW_YORK, "2026-03-30 11:00")]


def rich(start: str, end: str, timing: PatientTiming | None = None) -> list[PlannedPrompt]:
    return plan_for(RICH_SESSIONS, start=start, end=end, upcoming=RICH_UPCOMING, timing=timing)


def test_planning_twice_gives_identical_prompts() -> None:
    assert rich("2026-03-01", "2026-05-01") == rich("2026-03-01", "2026-05-01")
    slots = [(p.instrument, p.slot) for p in rich("2026-03-01", "2026-05-01")]
    assert len(slots) == len(set(slots))


@pytest.mark.parametrize("split", ["2026-03-05 00:00", "2026-03-08 03:00", "2026-03-12 10:00", "2026-04-01"])
def test_adjacent_windows_add_up_to_the_whole(split: str) -> None:
    assert rich("2026-03-01", split) + rich(split, "2026-05-01") == rich("2026-03-01", "2026-05-01")


def test_overlapping_windows_agree_where_they_overlap() -> None:
    first = rich("2026-03-01", "2026-03-20")
    second = rich("2026-03-10", "2026-04-10")
    overlap = at(NEW_YORK, "2026-03-10"), at(NEW_YORK, "2026-03-20")
    in_first = [p for p in first if overlap[0] <= p.due_at < overlap[1]]
    in_second = [p for p in second if overlap[0] <= p.due_at < overlap[1]]
    assert in_first == in_second
    assert in_first


def test_prompts_are_sorted_utc_and_in_a_half_open_window() -> None:
    prompts = rich("2026-03-01", "2026-05-01")
    assert prompts == sorted(prompts, key=lambda p: (p.due_at, p.slot))
    assert all(p.due_at.tzinfo is UTC and p.expires_at > p.due_at for p in prompts)
    first_mood = next(p for p in prompts if p.instrument == "mood")
    assert first_mood not in rich("2026-03-01", local(first_mood.due_at, NEW_YORK))
    assert rich(local(first_mood.due_at, NEW_YORK), "2026-05-01")[0] == first_mood
    assert rich("2026-04-01", "2026-04-01") == []


def test_no_mood_prompt_before_the_first_session() -> None:
    prompts = rich("2026-01-01", "2026-05-01")
    first_start = RICH_SESSIONS[0].started_at
    assert all(p.due_at > first_start for p in prompts if p.instrument == "mood")


@pytest.mark.parametrize(
    ("due", "expires", "expected"),
    [
        # Mood at 10:00, open until midnight: reminder at 13:00.
        ("2026-04-07 10:00", "2026-04-08 00:00", "2026-04-07 13:00"),
        # Mood at 19:00: 22:00 is quiet, 08:00 is after midnight: no reminder.
        ("2026-04-07 19:00", "2026-04-08 00:00", None),
        # Post-session at 20:30, open 24 hours: reminder held to 08:00.
        ("2026-04-06 20:30", "2026-04-07 20:30", "2026-04-07 08:00"),
        ("2026-04-07 10:00", "2026-04-09 10:00", "2026-04-07 13:00"),
        # A reminder at the very moment of expiry is too late.
        ("2026-04-07 10:00", "2026-04-07 13:00", None),
        ("2026-04-07 10:00", "2026-04-07 13:01", "2026-04-07 13:00"),
    ],
)
def test_reminder_due(due: str, expires: str, expected: str | None) -> None:
    reminder = reminder_due(at(NEW_YORK, due), ModalityPlan(), PatientTiming(NEW_YORK), at(NEW_YORK, expires))
    assert reminder == (None if expected is None else at(NEW_YORK, expected))


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        SessionInfo(1, datetime(2026, 4, 6, 9), None, "iv")
    with pytest.raises(ValueError):
        SessionInfo(1, at(NEW_YORK, "2026-04-06 09:00"), at(NEW_YORK, "2026-04-06 08:00"), "iv")
    with pytest.raises(ValueError):
        ModalityPlan(phq9_every_days=0)
    with pytest.raises(ValueError):
        plan_prompts(
            [], [], DEFAULT_PLAN, PatientTiming(NEW_YORK), datetime(2026, 4, 1), at(NEW_YORK, "2026-04-02"), True
        )


# --- windows -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "preferred", "quiet"),
    [
        (NEW_YORK, time(10, 0), QuietHours()),
        (NEW_YORK, time(23, 30), QuietHours()),  # pushed out of quiet hours into the next day
        (NEW_YORK, time(2, 30), NO_QUIET),  # 02:30 falls in the March gap
        (LONDON, time(1, 30), QuietHours(time(1, 0), time(9, 0))),
        (KOLKATA, time(7, 0), QuietHours(time(22, 0), time(7, 30))),
    ],
)
@pytest.mark.parametrize("window_hours", [1, 7, 24, 25, 72])
def test_planning_a_horizon_window_by_window_gives_the_same_prompts_as_planning_it_whole(
    tz: ZoneInfo, preferred: time, quiet: QuietHours, window_hours: int
) -> None:
    sessions = [
        session(1, tz, "2026-02-20 09:00"),
        session(2, tz, "2026-02-23 22:00", modality="intranasal"),
        session(3, tz, "2026-03-06 09:00"),
        session(4, tz, "2026-03-27 16:00", modality="oral"),
    ]
    upcoming = [session(5, tz, "2026-05-02 09:00")]
    timing = PatientTiming(tz, preferred, quiet)
    start, end = at(tz, "2026-02-01 00:00"), at(tz, "2026-06-01 00:00")
    whole = plan_prompts(sessions, upcoming, DEFAULT_PLAN, timing, start, end, True)
    assert len(whole) > 40
    pieces: list[PlannedPrompt] = []
    cursor = start
    while cursor < end:
        step_end = min(cursor + timedelta(hours=window_hours), end)
        pieces.extend(plan_prompts(sessions, upcoming, DEFAULT_PLAN, timing, cursor, step_end, True))
        cursor = step_end
    assert pieces == whole
