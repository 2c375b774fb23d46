"""Security: which actions are security actions, who may ask for them, and how they are
confirmed (``policy``, ``negation``, ``confirm``)."""
