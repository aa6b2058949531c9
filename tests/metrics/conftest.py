"""Metrics tests: the SMS path's fixtures (a fake Twilio, real signatures) and a scrape helper."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families

from companion.observability.metrics import REGISTRY
from tests.messaging.conftest import dispatcher, gateway, settings

__all__ = ["dispatcher", "gateway", "settings"]

Samples = Mapping[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition text (prometheus_client's own parser: the text must parse)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def counter(name: str, **labels: str) -> float:
    """A process-local counter's value now (tests compare before and after)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
