"""hub as a Wyoming service: Home Assistant's conversation agent (and speech-to-text).

Home Assistant's Wyoming integration connects to ``hub wyoming`` (or ``hub run`` with a
``wyoming:`` section), asks ``Describe`` and gets an ``Info`` with a *handle* program (text in,
the hub's reply out) and, with a speech model, an *asr* program (Vosk with the home's grammar).
A ``Transcript`` becomes a request with ``source: wyoming`` and its reply a ``Handled`` or
``NotHandled`` (``replies.py``).

Modules: ``service.py`` (the server and one handler a connection), ``protocol.py`` (reading
events with limits), ``agent.py`` (who answers: the daemon or the pipeline), ``replies.py``,
``info.py``, ``asr.py`` (the transcriber), ``zeroconf.py``, ``runner.py`` (under ``hub run``).
The wyoming package is imported here; vosk and zeroconf lazily.
"""
