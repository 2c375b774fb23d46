"""The MQTT side of hub: the daemon (``hub run``), its connection, discovery and publishing.

``client`` is the only module that imports paho-mqtt, and only when a connection is made.
"""
