"""The safety rules engine: an event and the patient's history -> findings (docs/clinical.md).

The clinic's protocol holds a list of :class:`Rule` objects (kind, severity, chain, parameters);
:func:`evaluate` runs them against one event and returns a :class:`Finding` for each rule that
fires, most severe first. Events:

* :class:`AnswerEvent`: one answer of a check-in as it arrives, with the answers of that check-in
  so far (the new one included).
* :class:`MessageEvent`: free text, any SMS the patient sends and any free-text answer in a
  check-in (the mood note). Text answers are NOT scanned as part of an :class:`AnswerEvent`: the
  caller passes their text as a :class:`MessageEvent` as well, so the language rules see every
  piece of free text exactly once.
* :class:`MissedEvent`: the patient has missed ``in_a_row`` check-ins in a row.
* :class:`UndeliveredEvent`: a prompt could not be delivered to the patient.

A risk rule fires on the first answer that shows it; it does not wait for the whole
questionnaire. An answer rule fires when its condition holds with the new answer and did not hold
without it, so a yes to C-SSRS item 4 is high at once, a PHQ-9 item 9 fires while items 1-8 are
missing, and answers that follow do not fire the same rule again. Evaluate answers one at a time
in the order they were given; :func:`answer_events` turns answers submitted together into that
sequence.

Rule kinds and parameters (defaults are docs/clinical.md's):

* ``cssrs`` (``level``: low | moderate | high): the C-SSRS screener shows at least ``level``
  (:func:`~companion.clinical.scoring.cssrs_risk_so_far`). When one answer makes several cssrs
  rules fire, only those with the highest level are kept, so a high risk is never also reported
  as low.
* ``risk_language`` (``levels``: language levels; optional ``language_severity``: urgent | high):
  :func:`~companion.clinical.language.assess` rates the text at one of ``levels`` (and, when given,
  at one of those severities: self-harm is urgent for an act and high for thoughts or urges).
* ``post_session_red_flags``: yes to the post-session red-flag question.
* ``phq9_item9`` (``min`` 1): PHQ-9 item 9 answered ``min`` or more.
* ``mood_low`` (``max`` 2): mood answered ``max`` or less.
* ``mood_drop`` (``points`` 4, ``baseline_window`` 7): mood at least ``points`` below the
  patient's baseline, the median of their last ``baseline_window`` moods (no baseline before 3).
* ``missed_checkins`` (``count`` 3): ``count`` or more check-ins missed in a row.
* ``phq9_rise`` (``points`` 5): a complete PHQ-9 total at least ``points`` above the baseline.
* ``gad7_high`` (``min`` 15): a complete GAD-7 total of ``min`` or more.
* ``side_effects_strong``: a post-session side effect (dizziness, nausea, dissociation,
  headache) answered strong.
* ``undelivered_prompt_during_alert``: a prompt was not delivered while the patient has an open
  high or urgent alert.

Evidence is short and carries no patient identifier ("PHQ-9 item 9 = 2"); a language finding
quotes the concepts and the patient's words that raised it, for the care team ("language: intent
; overdose: 'took 30 trazodone' (done)").

Modules:

* :mod:`~companion.clinical.rules.params`: rule kinds, severities and each kind's parameters.
* :mod:`~companion.clinical.rules.rule`: a rule of the protocol, and its default safety reply.
* :mod:`~companion.clinical.rules.events`: the events judged, the history they are judged against,
  and the findings.
* :mod:`~companion.clinical.rules.checks`: one check per kind, deciding whether its rule fires.
* :mod:`~companion.clinical.rules.engine`: :func:`evaluate` and :func:`needs_cssrs`.
* :mod:`~companion.clinical.rules.notice`: :func:`reply_kind`, what the patient is told after findings.

Pure: no I/O and no clock reads.
"""

from companion.clinical.rules.engine import evaluate, needs_cssrs
from companion.clinical.rules.events import (
    AnswerEvent,
    Event,
    Finding,
    History,
    MessageEvent,
    MissedEvent,
    UndeliveredEvent,
    answer_events,
)
from companion.clinical.rules.notice import NoticeKind, reply_kind, reply_kind_of
from companion.clinical.rules.params import (
    PARAMS_BY_KIND,
    RULE_KINDS,
    SEVERITY_RANK,
    CssrsLevel,
    CssrsParams,
    Gad7HighParams,
    LanguageLevel,
    LanguageSeverity,
    MissedCheckinsParams,
    MoodDropParams,
    MoodLowParams,
    NoParams,
    Phq9Item9Params,
    Phq9RiseParams,
    RiskLanguageParams,
    RuleKind,
    RuleParams,
    RuleSeverity,
    SafetyReply,
)
from companion.clinical.rules.rule import Rule, default_safety_reply

__all__ = [
    "PARAMS_BY_KIND",
    "RULE_KINDS",
    "SEVERITY_RANK",
    "AnswerEvent",
    "CssrsLevel",
    "CssrsParams",
    "Event",
    "Finding",
    "Gad7HighParams",
    "History",
    "LanguageLevel",
    "LanguageSeverity",
    "MessageEvent",
    "MissedCheckinsParams",
    "MissedEvent",
    "MoodDropParams",
    "MoodLowParams",
    "NoParams",
    "NoticeKind",
    "Phq9Item9Params",
    "Phq9RiseParams",
    "RiskLanguageParams",
    "Rule",
    "RuleKind",
    "RuleParams",
    "RuleSeverity",
    "SafetyReply",
    "UndeliveredEvent",
    "answer_events",
    "default_safety_reply",
    "evaluate",
    "needs_cssrs",
    "reply_kind",
    "reply_kind_of",
]
