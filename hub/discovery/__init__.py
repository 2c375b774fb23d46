"""Learning the home from the MQTT bus: Zigbee2MQTT's bridge and Home Assistant discovery."""

from hub.discovery.model import ORIGINS, Discovered, Rejection

__all__ = ["ORIGINS", "Discovered", "Rejection"]
