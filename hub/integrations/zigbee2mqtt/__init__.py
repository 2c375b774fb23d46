"""Zigbee2MQTT: discovery from the bridge, device states, the set-topic binding, a simulator."""
