"""Scheduled summaries: what happened at home, as exact facts and a few checked sentences.

sources -> ``facts`` (one pass, bounded) -> ``summary`` (the model's prose, in chunks when
long) -> ``check`` (sentences that contradict the facts are dropped) -> ``store`` (SQLite)
and ``delivery`` (MQTT, Home Assistant); ``schedule`` runs the configured jobs in ``hub run``.
"""
