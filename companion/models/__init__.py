"""Table models, one domain a file. Importing this package registers every table."""

from companion.models.audit import AuditEvent
from companion.models.auth import SignInThrottle
from companion.models.checkin import Answer, CheckIn, PatientLoginCode, Prompt
from companion.models.clinic import Clinic
from companion.models.messaging import InboundMessage, MessageAttempt, OutboundMessage
from companion.models.patient import Patient
from companion.models.safety import Alert, AlertPage
from companion.models.scheduling import JobHeartbeat, WorkerProcess
from companion.models.staff import StaffMember
from companion.models.treatment import TreatmentSession

__all__ = [
    "Alert",
    "AlertPage",
    "Answer",
    "AuditEvent",
    "CheckIn",
    "Clinic",
    "InboundMessage",
    "JobHeartbeat",
    "MessageAttempt",
    "OutboundMessage",
    "Patient",
    "PatientLoginCode",
    "Prompt",
    "SignInThrottle",
    "StaffMember",
    "TreatmentSession",
    "WorkerProcess",
]
