"""Each recognition's pictures by reference: served to signed-in clients, for a bounded while."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sophon import pictures
from custom_components.sophon.api import Jpeg
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.pictures import ImageKind, RecentPictures, StoredImage
from sophon_sim import BoxSimulator, PersonType
from tests.frames import expected
from tests.integration.conftest import push

NAMES = {"face": "face", "scene": "scene", "registered_photo": "registered"}


async def test_every_picture_of_every_recognition_is_served_by_its_url(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """Three recognitions at three devices and two at one: every URL gives its own picture.

    2.0 boxes do not push the scene photo: its URL fetches it from the box by event id.
    """
    frames = [
        await push(
            hass, simulator, bus_events, device_id=device.device_id, person_type=PersonType.VIP
        )
        for device in (*simulator.devices, simulator.devices[0])
    ]
    http = await hass_client()
    served = []
    for frame, event in zip(frames, bus_events, strict=True):
        sent = simulator.images_of(expected(frame, simulator.generation)["event_id"])
        assert set(event.data["pictures"]) == set(NAMES)
        for name, url in event.data["pictures"].items():
            response = await http.get(url)
            assert response.status == HTTPStatus.OK, url
            served.append(await response.read())
            assert served[-1] == sent[NAMES[name]]
            assert "private" in response.headers["Cache-Control"]
    # Every byte held counts towards the bound, scenes fetched after the recognition too (2.0);
    # a pushed picture is counted from its base64 text: 3/4 of it, a data URI's prefix included.
    held = coordinator.recognitions.recent_pictures.size
    assert abs(held - sum(map(len, served))) <= 20 * len(served)


async def test_pictures_are_for_signed_in_clients_only(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    await push(hass, simulator, bus_events, person_type=PersonType.BLACKLIST)
    http = await hass_client_no_auth()
    for url in bus_events[-1].data["pictures"].values():
        assert (await http.get(url)).status == HTTPStatus.UNAUTHORIZED


async def test_unknown_references_kinds_and_entries_are_not_found(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    await push(hass, simulator, bus_events, person_type=PersonType.EMPLOYEE)
    face = bus_events[-1].data["pictures"]["face"]
    ref = face.split("/")[-2]
    other = MockConfigEntry(domain="other_domain")
    other.add_to_hass(hass)
    http = await hass_client()
    for url in (
        face.replace(ref, "01JD0000000000000000000000"),
        face.replace("/face", "/face_image"),
        face.replace("/face", "/template"),
        face.replace(config_entry.entry_id, other.entry_id),
        face.replace(config_entry.entry_id, "no-such-entry"),
    ):
        assert (await http.get(url)).status == HTTPStatus.NOT_FOUND, url
    assert (await http.get(face)).status == HTTPStatus.OK
    # A reload (an options change, a device chosen again) keeps the URLs of notifications sent.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert (await http.get(face)).status == HTTPStatus.OK
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert (await http.get(face)).status == HTTPStatus.NOT_FOUND


async def test_a_disabled_entry_forgets_its_pictures(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    await push(hass, simulator, bus_events, person_type=PersonType.VISITOR)
    face = bus_events[-1].data["pictures"]["face"]
    http = await hass_client()
    assert (await http.get(face)).status == HTTPStatus.OK
    await hass.config_entries.async_set_disabled_by(config_entry.entry_id, ConfigEntryDisabler.USER)
    await hass.async_block_till_done()
    assert (await http.get(face)).status == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("simulator", ["1.0"], indirect=True)
async def test_a_recognition_without_pictures_has_no_urls(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    hass.config_entries.async_update_entry(
        config_entry, options={"need_face": False, "need_register": False}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await simulator.wait_for_subscription()
    await push(hass, simulator, bus_events, person_type=PersonType.VIP)
    assert bus_events[-1].data["pictures"] == {}
    assert len(config_entry.runtime_data.recognitions.recent_pictures) == 0


async def test_a_photo_that_does_not_decode_is_not_found_and_counted_once(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """The registered photo is base64 that begins like a JPEG and breaks (decoded when shown)."""
    simulator.faults.bad_base64 = True
    await push(hass, simulator, bus_events, person_type=PersonType.VIP)
    url = bus_events[-1].data["pictures"]["registered_photo"]
    counters = coordinator.client.counters
    before = counters.images_dropped
    http = await hass_client()
    for _ in range(2):
        assert (await http.get(url)).status == HTTPStatus.NOT_FOUND
    assert counters.images_dropped == before + 1


def _pictures(size: int) -> dict[ImageKind, StoredImage]:
    """Return one recognition's face of about size bytes."""
    return {ImageKind.FACE: StoredImage(pictures.dt_util.utcnow(), Jpeg.of(b"\xff" * size))}


