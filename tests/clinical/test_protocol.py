from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from companion.cli import main
from companion.clinical.escalation import DEFAULT_CHAINS, Chain, Target
from companion.clinical.plan import DEFAULT_PLAN, MODALITIES
from companion.clinical.protocol import (
    DEFAULT_MEDICAL_REPLY,
    DEFAULT_SAFETY_REPLY,
    Protocol,
    ProtocolError,
    parse_protocol,
)
from companion.clinical.rota import Handoff, Override, PositionRota, on_duty, parse_hhmm, week_index
from companion.protocols import DEFAULT_PROTOCOL_FILE, default_protocol, load_protocol
from companion.settings import DEFAULT_PROTOCOL_FILE as SETTINGS_PROTOCOL_FILE

# The protocol files stay in tests/safety/protocols: the alert permission tests there read them too.
FIXTURES = Path(__file__).parents[1] / "safety" / "protocols"
MINIMAL = (FIXTURES / "minimal.toml").read_text()
CLINIC = FIXTURES / "clinic.toml"
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    """An instant; ``text`` without an offset is read as UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------------
# The default protocol


def test_default_file_is_the_settings_default() -> None:
    assert DEFAULT_PROTOCOL_FILE.resolve() == SETTINGS_PROTOCOL_FILE.resolve()


def test_default_loads_with_a_version() -> None:
    protocol = load_protocol(DEFAULT_PROTOCOL_FILE)
    assert protocol.version == "default-2026.1"
    assert protocol.source == str(DEFAULT_PROTOCOL_FILE)


def test_default_chains_equal_the_built_in_chains() -> None:
    protocol = default_protocol()
    assert dict(protocol.chains) == dict(DEFAULT_CHAINS)
    assert list(protocol.chains) == ["crisis", "medical", "same_day", "routine"]
    for name, chain in DEFAULT_CHAINS.items():
        assert protocol.chain(name) == chain
        assert protocol.chain(name).to_dict() == chain.to_dict()


def test_default_aftercare_equals_the_built_in_plan() -> None:
    assert default_protocol().aftercare == DEFAULT_PLAN


def test_default_wording_is_clinical_md() -> None:
    wording = default_protocol().wording
    assert wording.safety_reply == DEFAULT_SAFETY_REPLY
    assert wording.safety_reply.startswith("If you are in danger or thinking of harming yourself, call or text 988")
    assert wording.medical_reply == DEFAULT_MEDICAL_REPLY
    assert wording.not_emergency == "Messages are reviewed during clinic hours; this is not an emergency service."
    assert wording.reply_for("safety") == wording.safety_reply
    assert wording.reply_for("medical") == wording.medical_reply
    assert wording.reply_for("none") is None


@pytest.mark.parametrize(
    ("rule_id", "kind", "severity", "chain", "reply", "params"),
    [
        ("cssrs_high", "cssrs", "urgent", "crisis", "safety", "level=high"),
        ("language_intent", "risk_language", "urgent", "crisis", "safety", "levels=intent"),
        (
            "language_self_harm_act",
            "risk_language",
            "urgent",
            "crisis",
            "safety",
            "levels=self_harm language_severity=urgent",
        ),
        ("post_session_red_flags", "post_session_red_flags", "urgent", "medical", "medical", ""),
        ("phq9_item9", "phq9_item9", "high", "same_day", "safety", "min=1"),
        ("cssrs_moderate", "cssrs", "high", "same_day", "safety", "level=moderate"),
        ("mood_low", "mood_low", "high", "same_day", "safety", "max=2"),
        ("mood_drop", "mood_drop", "high", "same_day", "safety", "points=4 baseline_window=7"),
        ("language_passive", "risk_language", "high", "same_day", "safety", "levels=passive,uncertain"),
        (
            "language_self_harm_thoughts",
            "risk_language",
            "high",
            "same_day",
            "safety",
            "levels=self_harm language_severity=high",
        ),
        ("undelivered_during_alert", "undelivered_prompt_during_alert", "high", "same_day", "none", ""),
        ("language_concern", "risk_language", "routine", "routine", "none", "levels=concern"),
        ("cssrs_low", "cssrs", "routine", "routine", "none", "level=low"),
        ("missed_checkins", "missed_checkins", "routine", "routine", "none", "count=3"),
        ("phq9_rise", "phq9_rise", "routine", "routine", "none", "points=5"),
        ("gad7_high", "gad7_high", "routine", "routine", "none", "min=15"),
        ("side_effects_strong", "side_effects_strong", "routine", "routine", "none", ""),
    ],
)
def test_default_rules(rule_id: str, kind: str, severity: str, chain: str, reply: str, params: str) -> None:
    rule = default_protocol().rule(rule_id)
    assert (rule.kind, rule.severity, rule.chain, rule.safety_reply) == (kind, severity, chain, reply)
    assert rule.describe_params() == params


def test_default_has_exactly_the_clinical_rules() -> None:
    assert len(default_protocol().rules) == 17


def test_default_protocol_is_cached() -> None:
    assert default_protocol() is default_protocol()


def test_summary_names_rules_chains_rota_hours_and_aftercare() -> None:
    summary = default_protocol().summary()
    assert summary.startswith("Protocol version default-2026.1")
    for expected in (
        "urgent  cssrs_high",
        "-> chain crisis, safety reply",
        "post_session_red_flags -> chain medical, medical reply",
        "same_day (3 passes, later passes from step 1):",
        "[0] notify care_team:patient (after hours: oncall:on_call_clinician); wait 1 h",
        "[0] notify oncall:on_call_clinician; wait 5 min",
        "routine: nobody is paged",
        "Business hours (the clinic's time zone):",
        "mon 09:00-17:00",
        "sat closed",
        "on_call_clinician: clinician@demo.clinic (weekly, handoff mon 09:00)",
        "default: post-session check 3 h after the session; daily mood days 1-7",
        "intranasal: as default",
        "safety reply: If you are in danger",
    ):
        assert expected in summary


# --------------------------------------------------------------------------------------------------
# A clinic's own protocol


def test_clinic_protocol() -> None:
    protocol = load_protocol(CLINIC)
    assert protocol.version == "riverside-7"
    assert protocol.wording.clinic_number == "+1 503 555 0100"
    assert "Clinic: +1 503 555 0100." in protocol.wording.safety_reply
    chain = protocol.chain("urgent_page")
    assert (chain.repeat, chain.repeat_from, len(chain.steps)) == (5, 1, 2)
    assert chain.steps[0].notify == (Target("oncall", "on_call_clinician"), Target("staff", "lead@riverside.test"))
    assert chain.steps[0].wait == timedelta(minutes=3)
    assert chain.steps[1].after_hours_notify == (Target("oncall", "prescriber"),)
    assert protocol.chain("digest").steps == ()
    assert protocol.rule("very_low_mood").safety_reply == "none"
    assert protocol.rule("intent").safety_reply == "safety"
    plan = protocol.aftercare
    assert plan.default.daily_mood_days == 5
    assert plan.for_modality("iv") == plan.default
    intranasal = plan.for_modality("intranasal")
    assert intranasal.post_session_delay == timedelta(minutes=120)
    assert intranasal.questionnaire_expiry == timedelta(hours=72)
    assert intranasal.daily_mood_days == 5  # inherited from the clinic's default
    assert set(plan.per_modality) == set(MODALITIES)


def test_unknown_chain_lookup_names_the_defined_chains() -> None:
    with pytest.raises(KeyError, match="defined: crisis, medical, same_day, routine"):
        default_protocol().chain("crisiss")


# --------------------------------------------------------------------------------------------------
# Refused files: every problem names its place


def mutate(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


RULE = 'id = "mood_low"\nkind = "mood_low"\nseverity = "high"\nchain = "crisis"\nparams = { max = 2 }'
STEP = 'notify = ["oncall:on_call_clinician"]\nwait_minutes = 5'
SECOND_RULE = '\n[[rules]]\nid = "mood_low"\nkind = "gad7_high"\nseverity = "routine"\nchain = "routine"\n'

BAD = [
    (
        "unknown top-level key",
        mutate('version = "test-1"', 'version = "test-1"\ncolour = "blue"'),
        "colour: unknown key",
    ),
    ("unknown key in a rule", mutate(RULE, RULE + '\nsevrity = "urgent"'), "rules[0].sevrity: unknown key"),
    (
        "unknown key in a step",
        mutate(STEP, STEP + "\nwait = 5"),
        "chains.crisis.steps[0].wait: unknown key",
    ),
    (
        "unknown key in wording",
        mutate('version = "test-1"', 'version = "test-1"\n[wording]\nhello = "x"'),
        "wording.hello: unknown key",
    ),
    (
        "unknown key in aftercare",
        MINIMAL + "\n[aftercare.default]\npost_session_delay = 180\n",
        "aftercare.default.post_session_delay: unknown key",
    ),
    (
        "rule names a missing chain",
        mutate('chain = "crisis"', 'chain = "crisiss"'),
        "rules[0].chain: no chain named 'crisiss' (defined: crisis, routine)",
    ),
    (
        "on-call position without a rota",
        mutate('notify = ["oncall:on_call_clinician"]', 'notify = ["role:clinician", "oncall:nurse_on_duty"]'),
        "chains.crisis.steps[0].notify[1]: no rota for on-call position 'nurse_on_duty' "
        "(rota defines: on_call_clinician)",
    ),
    (
        "after-hours position without a rota",
        mutate(STEP, STEP + '\nafter_hours_notify = ["oncall:backup_clinician"]'),
        "chains.crisis.steps[0].after_hours_notify[0]: no rota for on-call position 'backup_clinician'",
    ),
    (
        "wait 0",
        mutate("wait_minutes = 5", "wait_minutes = 0"),
        "chains.crisis.steps[0].wait_minutes: must be between 1 and 1440",
    ),
    (
        "wait -5",
        mutate("wait_minutes = 5", "wait_minutes = -5"),
        "chains.crisis.steps[0].wait_minutes: must be between 1 and 1440",
    ),
    (
        "wait 2000",
        mutate("wait_minutes = 5", "wait_minutes = 2000"),
        "chains.crisis.steps[0].wait_minutes: must be between 1 and 1440",
    ),
    (
        "wait as text",
        mutate("wait_minutes = 5", 'wait_minutes = "5"'),
        "chains.crisis.steps[0].wait_minutes: input should be a valid integer",
    ),
    (
        "wait missing",
        mutate(STEP, 'notify = ["oncall:on_call_clinician"]'),
        "chains.crisis.steps[0].wait_minutes: required key is missing",
    ),
    ("repeat 0", mutate("repeat = 2", "repeat = 0"), "chains.crisis.repeat: must be between 1 and 10"),
    ("repeat 11", mutate("repeat = 2", "repeat = 11"), "chains.crisis.repeat: must be between 1 and 10"),
    (
        "repeat from a step that does not exist",
        mutate("repeat = 2", "repeat = 2\nrepeat_from = 1"),
        "chains.crisis.repeat_from: must name one of the chain's steps (0 to 0)",
    ),
    (
        "step notifies nobody",
        mutate('notify = ["oncall:on_call_clinician"]', "notify = []"),
        "chains.crisis.steps[0].notify: must notify someone",
    ),
    (
        "unknown target kind",
        mutate('notify = ["oncall:on_call_clinician"]', 'notify = ["pager:on_call_clinician"]'),
        "chains.crisis.steps[0].notify[0]: unknown target kind 'pager'",
    ),
    (
        "unknown role",
        mutate('notify = ["oncall:on_call_clinician"]', 'notify = ["role:doctor"]'),
        "chains.crisis.steps[0].notify[0]: unknown role 'doctor'",
    ),
    (
        "staff target that is not an email",
        mutate('notify = ["oncall:on_call_clinician"]', 'notify = ["staff:dr smith"]'),
        "chains.crisis.steps[0].notify[0]: a staff target names an email address or a staff id",
    ),
    (
        "bad chain name",
        mutate("[chains.routine]", "[chains.Routine]"),
        "chains.Routine: 'Routine' is not a valid chain",
    ),
    (
        "duplicate rule id",
        MINIMAL + SECOND_RULE,
        "rules[1].id: duplicate rule id 'mood_low' (first used by rules[0])",
    ),
    (
        "no rules",
        mutate("[[rules]]\n" + RULE, "").replace('version = "test-1"', 'version = "test-1"\nrules = []'),
        "rules: at least one rule is needed",
    ),
    (
        "bad severity",
        mutate('severity = "high"', 'severity = "critical"'),
        "rules[0].severity: input should be 'urgent', 'high' or 'routine'",
    ),
    (
        "unknown kind",
        mutate('kind = "mood_low"', 'kind = "mood_lo"'),
        "rules[0].kind: unknown kind 'mood_lo' (kinds: cssrs, risk_language,",
    ),
    (
        "unknown param",
        mutate("params = { max = 2 }", "params = { maximum = 2 }"),
        "rules[0].params.maximum: unknown key",
    ),
    (
        "param out of range",
        mutate("params = { max = 2 }", "params = { max = 10 }"),
        "rules[0].params.max: must be between 0 and 9",
    ),
    (
        "param of the wrong type",
        mutate("params = { max = 2 }", 'params = { max = "2" }'),
        "rules[0].params.max: input should be a valid integer",
    ),
    (
        "required param missing",
        mutate(
            'kind = "mood_low"\nseverity = "high"\nchain = "crisis"\nparams = { max = 2 }',
            'kind = "cssrs"\nseverity = "high"\nchain = "crisis"',
        ),
        "rules[0].params.level: required key is missing",
    ),
    (
        "bad language level",
        mutate(
            'kind = "mood_low"\nseverity = "high"\nchain = "crisis"\nparams = { max = 2 }',
            'kind = "risk_language"\nseverity = "high"\nchain = "crisis"\nparams = { levels = ["despair"] }',
        ),
        "rules[0].params.levels[0]: input should be",
    ),
    (
        "high rule on a chain that pages nobody",
        mutate('chain = "crisis"', 'chain = "routine"'),
        "rules[0].chain: a high rule needs a chain that notifies someone; 'routine' has no steps",
    ),
    ("bad safety reply", mutate(RULE, RULE + '\nsafety_reply = "loud"'), "rules[0].safety_reply: input should be"),
    (
        "bad timezone",
        mutate("[business_hours]", '[business_hours]\ntimezone = "Mars/Olympus"'),
        "business_hours.timezone: unknown time zone 'Mars/Olympus'",
    ),
    (
        "closing before opening",
        mutate('mon = ["09:00", "17:00"]', 'mon = ["09:00", "08:00"]'),
        "business_hours.mon: closing 08:00 is not after opening 09:00",
    ),
    (
        "closing at opening",
        mutate('mon = ["09:00", "17:00"]', 'mon = ["09:00", "09:00"]'),
        "business_hours.mon: closing 09:00 is not after opening 09:00",
    ),
    (
        "bad time",
        mutate('mon = ["09:00", "17:00"]', 'mon = ["9am", "17:00"]'),
        "business_hours.mon: '9am' is not a time",
    ),
    (
        "hour 25",
        mutate('mon = ["09:00", "17:00"]', 'mon = ["09:00", "25:00"]'),
        "business_hours.mon: '25:00' is not a time",
    ),
    ("one time only", mutate('mon = ["09:00", "17:00"]', 'mon = ["09:00"]'), "business_hours.mon: write the opening"),
    (
        "unknown weekday",
        mutate('mon = ["09:00", "17:00"]', 'monday = ["09:00", "17:00"]'),
        "business_hours.monday: unknown key",
    ),
    (
        "missing business hours",
        mutate('[business_hours]\nmon = ["09:00", "17:00"]', ""),
        "business_hours: required key is missing",
    ),
    ("missing version", mutate('version = "test-1"', ""), "version: required key is missing"),
    ("empty version", mutate('version = "test-1"', 'version = " "'), "version: must not be empty"),
    (
        "empty rotation",
        mutate('rotation = ["a@clinic.test"]', "rotation = []"),
        "rota.on_call_clinician.rotation: must name at least one staff email",
    ),
    (
        "rotation of non-emails",
        mutate('rotation = ["a@clinic.test"]', 'rotation = ["dr a"]'),
        "rota.on_call_clinician.rotation[0]: 'dr a' is not an email address",
    ),
    (
        "bad handoff",
        mutate('rotation = ["a@clinic.test"]', 'rotation = ["a@clinic.test"]\nhandoff = "monday 9"'),
        "rota.on_call_clinician.handoff: 'monday 9' is not a handoff",
    ),
    (
        "override without an offset",
        MINIMAL.replace(
            'rotation = ["a@clinic.test"]',
            'rotation = ["a@clinic.test"]\n'
            '[[rota.on_call_clinician.overrides]]\nstaff = "b@clinic.test"\n'
            "start = 2026-07-01T09:00:00\nend = 2026-07-02T09:00:00-04:00\n",
        ),
        "rota.on_call_clinician.overrides[0].start: needs a UTC offset",
    ),
    (
        "override ending before it starts",
        MINIMAL.replace(
            'rotation = ["a@clinic.test"]',
            'rotation = ["a@clinic.test"]\n'
            '[[rota.on_call_clinician.overrides]]\nstaff = "b@clinic.test"\n'
            'start = "2026-07-02T09:00:00-04:00"\nend = "2026-07-01T09:00:00-04:00"\n',
        ),
        "rota.on_call_clinician.overrides[0].end: must be after start",
    ),
    (
        "override that is not a date-time",
        MINIMAL.replace(
            'rotation = ["a@clinic.test"]',
            'rotation = ["a@clinic.test"]\n'
            '[[rota.on_call_clinician.overrides]]\nstaff = "b@clinic.test"\n'
            'start = "next tuesday"\nend = "2026-07-01T09:00:00-04:00"\n',
        ),
        "rota.on_call_clinician.overrides[0].start: 'next tuesday' is not an ISO date-time",
    ),
    (
        "unknown modality",
        MINIMAL + "\n[aftercare.ketamine]\ndaily_mood_days = 3\n",
        "aftercare.ketamine: unknown modality (known: default, iv,",
    ),
    (
        "aftercare out of range",
        MINIMAL + "\n[aftercare.oral]\nphq9_every_days = 0\n",
        "aftercare.oral.phq9_every_days: must be between 1 and 90",
    ),
    (
        "wording outside GSM-7",
        mutate(
            'version = "test-1"',
            'version = "test-1"\n[wording]\nsafety_reply = "Call 988 \u2014 we have alerted your team."',
        ),
        "wording.safety_reply: SMS text must use GSM-7 characters only",
    ),
    (
        "wording too long",
        mutate('version = "test-1"', 'version = "test-1"\n[wording]\nmedical_reply = "' + "x" * 321 + '"'),
        "wording.medical_reply: SMS text is 321 characters; at most 320 are allowed",
    ),
    (
        "clinic number placeholder without a number",
        mutate('version = "test-1"', 'version = "test-1"\n[wording]\nnot_emergency = "Call {clinic_number}."'),
        "wording.not_emergency: uses {clinic_number} but wording.clinic_number is not set",
    ),
    (
        "unknown placeholder",
        mutate('version = "test-1"', 'version = "test-1"\n[wording]\nnot_emergency = "Hi {name}."'),
        "wording.not_emergency: unknown placeholder {name}",
    ),
    ("not TOML", MINIMAL + "\n[[rules]\n", "not valid TOML"),
    ("a step paging by an unknown way", mutate(STEP, STEP + '\nvia = "phone"'), "chains.crisis.steps[0].via:"),
    ("a step's via not a string", mutate(STEP, STEP + "\nvia = 1"), "chains.crisis.steps[0].via:"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [(text, expected) for _, text, expected in BAD], ids=[name for name, _, _ in BAD]
)
def test_bad_protocol_is_refused_naming_the_place(text: str, expected: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "bad.toml")
    assert any(problem.startswith(expected) for problem in caught.value.problems), caught.value.problems
    assert caught.value.source == "bad.toml"


def test_the_minimal_fixture_itself_loads() -> None:
    protocol = parse_protocol(MINIMAL)
    assert protocol.version == "test-1"
    assert protocol.source == "<string>"


def test_every_problem_is_reported_at_once() -> None:
    text = mutate("wait_minutes = 5", "wait_minutes = 0").replace('severity = "high"', 'severity = "severe"')
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text)
    assert len(caught.value.problems) == 2
    assert str(caught.value) == "\n".join(caught.value.problems)


def test_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match="cannot read the file"):
        load_protocol(tmp_path / "absent.toml")


# --------------------------------------------------------------------------------------------------
# The on-call rota


ABC = PositionRota(("a@x.test", "b@x.test", "c@x.test"))


@pytest.mark.parametrize(
    ("at", "expected", "week"),
    [
        # Week 0 starts at the first handoff on or after Monday 2024-01-01 (09:00 EST = 14:00 UTC).
        ("2024-01-01T13:59", "c@x.test", -1),
        ("2024-01-01T14:00", "a@x.test", 0),
        ("2024-01-05T23:00", "a@x.test", 0),
        ("2024-01-08T13:59", "a@x.test", 0),
        ("2024-01-08T14:00", "b@x.test", 1),
        ("2024-01-15T14:00", "c@x.test", 2),
        ("2024-01-22T14:00", "a@x.test", 3),
        # Across the 2026 spring-forward: the handoff stays at 09:00 local, 14:00 UTC then 13:00 UTC.
        ("2026-03-02T13:59", "b@x.test", 112),
        ("2026-03-02T14:00", "c@x.test", 113),
        ("2026-03-09T12:59", "c@x.test", 113),
        ("2026-03-09T13:00", "a@x.test", 114),
    ],
)
def test_weekly_rotation(at: str, expected: str, week: int) -> None:
    assert on_duty(ABC, utc(at), NEW_YORK) == expected
    assert week_index(ABC.handoff, utc(at), NEW_YORK) == week


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # Handoff Wednesday 18:00 Los Angeles; overrides: dee 07-01 09:00 to 07-03 09:00 and,
        # listed later, eli 07-02 00:00 to 12:00 (the later override wins where they overlap).
        ("2026-06-24T17:59:00-07:00", "cho@riverside.test"),
        ("2026-06-24T18:00:00-07:00", "ana@riverside.test"),
        ("2026-07-01T08:59:00-07:00", "ana@riverside.test"),
        ("2026-07-01T09:00:00-07:00", "dee@riverside.test"),
        ("2026-07-01T23:59:00-07:00", "dee@riverside.test"),
        ("2026-07-02T00:00:00-07:00", "eli@riverside.test"),
        ("2026-07-02T11:59:00-07:00", "eli@riverside.test"),
        ("2026-07-02T12:00:00-07:00", "dee@riverside.test"),
        ("2026-07-03T08:59:00-07:00", "dee@riverside.test"),
        ("2026-07-03T09:00:00-07:00", "ben@riverside.test"),
        ("2026-07-08T17:59:00-07:00", "ben@riverside.test"),
        ("2026-07-08T18:00:00-07:00", "cho@riverside.test"),
        ("2026-07-15T18:00:00-07:00", "ana@riverside.test"),
    ],
)
def test_clinic_rota_with_overrides(at: str, expected: str) -> None:
    protocol = load_protocol(CLINIC)
    # The protocol names its own time zone, so the clinic's is not used.
    assert protocol.on_duty("on_call_clinician", utc(at), "Asia/Tokyo") == expected


def test_rota_uses_the_clinic_time_zone_when_the_protocol_names_none() -> None:
    protocol = parse_protocol(
        MINIMAL.replace('rotation = ["a@clinic.test"]', 'rotation = ["a@clinic.test", "b@clinic.test"]')
    )
    # Monday 2026-11-30 09:00 in New York is 14:00 UTC; in Los Angeles it is 17:00 UTC.
    at = utc("2026-11-30T15:00")
    assert protocol.on_duty("on_call_clinician", at, "America/New_York") != protocol.on_duty(
        "on_call_clinician", at, "America/Los_Angeles"
    )


def test_on_duty_for_a_position_the_protocol_does_not_have() -> None:
    assert default_protocol().on_duty("night_porter", utc("2026-11-30T15:00"), "America/New_York") is None


def test_default_rota_covers_every_position_its_chains_page() -> None:
    protocol = default_protocol()
    at = utc("2026-11-28T03:00")
    for chain in protocol.chains.values():
        for step in chain.steps:
            for target in (*step.notify, *(step.after_hours_notify or ())):
                if target.kind == "oncall":
                    assert protocol.on_duty(target.value, at, "America/New_York")


def test_empty_rotation_without_override_is_nobody() -> None:
    rota = PositionRota((), overrides=(Override("x@x.test", utc("2026-01-01T00:00"), utc("2026-01-02T00:00")),))
    assert on_duty(rota, utc("2026-01-01T12:00"), NEW_YORK) == "x@x.test"
    assert on_duty(rota, utc("2026-01-02T00:00"), NEW_YORK) is None


def test_rota_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        on_duty(ABC, datetime(2026, 1, 1, 12, 0), NEW_YORK)


@pytest.mark.parametrize(
    ("text", "weekday", "at"),
    [("mon 09:00", 0, time(9, 0)), ("Wed 18:30", 2, time(18, 30)), ("sun 00:00", 6, time(0, 0))],
)
def test_handoff_parse(text: str, weekday: int, at: time) -> None:
    assert Handoff.parse(text) == Handoff(weekday, at)


@pytest.mark.parametrize("text", ["mon", "09:00 mon", "funday 09:00", "mon 9:00", "mon 24:00"])
def test_handoff_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        Handoff.parse(text)


@pytest.mark.parametrize(("text", "minutes"), [("00:00", 0), ("09:30", 570), ("23:59", 1439)])
def test_parse_hhmm(text: str, minutes: int) -> None:
    assert parse_hhmm(text) == minutes


# --------------------------------------------------------------------------------------------------
# Business hours


@pytest.mark.parametrize(
    ("at", "clinic_tz", "expected"),
    [
        # Monday 2026-11-30; default hours 09:00-17:00 in the clinic's own time zone.
        ("2026-11-30T14:00", "America/New_York", True),  # 09:00 New York: opening
        ("2026-11-30T13:59", "America/New_York", False),
        ("2026-11-30T21:59", "America/New_York", True),  # 16:59
        ("2026-11-30T22:00", "America/New_York", False),  # 17:00: closed
        ("2026-11-30T14:00", "America/Los_Angeles", False),  # 06:00 in Los Angeles
        ("2026-11-30T17:00", "America/Los_Angeles", True),  # 09:00 in Los Angeles
        ("2026-11-30T10:00", "Europe/London", True),
        # The weekend is closed.
        ("2026-11-28T15:00", "America/New_York", False),  # Saturday 10:00
        ("2026-11-29T15:00", "America/New_York", False),  # Sunday 10:00
        # Friday 17:00 UTC is Friday noon in New York but Saturday 02:00 in Tokyo.
        ("2026-11-27T17:00", "America/New_York", True),
        ("2026-11-27T17:00", "Asia/Tokyo", False),
        # Across the autumn DST change: 09:00 EDT is 13:00 UTC, 09:00 EST is 14:00 UTC.
        ("2026-10-26T13:00", "America/New_York", True),
        ("2026-11-02T13:00", "America/New_York", False),
        ("2026-11-02T14:00", "America/New_York", True),
    ],
)
def test_default_business_hours(at: str, clinic_tz: str, expected: bool) -> None:
    assert default_protocol().is_business_hours(utc(at), clinic_tz) is expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-07-03T12:29:00-07:00", True),  # Friday closes at 12:30 Los Angeles time
        ("2026-07-03T12:30:00-07:00", False),
        ("2026-07-04T09:59:00-07:00", False),  # Saturday opens at 10:00 ...
        ("2026-07-04T23:59:00-07:00", True),  # ... and closes at 24:00
        ("2026-07-05T12:00:00-07:00", False),  # Sunday is not listed
        ("2026-07-06T08:00:00-07:00", True),
    ],
)
def test_protocol_time_zone_wins_over_the_clinic_time_zone(at: str, expected: bool) -> None:
    protocol = load_protocol(CLINIC)
    assert protocol.is_business_hours(utc(at), "Asia/Tokyo") is expected
    assert protocol.is_business_hours(utc(at), "America/New_York") is expected


def test_business_hours_with_an_unknown_clinic_time_zone() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        default_protocol().is_business_hours(utc("2026-11-30T15:00"), "Nowhere/Town")


# --------------------------------------------------------------------------------------------------
# companion protocol check


def test_cli_check_good_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "check", str(DEFAULT_PROTOCOL_FILE)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Protocol version default-2026.1")
    assert "Chains:" in out and "Aftercare:" in out
    assert "protocol error" not in err


def test_cli_check_clinic_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "check", str(CLINIC)]) == 0
    assert "Business hours (America/Los_Angeles):" in capsys.readouterr().out


def test_cli_check_bad_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "check", str(FIXTURES / "bad_chain.toml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "protocol error: rules[0].chain: no chain named 'crisiss' (defined: crisis)"


def test_cli_check_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["protocol", "check", str(tmp_path / "absent.toml")]) == 2
    assert capsys.readouterr().err.startswith("protocol error: ")


def test_protocol_is_a_plain_value() -> None:
    assert isinstance(default_protocol(), Protocol)


@pytest.mark.parametrize(
    ("line", "via", "summary"),
    [
        ("", "sms", "notify oncall:on_call_clinician; wait 5 min"),
        ('via = "sms"', "sms", "notify oncall:on_call_clinician; wait 5 min"),
        ('via = "voice"', "voice", "notify oncall:on_call_clinician by voice call; wait 5 min"),
        ('via = "both"', "both", "notify oncall:on_call_clinician by SMS and voice call; wait 5 min"),
    ],
)
def test_a_step_pages_by_sms_voice_or_both(line: str, via: str, summary: str) -> None:
    protocol = parse_protocol(mutate(STEP, STEP + "\n" + line))
    step = protocol.chain("crisis").steps[0]
    assert step.via == via
    assert f"[0] {summary}" in protocol.summary()
    assert Chain.from_dict(protocol.chain("crisis").to_dict()) == protocol.chain("crisis")


def test_the_default_protocol_pages_by_sms_until_a_clinic_configures_voice() -> None:
    assert {step.via for chain in default_protocol().chains.values() for step in chain.steps} == {"sms"}
