"""Base controllers of the JSON API: who may call a route, and what its description says of it.

A staff route gets the signed-in staff member as ``staff``, a patient route the signed-in patient
as ``patient``, and either gets the protocol of that person's clinic as ``protocol``; both declare
their bearer scheme and document the 401 that refuses everyone else."""

from __future__ import annotations

from litestar.di import Provide

from companion.auth.dependencies import provide_patient, provide_patient_protocol, provide_staff, provide_staff_protocol
from companion.openapi import PATIENT_SECURITY, STAFF_SECURITY, ApiController, errors


class StaffApi(ApiController):
    dependencies = {"staff": Provide(provide_staff), "protocol": Provide(provide_staff_protocol)}
    security = STAFF_SECURITY
    error_responses = errors(401)


class PatientApi(ApiController):
    dependencies = {"patient": Provide(provide_patient), "protocol": Provide(provide_patient_protocol)}
    security = PATIENT_SECURITY
    error_responses = errors(401)
