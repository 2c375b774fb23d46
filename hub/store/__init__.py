"""What the hub remembers, in one SQLite file: the event log and the two caches."""

from hub.store.cache import AnswerCache, CachedAnswer, Decision, DecisionCache, cache_key
from hub.store.db import Store
from hub.store.events import Event

__all__ = [
    "AnswerCache",
    "CachedAnswer",
    "Decision",
    "DecisionCache",
    "Event",
    "Store",
    "cache_key",
]
