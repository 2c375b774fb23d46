"""Live state: what devices report on the bus, turned into Home Assistant's state shape."""

from hub.state.base import StateSource, merge_state

__all__ = ["StateSource", "merge_state"]
