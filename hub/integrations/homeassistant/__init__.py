"""Home Assistant: MQTT discovery, its entities' topics, statestream, the action topic and a
simulator."""
