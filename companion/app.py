"""The application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from companion import web_security
from companion.auth.controllers import AuthController
from companion.auth.dependencies import provide_client_address
from companion.auth.passwords import PasswordPool
from companion.auth.patient_controllers import PatientAuthController
from companion.checkins.controllers import (
    CrisisController,
    PatientCheckinController,
    StaffCheckinController,
    TimelineController,
)
from companion.clinical import language
from companion.clinical.protocol import Protocol
from companion.clinics.controllers import ClinicController
from companion.clinics.oncall_controllers import OncallController
from companion.clinics.protocol_controllers import ProtocolController
from companion.clock import Clock
from companion.conversations.controllers import MessageController, PatientMessageController
from companion.conversations.delivery import DeliveryReactions
from companion.conversations.keypad import PageKeypad
from companion.conversations.router import Conversations, reads_as_risk
from companion.db import create_engine, create_sessionmaker
from companion.deps import provide_clock, provide_db_session, provide_settings
from companion.errors import DomainError
from companion.health import HealthController
from companion.messaging.controllers import TwilioWebhookController
from companion.messaging.dispatch_loop import run_dispatcher
from companion.messaging.dispatcher import Dispatcher
from companion.messaging.gateways import SmsGateway, create_gateway
from companion.messaging.inbound_worker import InboundProcessor, run_inbound
from companion.messaging.intake import InboundIntake
from companion.messaging.policy import PRIORITY, Purpose
from companion.messaging.push_gateway import create_push_gateway
from companion.messaging.wakeup import Waker
from companion.metrics.controllers import MetricsController
from companion.observability import request_id
from companion.observability.errors import unexpected_error
from companion.openapi import openapi_config, openapi_plugins
from companion.patients.controllers import PatientController
from companion.patients.safety_plan_controllers import PatientSafetyPlanController, StaffSafetyPlanController
from companion.patients.self_controllers import PatientSelfController
from companion.protocols import ProtocolSource
from companion.reports.controllers import AuditLogController, OutcomesController, PatientExportController
from companion.requests import CompanionRequest
from companion.safety.controllers import AlertController
from companion.secret_keys import with_secret_keys
from companion.settings import Settings, get_settings
from companion.staff.controllers import StaffController
from companion.treatments.controllers import TreatmentSessionController
from companion.vapid_keys import with_vapid_key
from companion.web.routes import web_routers
from jobs.context import JobContext
from jobs.scheduler import Workers

log = logging.getLogger("companion")

# Seconds the webhook writer keeps its database connection after the last webhook: at a steady
# trickle each message then costs one commit, not a connection check-out and check as well.
INTAKE_LINGER = 2.0


def _domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    return Response(exc.to_dict(), status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers)


def _integrity_error(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[dict[str, Any]]:
    log.warning("refused a change that conflicts with stored data (%s)", type(exc.orig).__name__)
    return Response(
        {"status_code": 409, "detail": "this change conflicts with existing data"},
        status_code=409,
        media_type=MediaType.JSON,
    )


def _validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else ([exc.extra] if exc.extra else [])
    fields = [e.get("key") for e in extra if isinstance(e, dict) and e.get("key")]
    detail = exc.detail
    if fields:
        detail = f"invalid request: check {', '.join(str(f) for f in fields)}"
    return Response(
        {"status_code": 400, "detail": detail, "extra": extra}, status_code=400, media_type=MediaType.JSON
    )


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    gateway: SmsGateway | None = None,
    run_workers: bool = False,
    protocol: Protocol | None = None,
) -> Litestar:
    """Build the app. ``run_workers`` runs the scheduled jobs and the dispatcher in this process
    (the embedded default); in production the scheduler process (`companion jobs`) does it.

    ``protocol``, when given, is the safety protocol of everything this app does (requests, the
    inbound handling and the jobs it runs); otherwise it is the file ``settings.protocol_file``
    names, re-read when the file changes.

    Without a usable secret key it refuses with :class:`~companion.settings.SecretKeyError`."""
    settings = with_vapid_key(with_secret_keys(settings or get_settings()))
    clock = clock or Clock()
    owns_engine = engine is None
    engine = engine or create_engine(settings)
    gateway = gateway or create_gateway(settings)
    waker = Waker()
    inbound_waker = Waker()
    passwords = PasswordPool(settings.password_workers, settings.password_max_pending)
    urgent_in_api = settings.handle_urgent_inbound_in_api and not run_workers
    protocols = ProtocolSource.pinned(protocol) if protocol is not None else ProtocolSource.from_file(
        settings.protocol_file)
    conversations = Conversations(clock, settings, protocols)
    delivery_events = DeliveryReactions(clock, protocols)
    intake = InboundIntake(engine, clock, triage=reads_as_risk, notify=not settings.is_sqlite, waker=inbound_waker,
                           wake_for_urgent_only=not run_workers, linger=INTAKE_LINGER)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The risk-language dictionary loads once, before the first webhook needs it.
        await asyncio.to_thread(language.warm)
        workers = None
        stop = asyncio.Event()
        inbound_task = dispatch_task = None
        if urgent_in_api:
            # Each API process handles the urgent messages it stored, right after commit; the
            # scheduler process handles the rest (and anything a replica that died left).
            processor = InboundProcessor(state.sessionmaker, clock, conversations, waker, urgent_only=True)
            inbound_task = asyncio.create_task(run_inbound(processor, inbound_waker.wait, stop))
            if not settings.is_sqlite:
                # ... and sends the safety replies and pages that handling queued, as the scheduler's
                # dispatcher would (whichever claims a row first sends it).
                urgent = Dispatcher(engine, gateway, clock, events=state.delivery_events,
                                    max_priority=PRIORITY[Purpose.SAFETY_REPLY],
                                    retry_base_seconds=settings.send_retry_base_seconds)
                dispatch_task = asyncio.create_task(run_dispatcher(urgent, waker.wait, stop, tick=5.0))
        if run_workers:
            context = JobContext(settings=settings, engine=engine, sessionmaker=state.sessionmaker, clock=clock,
                                 gateway=gateway, protocols=protocols, waker=waker, inbound_waker=inbound_waker,
                                 push_gateway=create_push_gateway(settings))
            workers = Workers.create(context)
            await workers.start()
        try:
            yield
        finally:
            stop.set()
            await intake.close()
            inbound_waker.wake()
            waker.wake()
            for task in (inbound_task, dispatch_task):
                if task is not None:
                    await task
            if workers is not None:
                await workers.shutdown()
            await gateway.close()
            passwords.close()
            if owns_engine:
                await engine.dispose()

    state = State(
        {
            "settings": settings,
            "clock": clock,
            "protocols": protocols,
            "engine": engine,
            "sessionmaker": create_sessionmaker(engine),
            "gateway": gateway,
            "waker": waker,
            "inbound_waker": inbound_waker,
            "intake": intake,
            "conversations": conversations,
            "delivery_events": delivery_events,
            "keypad": PageKeypad(clock, protocols),
            "passwords": passwords,
        }
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            TwilioWebhookController,
            PatientCheckinController,
            CrisisController,
            TimelineController,
            StaffCheckinController,
            AlertController,
            OutcomesController,
            PatientExportController,
            AuditLogController,
            AuthController,
            PatientAuthController,
            PatientSelfController,
            PatientSafetyPlanController,
            ClinicController,
            ProtocolController,
            OncallController,
            StaffController,
            PatientController,
            StaffSafetyPlanController,
            TreatmentSessionController,
            MessageController,
            PatientMessageController,
            *web_routers(),
        ],
        dependencies={
            "db_session": Provide(provide_db_session),
            "clock": Provide(provide_clock, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "client_address": Provide(provide_client_address, sync_to_thread=False),
        },
        exception_handlers={
            DomainError: _domain_error,
            IntegrityError: _integrity_error,
            ValidationException: _validation_error,
            HTTP_500_INTERNAL_SERVER_ERROR: unexpected_error,
        },
        # The schema as JSON only (see companion.openapi): the HTML viewers load scripts from CDNs,
        # which have no place on the origin that holds patients' tokens.
        openapi_config=openapi_config(),
        plugins=openapi_plugins(),
        request_class=CompanionRequest,
        logging_config=None,  # companion.observability.logs configures logging, for uvicorn too
        state=state,
        lifespan=[lifespan],
        request_max_body_size=1_048_576,
    )
    web_security.install(app)
    request_id.install(app)  # last: the outermost layer, so every answer carries the id
    return app
