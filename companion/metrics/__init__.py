"""Prometheus metrics (docs/metrics.md).

``instruments`` holds this process's counters and histograms, observed where the work happens
(webhook intake, the dispatcher); ``gauges`` turns a snapshot of the database into gauges and
``services`` reads that snapshot at each scrape, so they are right from any process.
"""
