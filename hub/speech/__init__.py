"""Speech: local voice commands with Vosk (WAV files and the microphone), knowing the home.

The native libraries (vosk, sounddevice, numpy) are imported lazily, so the rest of hub imports
without the ``speech`` extra.
"""
