"""Table models, one domain a file. Importing this package registers every table.

Each status or kind a model stores has a ``StrEnum`` next to the model. The columns stay plain strings
(VARCHAR), so a member and its value are the same to the database and in comparisons.
"""

from companion.models.audit import AuditEvent
from companion.models.auth import SignInThrottle
from companion.models.checkin import (
    Answer,
    CheckIn,
    CheckInStatus,
    PatientLoginCode,
    Prompt,
    PromptChannel,
    PromptStatus,
)
from companion.models.clinic import Clinic
from companion.models.messaging import (
    AttemptOutcome,
    InboundMessage,
    InboundStatus,
    MessageAttempt,
    MessageChannel,
    MessageStatus,
    MessageVia,
    OutboundMessage,
    SenderKind,
)
from companion.models.patient import Patient, PatientChannel, PatientStatus, SmsConsent
from companion.models.protocol import ActiveProtocol, OncallOverride, OncallPosition, ProtocolVersion
from companion.models.push import PushMessage, PushStatus, PushSubscription
from companion.models.safety import Alert, AlertPage, AlertSeverity, AlertStatus, EscalationEndReason
from companion.models.safety_plan import SafetyPlanVersion, SavedBy
from companion.models.scheduling import JobHeartbeat, WorkerProcess
from companion.models.staff import SetupKind, StaffMember, StaffRole
from companion.models.treatment import TreatmentModality, TreatmentSession

__all__ = [
    "ActiveProtocol",
    "Alert",
    "AlertPage",
    "AlertSeverity",
    "AlertStatus",
    "Answer",
    "AttemptOutcome",
    "AuditEvent",
    "CheckIn",
    "CheckInStatus",
    "Clinic",
    "EscalationEndReason",
    "InboundMessage",
    "InboundStatus",
    "JobHeartbeat",
    "MessageAttempt",
    "MessageChannel",
    "MessageStatus",
    "MessageVia",
    "OncallOverride",
    "OncallPosition",
    "OutboundMessage",
    "Patient",
    "PatientChannel",
    "PatientLoginCode",
    "PatientStatus",
    "Prompt",
    "PromptChannel",
    "PromptStatus",
    "ProtocolVersion",
    "PushMessage",
    "PushStatus",
    "PushSubscription",
    "SafetyPlanVersion",
    "SavedBy",
    "SenderKind",
    "SetupKind",
    "SignInThrottle",
    "SmsConsent",
    "StaffMember",
    "StaffRole",
    "TreatmentModality",
    "TreatmentSession",
    "WorkerProcess",
]
