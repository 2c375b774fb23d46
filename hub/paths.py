"""Where hub keeps its data (models, database).

``HUB_DATA_DIR`` overrides everything, so tests never touch a user's real directory. Under
systemd the unit's ``StateDirectory`` is used; otherwise the XDG data home.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    env = os.environ.get("HUB_DATA_DIR")
    if env:
        return Path(env).expanduser()
    state = os.environ.get("STATE_DIRECTORY")  # set by systemd's StateDirectory=
    if state:
        return Path(state.split(":")[0])
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "hub"
