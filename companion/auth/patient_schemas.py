from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from companion.auth.patient_codes import CODE_DIGITS, is_code_shaped
from companion.schemas import Phone, ReadModel, RequestModel


def _check_code(value: str) -> str:
    if not is_code_shaped(value):
        raise ValueError(f"the code is the {CODE_DIGITS} digits from the SMS")
    return value


SignInCode = Annotated[str, Field(max_length=32), AfterValidator(_check_code)]


class PatientCodeRequest(RequestModel):
    phone: Phone


class PatientCodeVerify(RequestModel):
    phone: Phone
    code: SignInCode


class CodeRequested(BaseModel):
    detail: str


class PatientSummary(ReadModel):
    reference: str
    display_name: str


class PatientTokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    patient: PatientSummary


class PatientProfileRead(ReadModel):
    """What a signed-in patient sees of their own record."""

    reference: str
    display_name: str
    timezone: str
    preferred_checkin_time: time
    quiet_start: time
    quiet_end: time
    channel: str
    sms_consent: str


class LinkSession(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    prompt_id: int
