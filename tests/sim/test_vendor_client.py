"""The vendor's own example client reads the simulator's events unchanged."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from sophon_sim import BoxSimulator, PersonType

CLIENT = Path(__file__).with_name("vendor_example_client.py")


@pytest.mark.parametrize("binary_frames", [False, True])
async def test_vendor_example_client_prints_every_event(binary_frames: bool) -> None:
    async with BoxSimulator(devices=4, host="127.0.0.1", seed=2) as sim:
        sim.faults.binary_frames = binary_frames
        ids = [d.device_id for d in sim.devices]
        command = [sys.executable, str(CLIENT), str(sim.ws_port), *ids]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
        try:
            subscription = await sim.wait_for_subscription(timeout=30)
            assert subscription == {"need_face": True, "need_register": True, "event_list": ids}
            types = list(PersonType)
            frames = [await sim.push_event(ids[i % 4], person_type=types[i]) for i in range(5)]
            async with asyncio.timeout(30):
                while proc.poll() is None:
                    await asyncio.sleep(0.05)
            out, err = proc.communicate()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    assert out.splitlines() == [f"{f['video_id']} {f['event_id']}" for f in frames]
