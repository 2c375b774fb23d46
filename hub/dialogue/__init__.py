"""Conversations: the hub's open question and the devices a conversation last used, so that a
follow-up ("yes", "the bedroom one", "turn it off again") is read against them."""
