"""The entry-point layer's wiring: the only place that knows every part.

- ``build``: the registry, the tiers and the pipeline from one Config.
- ``lifecycle``: ``hub run``'s start-up, serving and shutdown of the daemon and its companions.
"""
