"""The clinical core: every clinical decision the companion makes, in one place, as plain rules.

Nothing here reads the database, sends a message or looks at the clock: each decision is a pure
function of what it is given (answers, the patient's history, the clinic's protocol, the time),
so the same inputs always give the same decision and every rule can be checked on paper. The one
file read is the risk vocabulary shipped with :mod:`~companion.clinical.language` (and, there, the
English word list that comes with the spelling library). The services around this package load
what a decision needs, ask, and store the answer.

What each part decides (the clinical reasoning is in docs/clinical.md):

* :mod:`~companion.clinical.instruments`: the questionnaires themselves, word for word: the daily
  mood check, the post-session check, PHQ-9, GAD-7 and the C-SSRS screener, in their app and SMS
  wording; which question comes next (a no to C-SSRS item 2 skips items 3 to 5); what a valid
  answer is. A clinic cannot change an instrument; a change of wording is a new version.
* :mod:`~companion.clinical.scoring`: totals and severity bands (PHQ-9, GAD-7), the C-SSRS risk
  level, response and remission, the patient's mood baseline.
* :mod:`~companion.clinical.language`: how free text is read for suicide and self-harm risk (any
  SMS, any note in the app): the level it reads at, how acute it is, and the words that show it
  (docs/risk-language.md).
* :mod:`~companion.clinical.rules`: when an answer, a message, missed check-ins or an undelivered
  prompt raises an alert, and how severe it is (urgent, high, routine), from the clinic's rules;
  when the C-SSRS screener is asked at once; what the patient is told when an alert is raised.
* :mod:`~companion.clinical.escalation`: who is paged for an alert, step by step, how long each
  step waits for an acknowledgement, and when paging stops.
* :mod:`~companion.clinical.rota`: the clinic's business hours and who is on call at a given
  moment (weekly rotation, handoffs, cover).
* :mod:`~companion.clinical.oncall`: on-call shifts: who holds a position now, since when, until
  when (the next handoff or cover change), and who comes next.
* :mod:`~companion.clinical.permissions`: who may acknowledge and who may resolve an alert, by
  role and severity (docs/protocol.md).
* :mod:`~companion.clinical.digest`: the daily summary of routine alerts to the care team (counts
  only, no patient named) and the day it is due.
* :mod:`~companion.clinical.plan`: the aftercare schedule: which check-ins a patient is sent after
  each session and when (post-session check, daily mood, PHQ-9 and GAD-7, maintenance, reminders,
  expiry), per treatment modality.
* :mod:`~companion.clinical.localtime`: the patient's own clock: a 10:00 check-in stays at 10:00
  across daylight-saving changes, and routine messages that would fall in the patient's quiet
  hours wait until they end (safety replies and staff pages do not wait).
* :mod:`~companion.clinical.replies`: how an SMS reply is understood: STOP, START and HELP; a
  staff member's ACK and RESOLVE; an answer to a question ("7", "seven", "7/10"), where anything
  ambiguous is asked again, never guessed.
* :mod:`~companion.clinical.texts`: what the companion says to patients by SMS (never a
  diagnosis, score, drug or dose).
* :mod:`~companion.clinical.protocol`: the clinic's protocol file (rules, escalation chains,
  on-call rota, business hours, permissions, aftercare schedule, patient wording), checked as a
  whole and refused with every problem named when anything in it is wrong (docs/protocol.md).
"""