class _Clock:
    """Seconds that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_recognitions_are_kept_for_a_bounded_time() -> None:
    clock = _Clock()
    recent = RecentPictures(clock)
    first = recent.add(_pictures(10))
    clock.now += pictures.RECENT_KEEP_FOR - 1
    second = recent.add(_pictures(10))
    assert recent.get(first, ImageKind.FACE) is not None
    clock.now += 2
    assert recent.get(first, ImageKind.FACE) is None
    assert recent.get(second, ImageKind.FACE) is not None
    assert recent.get(second, ImageKind.SCENE) is None
    assert (len(recent), recent.size) == (1, 10)
    clock.now += pictures.RECENT_KEEP_FOR
    assert (len(recent), recent.size) == (0, 0)


def test_recognitions_are_kept_in_a_bounded_count_and_size() -> None:
    recent = RecentPictures(_Clock())
    refs = [recent.add(_pictures(1000)) for _ in range(pictures.RECENT_MAX_COUNT + 5)]
    assert len(set(refs)) == len(refs)
    assert len(recent) == pictures.RECENT_MAX_COUNT
    assert recent.get(refs[4], ImageKind.FACE) is None
    assert recent.get(refs[5], ImageKind.FACE) is not None
    # Pictures larger than the bound: only the newest recognition is held, always.
    big = pictures.RECENT_MAX_BYTES // 2 + 1
    kept = [recent.add(_pictures(big)) for _ in range(3)]
    assert len(recent) == 1
    assert recent.get(kept[-1], ImageKind.FACE) is not None
    assert recent.size == big
    huge = recent.add(_pictures(pictures.RECENT_MAX_BYTES * 2))
    assert recent.get(huge, ImageKind.FACE) is not None
    assert len(recent) == 1


@pytest.mark.parametrize("simulator", ["2.0"], indirect=True)  # 2.0 keeps the scene by event id
async def test_scenes_asked_of_a_box_that_is_down_end_at_once(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """After one fetch fails for a passing reason, the others wait for the pause, not the box."""
    coordinator.client.request_timeout = 0.5
    for _ in range(3):
        await push(hass, simulator, bus_events, person_type=PersonType.VIP)
    scenes = [event.data["pictures"]["scene"] for event in bus_events]
    http = await hass_client()
    simulator.faults.scene_fetch = "timeout"
    assert (await http.get(scenes[0])).status == HTTPStatus.NOT_FOUND
    requests = simulator.rest_requests
    for scene in scenes[1:]:
        assert (await http.get(scene)).status == HTTPStatus.NOT_FOUND
    assert simulator.rest_requests == requests
    assert coordinator.client.counters.scene_fetch_retries == 1


@pytest.mark.parametrize("simulator", ["2.0"], indirect=True)
async def test_an_answer_too_large_is_no_picture(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.sophon.api.rest.MAX_ANSWER_BYTES", 1000)
    await push(hass, simulator, bus_events, person_type=PersonType.VIP)
    http = await hass_client()
    assert (await http.get(bus_events[-1].data["pictures"]["scene"])).status == 404
    assert coordinator.client.counters.scene_fetch_retries == 1
