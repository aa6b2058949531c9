"""This process's counters and histograms, in a registry of their own.

Labels are closed sets (endpoints, refusal reasons, purposes, gateway names, provider error codes,
what the send policy decided): never a phone number, a body, a name or a patient id.
"""

from __future__ import annotations

from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

WebhookEndpoint = Literal["sms", "status", "voice_gather", "voice_status"]
RefusalReason = Literal["bad_signature", "bad_form", "store_failed"]

WEBHOOKS_RECEIVED = Counter(
    "companion_webhooks_received", "Twilio webhooks that reached this process, refused or not.",
    ["endpoint"], registry=REGISTRY,
)
WEBHOOKS_REFUSED = Counter(
    "companion_webhooks_refused",
    "Twilio webhooks answered with an error: bad_signature (403), bad_form (400: required "
    "parameters missing), store_failed (500: the message could not be committed; Twilio retries).",
    ["endpoint", "reason"], registry=REGISTRY,
)
INBOUND_STORED = Counter(
    "companion_inbound_stored",
    "Inbound messages the webhook intake committed: new, or duplicate (a MessageSid seen before).",
    ["result"], registry=REGISTRY,
)
SEND_SECONDS = Histogram(
    "companion_sms_send_seconds",
    "Time the dispatcher waited on the SMS provider for one send, by gateway and purpose.",
    ["gateway", "purpose"], registry=REGISTRY,
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
PROVIDER_ERRORS = Counter(
    "companion_sms_provider_errors",
    "Sends the provider refused or that failed on the way, by provider error code (none: no code, "
    "e.g. a timeout), HTTP status (none: no answer) and what the send policy decided.",
    ["code", "http_status", "action"], registry=REGISTRY,
)

for _endpoint in ("sms", "status"):
    WEBHOOKS_RECEIVED.labels(_endpoint)
    for _reason in ("bad_signature", "bad_form"):
        WEBHOOKS_REFUSED.labels(_endpoint, _reason)
WEBHOOKS_REFUSED.labels("sms", "store_failed")
for _result in ("new", "duplicate"):
    INBOUND_STORED.labels(_result)


def webhook_received(endpoint: WebhookEndpoint) -> None:
    WEBHOOKS_RECEIVED.labels(endpoint).inc()


def webhook_refused(endpoint: WebhookEndpoint, reason: RefusalReason) -> None:
    WEBHOOKS_REFUSED.labels(endpoint, reason).inc()


def inbound_stored(new: int, duplicate: int) -> None:
    if new:
        INBOUND_STORED.labels("new").inc(new)
    if duplicate:
        INBOUND_STORED.labels("duplicate").inc(duplicate)


def provider_error(code: int | None, http_status: int | None, action: str) -> None:
    """One failed send: ``action`` is the policy's decision (retry, give_up, settle_sent)."""
    PROVIDER_ERRORS.labels(str(code) if code is not None else "none",
                           str(http_status) if http_status is not None else "none", action).inc()
