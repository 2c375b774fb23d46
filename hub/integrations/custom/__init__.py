"""Custom devices: a topic template and payload templates from the config."""
