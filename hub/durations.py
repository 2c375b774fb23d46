"""Spans of time as people write them: "90s", "15m", "1h", "24h", "7d", "2w", "1h30m"."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises ValueError naming the accepted form."""
    compact = text.strip().lower().replace(" ", "")
    if compact.replace(".", "", 1).isdigit():
        return float(compact)  # plain seconds
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration like 90s, 15m, 1h, 24h, 7d or 1h30m")
    return sum(float(n) * _UNITS[u] for n, u in parts)
