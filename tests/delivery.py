"""Delivery reactions for tests and benchmarks that build a dispatcher without an app: the
reactions the app wires, under the shipped protocol."""

from __future__ import annotations

from companion.clock import Clock
from companion.conversations.delivery import DeliveryReactions
from companion.protocols import ProtocolSource, default_protocol


def delivery_events(clock: Clock) -> DeliveryReactions:
    return DeliveryReactions(clock, ProtocolSource.pinned(default_protocol()))
