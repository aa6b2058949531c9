"""The aftercare plan: sessions + plan + the patient's time zone -> planned check-in prompts.

:func:`plan_prompts` is a pure function of its inputs. Every prompt carries a ``slot``, a stable
key that is unique per patient and instrument, so planning is idempotent: the caller stores
prompts under a unique (patient, instrument, slot) key, inserts the slots it does not have yet
and leaves the ones it has. Planning the same inputs twice, or two overlapping windows, yields
the same slots for the same prompts. The window only filters: every prompt except a baseline
PHQ-9 that is due "as soon as possible" has a due time that does not depend on the window.

Rules (defaults from the clinic's aftercare plan; see :class:`ModalityPlan`):

* Local days. A session belongs to the local date on which it starts (its treatment day).
  "Day n after a session" is that date plus n days. Due times are computed at the patient's
  preferred time on a local date with :func:`~companion.clinical.localtime.resolve_local`, then
  moved out of quiet hours.
* Post-session check (slot ``post:<session id>``): session end + ``post_session_delay``, moved out
  of quiet hours. A session without an end is planned as lasting two hours. For intranasal
  esketamine the session end is the end of the 2-hour observation, so the delay counts from the
  moment the patient leaves the clinic. It expires at the later of 24 hours after it is due and
  the next local midnight: the check is usually due in the evening, where a midnight expiry would
  leave only a few hours to answer and no room for the reminder, which quiet hours push to the
  next morning.
* A session governs the local days after its treatment day up to and including the treatment
  day of the next recorded session; from then on the newer session's plan applies ("a new
  session restarts the plan"). Scheduled sessions that have not happened do not cut a plan.
* Daily mood (slot ``mood:<local date>``): on days 1..``daily_mood_days`` after a session, at the
  preferred time. Because days are governed by exactly one session and the date is in the slot,
  two sessions close together give one mood prompt per local day, and the daily run extends to
  ``daily_mood_days`` after the later session. Nothing is asked about mood before a session,
  and a mood prompt is never due before its session has ended. It expires at the next local
  midnight after it is due.
* Maintenance: a session's plan is active on days 0..``maintenance_after_days`` after it; after
  that the patient is in maintenance and gets a mood prompt every ``maintenance_every_days``
  days (days after+every, after+2*every, ...) up to ``maintenance_until_days`` after the
  session. Maintenance prompts share the ``mood:<local date>`` slots.
* A course of treatment starts with the first session and again with any session that comes
  after the previous session's plan had lapsed into maintenance.
* Periodic PHQ-9 (slot ``phq9:<local date>``) every ``phq9_every_days`` and GAD-7 (slot
  ``gad7:<local date>``) every ``gad7_every_days`` days from the first session of the course,
  on days while the plan is active (sessions continue), at the preferred time.
* Pre-session PHQ-9 (slot ``phq9:pre:<session id>``): on the day before each scheduled session
  (the ``upcoming`` sequence), at the preferred time. It is not planned when it would be due at or
  after the session's start, and it expires at the earlier of the questionnaire expiry and the
  session's start (an answer given after the session no longer describes the time before it).
* Baseline PHQ-9, only while no session has been recorded and ``has_baseline_phq9`` is false.
  With a scheduled session, the first session's pre-session PHQ-9 is the baseline: slot
  ``phq9:pre:<first session id>``, due on the day before it at the preferred time, or as soon as
  possible (``window_start`` moved out of quiet hours) when that time has passed, and only if
  still before the session. Without a scheduled session: slot ``phq9:baseline``, due as soon as
  possible. Once a baseline exists, the first session gets no separate pre-session PHQ-9.
* PHQ-9 dedupe, so a PHQ-9 is never planned twice within a couple of days. Every session other
  than the patient's first (recorded or scheduled) whose plan has ``phq9_before_session`` has an
  eve, the day before its treatment day; the first session's eve is the baseline's. Walking the
  sessions in order, an eve within ``PHQ9_MIN_GAP_DAYS`` (2) days after the previous kept eve is
  dropped, and its session gets no pre-session PHQ-9 (a first week with sessions on Monday,
  Wednesday and Friday: the baseline on Sunday, then one on Thursday). A periodic PHQ-9 within
  2 days (either side) of a kept eve is dropped: the pre-session PHQ-9 replaces it. The rule
  depends only on the sessions, never on the window.
* Questionnaires (PHQ-9, GAD-7) expire ``questionnaire_expiry`` (48 hours) after they are due.

Pure: no I/O and no clock reads; ``window_start`` and ``window_end`` stand in for "now".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from companion.clinical.localtime import local_midnight_after, resolve_local
from companion.clinical.plan.aftercare import AftercarePlan, ModalityPlan
from companion.clinical.plan.inputs import PatientTiming, PlannedPrompt, SessionInfo, _require_aware

__all__ = [
    "INSTRUMENT_GAD7",
    "INSTRUMENT_MOOD",
    "INSTRUMENT_PHQ9",
    "INSTRUMENT_POST_SESSION",
    "PHQ9_MIN_GAP_DAYS",
    "POST_SESSION_MIN_OPEN",
    "plan_prompts",
    "reminder_due",
]

INSTRUMENT_POST_SESSION = "post_session"
INSTRUMENT_MOOD = "mood"
INSTRUMENT_PHQ9 = "phq9"
INSTRUMENT_GAD7 = "gad7"

POST_SESSION_MIN_OPEN = timedelta(hours=24)
"""A post-session check stays open at least this long (or until the next local midnight)."""

PHQ9_MIN_GAP_DAYS = 2
"""PHQ-9s closer than this many local days (inclusive) are not both planned."""


def reminder_due(
    prompt_due: datetime, plan: ModalityPlan, timing: PatientTiming, expires_at: datetime
) -> datetime | None:
    """When to remind about an unanswered prompt, or None if the reminder would come too late.

    ``prompt_due + reminder_after`` moved out of quiet hours; None when that is at or after the
    prompt's expiry.
    """
    _require_aware(prompt_due, "prompt_due")
    _require_aware(expires_at, "expires_at")
    at = timing.quiet.move_out(prompt_due + plan.reminder_after, timing.tz)
    return None if at >= expires_at else at


def _local_day(value: datetime, tz: ZoneInfo) -> date:
    return value.astimezone(tz).date()


# Every patient who shares a zone, a preferred time and quiet hours gets the same due time on a
# day; planning a clinic network asks for a few tens of thousands of them, so they are kept.
@lru_cache(maxsize=1 << 17)
def _at_preferred(day: date, timing: PatientTiming) -> datetime:
    return timing.quiet.move_out(resolve_local(day, timing.preferred_time, timing.tz), timing.tz)


def _unique_sorted(sessions: Sequence[SessionInfo]) -> list[SessionInfo]:
    by_id: dict[int, SessionInfo] = {}
    for session in sessions:
        by_id.setdefault(session.id, session)
    return sorted(by_id.values(), key=lambda s: (s.started_at, s.id))


def _post_session(session: SessionInfo, plan: AftercarePlan, timing: PatientTiming) -> PlannedPrompt:
    modality_plan = plan.for_modality(session.modality)
    due = timing.quiet.move_out(session.planning_end + modality_plan.post_session_delay, timing.tz)
    expires = max(due + POST_SESSION_MIN_OPEN, local_midnight_after(due, timing.tz))
    return PlannedPrompt(INSTRUMENT_POST_SESSION, f"post:{session.id}", due, expires, session.id)


def _phq9_points(ordered: Sequence[SessionInfo], plan: AftercarePlan, tz: ZoneInfo) -> tuple[list[date], set[int]]:
    """Kept PHQ-9 eves (the first session's included) and the ids of later sessions that keep one."""
    points: list[date] = []
    kept: set[int] = set()
    for index, session in enumerate(ordered):
        if index > 0 and not plan.for_modality(session.modality).phq9_before_session:
            continue
        eve = _local_day(session.started_at, tz) - timedelta(days=1)
        if index > 0 and points and (eve - points[-1]).days <= PHQ9_MIN_GAP_DAYS:
            continue
        points.append(eve)
        if index > 0:
            kept.add(session.id)
    return points, kept


def _questionnaire(
    instrument: str,
    slot: str,
    due: datetime,
    expiry: timedelta,
    session: SessionInfo | None,
    not_after: datetime | None = None,
) -> PlannedPrompt:
    expires = due + expiry if not_after is None else min(due + expiry, not_after)
    return PlannedPrompt(instrument, slot, due, expires, None if session is None else session.id)


def _governed(
    recorded: Sequence[SessionInfo],
    plan: AftercarePlan,
    timing: PatientTiming,
    phq9_points: Sequence[date],
    window_start: datetime,
    window_end: datetime,
) -> list[PlannedPrompt]:
    """Mood, periodic PHQ-9 and GAD-7 prompts on the days each recorded session governs.

    Only local days that can hold a due time inside the window are visited: a prompt is due on
    its day or, pushed out of quiet hours, within the next, so two days' margin before the
    window is enough and nothing after the window's last local day can fall inside it.
    """
    tz = timing.tz
    first_day = _local_day(window_start, tz) - timedelta(days=2)
    last_day = _local_day(window_end, tz)
    prompts: list[PlannedPrompt] = []
    anchor: date | None = None
    previous: tuple[date, ModalityPlan] | None = None
    for index, session in enumerate(recorded):
        mp = plan.for_modality(session.modality)
        day = _local_day(session.started_at, tz)
        if previous is None or (day - previous[0]).days > previous[1].maintenance_after_days:
            anchor = day
        assert anchor is not None
        previous = (day, mp)
        next_day = _local_day(recorded[index + 1].started_at, tz) if index + 1 < len(recorded) else None
        last_offset = max(mp.daily_mood_days, mp.maintenance_after_days, mp.maintenance_until_days)
        for offset in range(max(1, (first_day - day).days), last_offset + 1):
            local = day + timedelta(days=offset)
            if (next_day is not None and local > next_day) or local > last_day:
                break
            due = _at_preferred(local, timing)
            in_maintenance = offset > mp.maintenance_after_days
            mood = offset <= mp.daily_mood_days or (
                in_maintenance
                and offset <= mp.maintenance_until_days
                and (offset - mp.maintenance_after_days) % mp.maintenance_every_days == 0
            )
            if mood and due > session.planning_end:
                expires = local_midnight_after(due, tz)
                prompts.append(PlannedPrompt(INSTRUMENT_MOOD, f"mood:{local.isoformat()}", due, expires, session.id))
            if in_maintenance:
                continue
            since_anchor = (local - anchor).days
            if since_anchor % mp.phq9_every_days == 0 and all(
                abs((local - point).days) > PHQ9_MIN_GAP_DAYS for point in phq9_points
            ):
                slot = f"{INSTRUMENT_PHQ9}:{local.isoformat()}"
                prompts.append(_questionnaire(INSTRUMENT_PHQ9, slot, due, mp.questionnaire_expiry, session))
            if since_anchor % mp.gad7_every_days == 0:
                slot = f"{INSTRUMENT_GAD7}:{local.isoformat()}"
                prompts.append(_questionnaire(INSTRUMENT_GAD7, slot, due, mp.questionnaire_expiry, session))
    return prompts


def _pre_session(
    scheduled: Sequence[SessionInfo],
    kept: set[int],
    plan: AftercarePlan,
    timing: PatientTiming,
) -> list[PlannedPrompt]:
    prompts: list[PlannedPrompt] = []
    for session in scheduled:
        if session.id not in kept:
            continue
        mp = plan.for_modality(session.modality)
        eve = _local_day(session.started_at, timing.tz) - timedelta(days=1)
        due = _at_preferred(eve, timing)
        if due >= session.started_at:
            continue
        slot = f"{INSTRUMENT_PHQ9}:pre:{session.id}"
        prompts.append(_questionnaire(INSTRUMENT_PHQ9, slot, due, mp.questionnaire_expiry, session, session.started_at))
    return prompts


def _baseline(
    first: SessionInfo | None, plan: AftercarePlan, timing: PatientTiming, window_start: datetime
) -> PlannedPrompt | None:
    as_soon_as_possible = timing.quiet.move_out(window_start, timing.tz)
    if first is None:
        slot = f"{INSTRUMENT_PHQ9}:baseline"
        return _questionnaire(INSTRUMENT_PHQ9, slot, as_soon_as_possible, plan.default.questionnaire_expiry, None)
    eve = _local_day(first.started_at, timing.tz) - timedelta(days=1)
    due = _at_preferred(eve, timing)
    if due < window_start:
        due = as_soon_as_possible
    if due >= first.started_at:
        return None
    slot = f"{INSTRUMENT_PHQ9}:pre:{first.id}"
    expiry = plan.for_modality(first.modality).questionnaire_expiry
    return _questionnaire(INSTRUMENT_PHQ9, slot, due, expiry, first, first.started_at)


def plan_prompts(
    sessions: Sequence[SessionInfo],
    upcoming: Sequence[SessionInfo],
    plan: AftercarePlan,
    timing: PatientTiming,
    window_start: datetime,
    window_end: datetime,
    has_baseline_phq9: bool,
) -> list[PlannedPrompt]:
    """The prompts due in ``[window_start, window_end)``, sorted by due time (then slot).

    ``sessions`` are recorded sessions (they may lie in the window); ``upcoming`` are scheduled
    sessions that have not happened. A session id found in both counts as recorded. The rules,
    slots and dedupe are described in the module docstring.
    """
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    if window_end <= window_start:
        return []
    recorded = _unique_sorted(sessions)
    recorded_ids = {session.id for session in recorded}
    scheduled = [session for session in _unique_sorted(upcoming) if session.id not in recorded_ids]
    everything = sorted([*recorded, *scheduled], key=lambda s: (s.started_at, s.id))
    phq9_points, kept = _phq9_points(everything, plan, timing.tz)

    candidates: list[PlannedPrompt] = [_post_session(session, plan, timing) for session in recorded]
    candidates.extend(_governed(recorded, plan, timing, phq9_points, window_start, window_end))
    candidates.extend(_pre_session(scheduled, kept, plan, timing))
    if not recorded and not has_baseline_phq9:
        baseline = _baseline(everything[0] if everything else None, plan, timing, window_start)
        if baseline is not None:
            candidates.append(baseline)

    by_slot: dict[tuple[str, str], PlannedPrompt] = {}
    for prompt in candidates:
        by_slot.setdefault((prompt.instrument, prompt.slot), prompt)
    in_window = [p for p in by_slot.values() if window_start <= p.due_at < window_end]
    return sorted(in_window, key=lambda p: (p.due_at, p.slot))
