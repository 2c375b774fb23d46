"""``python -m hub.sim``: run the simulated home on a broker until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from hub.sim.runner import Simulator


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m hub.sim",
        description="Simulate a Zigbee2MQTT network and Home Assistant discovery devices.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument(
        "--devices", type=int, default=20, help="Zigbee devices (20: the family home)"
    )
    parser.add_argument("--base", default="zigbee2mqtt", help="Zigbee2MQTT base topic")
    parser.add_argument("--no-homeassistant", action="store_true", help="No HA discovery devices")
    parser.add_argument("--silent", action="append", default=[], help="A device that never answers")
    parser.add_argument(
        "--clear", action="store_true", help="Remove the retained messages and exit"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sim = Simulator(
        args.host,
        args.port,
        size=args.devices,
        base=args.base,
        homeassistant=not args.no_homeassistant,
        silent=args.silent,
    )
    sim.start()
    if args.clear:
        sim.clear()
        sim.stop()
        return
    sim.publish_all()
    print(
        f"Simulating {len(sim.devices)} Zigbee devices and {len(sim.entities) + len(sim.parts)} "
        f"HA entities on {args.host}:{args.port}; Ctrl-C to stop"
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    sim.stop()


if __name__ == "__main__":
    main()
