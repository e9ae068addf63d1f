"""Tunables of the gateway. Defaults suit production; tests shrink them.

``from_settings`` picks up ``gateway_*`` fields from Settings when they exist, so a
field added there (e.g. ``gateway_heartbeat_s``) takes effect without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class GatewayOptions:
    heartbeat_s: float = 15.0  # SSE comment / WebSocket ping interval
    client_queue: int = 256  # alerts buffered per client before it counts as too slow
    recent_size: int = 500  # alerts kept in memory for /v1/alerts/recent and /v1/stories/recent
    connect_burst: float = 20.0  # connects a client may make at once...
    connect_rate: float = 1.0  # ...refilled at this many per second
    stats_window_hours: int = 48  # /v1/stats/categories?hours= may ask for up to this
    # Kernel send buffer per streaming client (0 = OS default, which grows to megabytes):
    # small enough that a stalled client fills its queue, and is dropped, soon.
    send_buffer: int = 128 * 1024
    retry_ms: int = 2000  # SSE reconnection delay suggested to browsers
    probe_interval_s: float = 2.0  # how often /readyz re-checks the broker

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> GatewayOptions:
        found = {
            f.name: getattr(settings, f"gateway_{f.name}")
            for f in fields(cls)
            if getattr(settings, f"gateway_{f.name}", None) is not None
        }
        return replace(cls(**found), **overrides)
