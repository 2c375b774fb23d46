"""Tasmota: the ``cmnd/<topic>/<Command>`` binding and ``stat``/``tele`` states."""
