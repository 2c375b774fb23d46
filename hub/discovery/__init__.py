"""Learning the home from the MQTT bus: merging what the integrations find with the config,
guarding what a learnt device may do, and throttling rebuilds."""
