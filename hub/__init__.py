"""hub: a local voice and text hub for the home."""

__version__ = "0.1.0"
