"""Home Assistant's colour names as RGB hex, for the bindings: webcolors' CSS3 table, the one
Home Assistant uses, with its one extra name (``navyblue``)."""

from __future__ import annotations

import webcolors

from hub.actions import COLOR_NAMES

_ALIASES = {"navyblue": "navy"}


def color_hex(name: str) -> str | None:
    """``"red"`` -> ``"#ff0000"``; None for a name that is not a colour."""
    key = name.replace(" ", "").lower()
    if key not in COLOR_NAMES:
        return None
    return str(webcolors.name_to_hex(_ALIASES.get(key, key), spec="css3"))
