"""The tiers that turn a request into commands, fastest first: templates, then the LLM."""
