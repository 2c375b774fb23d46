"""A device simulator for the MQTT bus: Zigbee2MQTT and Home Assistant discovery devices.

Run it against a broker to try discovery without hardware:

    .venv/bin/python -m hub.sim --port 1883 --devices 20
"""
