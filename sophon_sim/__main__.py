"""Run a simulated Sophon SE box from the command line until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .faults import Faults
from .server import BOX_TIMEZONE, check_loopback
from .simulator import GENERATIONS, BoxSimulator


def say(line: str) -> None:
    """Write one line to standard output at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line; refuse a non-loopback host."""
    parser = argparse.ArgumentParser(prog="python -m sophon_sim", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--rest-port", type=int, default=5555, help="device list port (0: any free port)"
    )
    parser.add_argument(
        "--ws-port", type=int, default=5679, help="event push port (0: any free port)"
    )
    parser.add_argument(
        "--version-port", type=int, default=8888, help="firmware version port (0: any free port)"
    )
    parser.add_argument("--devices", type=int, default=4, help="number of generated devices")
    parser.add_argument(
        "--rate", type=float, default=0.5, help="random events per second (0: none)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for device ids and events")
    parser.add_argument(
        "--generation",
        default="1.0",
        choices=sorted(GENERATIONS),
        help="the firmware generation the box speaks",
    )
    parser.add_argument(
        "--hex-ids", action="store_true", help="device ids as 32 hex digits without dashes"
    )
    parser.add_argument(
        "--timezone",
        type=int,
        default=BOX_TIMEZONE,
        help="time zone the box time call gives, sign inverted as boxes do (default -8: UTC+8)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help=(
            "switch a fault on (repeatable; the names are in sophon_sim/faults.py); the event"
            " history's: history_order=newest_first|oldest_first|unordered,"
            " history_page_cap=N, history_filter_ms, history_answer_ms,"
            " history_query=error|status_500|timeout|reset|empty_body|no_events"
        ),
    )
    args = parser.parse_args(argv)
    args.faults = Faults()
    try:
        check_loopback(args.host)
        for fault in args.fault:
            name, _, value = fault.partition("=")
            args.faults.set(name, value or None)
    except ValueError as err:
        parser.error(str(err))
    return args


async def serve(args: argparse.Namespace) -> None:
    """Run the box, print its ports and devices, and push events until told to stop."""
    sim = BoxSimulator(
        args.devices,
        generation=args.generation,
        host=args.host,
        rest_port=args.rest_port,
        ws_port=args.ws_port,
        version_port=args.version_port,
        seed=args.seed,
        hex_ids=args.hex_ids,
    )
    sim.faults = args.faults
    sim.timezone = args.timezone
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with sim:
        ports = f"rest_port={sim.rest_port} ws_port={sim.ws_port} version_port={sim.version_port}"
        say(f"sophon_sim {ports} host={args.host} generation={sim.generation}")
        for device in sim.devices:
            kind = f"type {device.device_type} media {device.media_type}"
            say(f"  device {device.device_id} {kind} {device.ip} {device.name}")
        if args.rate > 0:
            sim.run(args.rate)
        await stop.wait()
    say("sophon_sim stopped")


def main(argv: list[str] | None = None) -> int:
    """Run the simulator from the command line."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(message)s")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
