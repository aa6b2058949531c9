"""Base controllers of the JSON API: who may call a route, and what its description says of it.

A staff route gets the signed-in staff member as ``staff``, a patient route the signed-in patient
as ``patient``; both declare their bearer scheme and document the 401 that refuses everyone else."""

from __future__ import annotations

from litestar.di import Provide

from companion.auth.dependencies import provide_patient, provide_staff
from companion.openapi import PATIENT_SECURITY, STAFF_SECURITY, ApiController, errors


class StaffApi(ApiController):
    dependencies = {"staff": Provide(provide_staff)}
    security = STAFF_SECURITY
    error_responses = errors(401)


class PatientApi(ApiController):
    dependencies = {"patient": Provide(provide_patient)}
    security = PATIENT_SECURITY
    error_responses = errors(401)
