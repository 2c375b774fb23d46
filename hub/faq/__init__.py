"""Answers to questions that are not device commands: the household's FAQ and short replies."""
