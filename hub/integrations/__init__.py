"""Integrations: one folder per device protocol, each with its discovery, state, binding and
simulator side by side.

- ``zigbee2mqtt/``: the bridge's device list, ``<base>/<name>`` states, ``<base>/<name>/set``.
- ``homeassistant/``: MQTT discovery configs, their entities' own topics, ``mqtt_statestream``,
  and the ``<prefix>/action/<domain>`` topic Home Assistant runs commands from.
- ``tasmota/``: ``cmnd/<topic>/<Command>`` and ``stat``/``tele`` states.
- ``custom/``: a topic and payload template from the config.

Shared by all: the binding and state-source interfaces (``binding``, ``state``), what discovery
finds (``discovered``), unit conversions (``units``) and colour names (``colors``); ``router``
picks each device's binding. Adding a protocol is one new folder plus a line in ``router``.
"""
