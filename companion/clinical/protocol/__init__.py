"""The clinic's safety protocol and aftercare plan: one TOML file, parsed into strict models.

The file's shape is documented at the top of ``companion/protocols/default.toml``. Loading is
all or nothing: an unknown key anywhere, a reference to something that is not defined (a rule's
chain, a step's on-call position), a duplicate rule id, an unknown time zone, a malformed time or
an impossible wait refuses the whole file with a :class:`ProtocolError` that names each place,
as a dotted path with 0-based list indexes::

    rules[3].chain: no chain named 'crisiss' (defined: crisis, medical, same_day, routine)
    chains.crisis.steps[1].wait_minutes: must be between 1 and 1440

The result is a :class:`Protocol`: escalation chains as :class:`~companion.clinical.escalation.Chain`
objects, rules as :class:`~companion.clinical.rules.Rule` objects, the aftercare plan as an
:class:`~companion.clinical.plan.AftercarePlan`, the business hours and the on-call rota. Its
``version`` is stamped on every alert raised under it.

Pure: no I/O (``companion.protocols`` reads the file and hands its text to :func:`parse_protocol`)
and no clock reads (instants are parameters). See docs/protocol.md.

Modules:

* :mod:`~companion.clinical.protocol.spec`: the file's shape, strict pydantic models.
* :mod:`~companion.clinical.protocol.build`: :func:`parse_protocol`, and the checks the shape
  cannot make (names, references, wording) while building the :class:`Protocol`.
* :mod:`~companion.clinical.protocol.model`: the loaded :class:`Protocol` and :class:`ProtocolError`.
* :mod:`~companion.clinical.protocol.wording`: the patient-facing texts and their defaults.
* :mod:`~companion.clinical.protocol.summary`: the readable account of a protocol.
* :mod:`~companion.clinical.protocol.clinic_check`: :func:`check_against_clinic`, whether the
  people and targets a protocol names can be paged in the clinic it is for, and
  :func:`version_diff`, the text difference between two versions of a file.
"""

from companion.clinical.permissions import STAFF_ROLES
from companion.clinical.protocol.build import parse_protocol
from companion.clinical.protocol.clinic_check import Member, check_against_clinic, version_diff
from companion.clinical.protocol.model import Protocol, ProtocolError
from companion.clinical.protocol.spec import MAX_REPEAT, MAX_WAIT_MINUTES
from companion.clinical.protocol.wording import (
    DEFAULT_MEDICAL_REPLY,
    DEFAULT_NOT_EMERGENCY,
    DEFAULT_SAFETY_REPLY,
    SMS_TEXT_MAX_CHARS,
    Wording,
)

__all__ = [
    "DEFAULT_MEDICAL_REPLY",
    "DEFAULT_NOT_EMERGENCY",
    "DEFAULT_SAFETY_REPLY",
    "MAX_REPEAT",
    "MAX_WAIT_MINUTES",
    "SMS_TEXT_MAX_CHARS",
    "STAFF_ROLES",
    "Member",
    "Protocol",
    "ProtocolError",
    "Wording",
    "check_against_clinic",
    "parse_protocol",
    "version_diff",
]
