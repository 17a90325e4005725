"""Browsing a box's past recognitions: box → device → day → recognitions, pictures from the box."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

import pytest
from homeassistant.components import media_source
from homeassistant.components.media_player import BrowseMedia
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sophon.api import PersonType as ApiPersonType
from custom_components.sophon.api import RecognitionEvent
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.media_source import recognition_title
from custom_components.sophon.past_pictures import DATA_PAST_PICTURES, past_pictures
from sophon_sim import BoxSimulator, PersonType
from tests.frames import expected
from tests.integration.conftest import attached_device, push

ROOT = "media-source://sophon"


@pytest.fixture(autouse=True)
async def _media_source(hass: HomeAssistant) -> None:
    """Set up Home Assistant's media sources."""
    assert await async_setup_component(hass, media_source.DOMAIN, {})


async def browse(hass: HomeAssistant, *parts: str) -> Any:
    """Browse media-source://sophon/<parts>."""
    return await media_source.async_browse_media(hass, "/".join((ROOT, *parts)))


async def resolve(hass: HomeAssistant, media_id: str) -> media_source.PlayMedia:
    """Resolve a media source id (as the frontend does, for no player)."""
    return await media_source.async_resolve_media(hass, media_id, None)


def yesterday_at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Return a time of yesterday in Home Assistant's time zone."""
    start = dt_util.start_of_local_day(dt_util.now().date() - timedelta(days=1))
    return start + timedelta(hours=hour, minutes=minute, seconds=second)


async def push_at(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    bus_events: list[Event],
    moment: datetime,
    **kwargs: Any,
) -> dict[str, Any]:
    """Push a recognition the box stamps at moment; return what Home Assistant makes of it."""
    frame = await push(
        hass, simulator, bus_events, timestamp_ms=int(moment.timestamp() * 1000), **kwargs
    )
    return expected(frame, simulator.generation)


def day_path(coordinator: SophonCoordinator, device_id: str, moment: datetime) -> list[str]:
    """Return the media path parts of a device's day."""
    entry_id = coordinator.config_entry.entry_id
    device = attached_device(coordinator, device_id)
    return [entry_id, device.id, dt_util.as_local(moment).date().isoformat()]


async def test_root_box_and_device_folders(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    """The root lists the box, the box its devices as named in HA, a device its last 7 days."""
    entry = coordinator.config_entry
    root = await browse(hass)
    assert [(child.title, child.can_expand) for child in root.children] == [(entry.title, True)]
    box = await browse(hass, entry.entry_id)
    names = sorted(device.name for device in simulator.devices)
    assert [child.title for child in box.children] == names
    first = attached_device(coordinator, simulator.devices[0].device_id)
    device = await browse(hass, entry.entry_id, first.id)
    today = dt_util.now().date()
    assert device.title == first.name
    assert [child.title for child in device.children] == [
        (today - timedelta(days=back)).isoformat() for back in range(7)
    ]


async def test_a_day_lists_its_recognitions_newest_first(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """Only that device's recognitions of that day, newest first, titled name · type · time."""
    gate = simulator.devices[0].device_id
    vip, employee, _ = [
        await push_at(
            hass,
            simulator,
            bus_events,
            yesterday_at(*at),
            device_id=gate,
            person_type=person_type,
            score=score,
        )
        for at, person_type, score in (
            ((8, 42, 13), PersonType.VIP, 0.93),
            ((9,), PersonType.EMPLOYEE, 0.814),
            ((10,), PersonType.STRANGER, None),
        )
    ]
    # Another device that day, and the same device today: not listed.
    await push_at(
        hass, simulator, bus_events, yesterday_at(11), device_id=simulator.devices[1].device_id
    )
    await push(hass, simulator, bus_events, device_id=gate)
    day = await browse(hass, *day_path(coordinator, gate, yesterday_at(0)))
    assert [child.title for child in day.children] == [
        "Stranger · 10:00:00",
        f"{employee['identity_name']} · Employee · 09:00:00 · 81 %",
        f"{vip['identity_name']} · VIP · 08:42:13 · 93 %",
    ]
    assert day.title == yesterday_at(0).date().isoformat()
    for child in day.children:
        assert (child.media_class, child.media_content_type) == ("image", "image/jpeg")
        assert child.can_play
        assert not child.can_expand
        assert child.thumbnail.startswith("/api/sophon/history/")


async def test_an_empty_day_says_so(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    parts = day_path(coordinator, simulator.devices[2].device_id, yesterday_at(0))
    day = await browse(hass, *parts)
    assert day.children == []
    assert day.title == f"{parts[-1]} · no recognitions"


async def test_earlier_continues_a_full_day(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """50 recognitions a page, newest first; the last child "Earlier" gives the rest."""
    gate = simulator.devices[0].device_id
    for minute in range(55):
        await push_at(
            hass,
            simulator,
            bus_events,
            yesterday_at(7, minute),
            device_id=gate,
            person_type=PersonType.VISITOR,
        )
    first = await browse(hass, *day_path(coordinator, gate, yesterday_at(0)))
    *page, earlier = first.children
    assert len(page) == 50
    assert (earlier.title, earlier.can_expand, earlier.can_play) == ("Earlier", True, False)
    rest = await media_source.async_browse_media(hass, earlier.media_content_id)
    assert rest.title == f"{yesterday_at(0).date().isoformat()} · before 07:05:00"
    times = [child.title.split(" · ")[2] for child in (*page, *rest.children)]
    assert times == [f"07:{minute:02d}:00" for minute in reversed(range(55))]


@dataclass(frozen=True)
class Listed:
    """One recognition as the media browser lists it, its day, and the pictures the box sent."""

    item: BrowseMedia
    day: list[str]
    sent: dict[str, bytes]


@pytest.fixture
async def listed(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> Listed:
    """Push a VIP at the first device yesterday at noon; browse that day."""
    gate = simulator.devices[0].device_id
    pushed = await push_at(
        hass, simulator, bus_events, yesterday_at(12), device_id=gate, person_type=PersonType.VIP
    )
    day = day_path(coordinator, gate, yesterday_at(0))
    [item] = (await browse(hass, *day)).children
    return Listed(item, day, simulator.images_of(pushed["event_id"]))


async def test_a_recognition_shows_its_scene_and_its_face_from_the_box(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, listed: Listed
) -> None:
    """The item resolves to the scene photo, its thumbnail is the face: the box's own bytes."""
    played = await resolve(hass, listed.item.media_content_id)
    assert played.mime_type == "image/jpeg"
    http = await hass_client()
    scene = await http.get(played.url)
    assert scene.status == HTTPStatus.OK
    assert scene.content_type == "image/jpeg"
    assert "private" in scene.headers["Cache-Control"]
    assert await scene.read() == listed.sent["scene"]
    face = await http.get(listed.item.thumbnail)
    assert await face.read() == listed.sent["face"]


async def test_a_picture_forgotten_is_fetched_again_from_the_box(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: BoxSimulator,
    listed: Listed,
) -> None:
    """After Home Assistant forgot the recognition, its URLs still work: the box is asked again."""
    hass.data.pop(DATA_PAST_PICTURES)
    played = await resolve(hass, listed.item.media_content_id)  # asks the box again
    hass.data.pop(DATA_PAST_PICTURES)
    http = await hass_client()
    assert await (await http.get(played.url)).read() == listed.sent["scene"]
    assert await (await http.get(listed.item.thumbnail)).read() == listed.sent["face"]
    # Served from memory now: the box is not asked while it answers no history.
    simulator.faults.history_query = "error"
    assert await (await http.get(played.url)).read() == listed.sent["scene"]
    assert len(past_pictures(hass)) == 2


async def test_the_frontend_signs_the_picture_path(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    listed: Listed,
) -> None:
    """The view wants a signed-in client; the signed path that resolving gives works without."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "media_source/resolve_media", "media_content_id": listed.item.media_content_id}
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    signed = answer["result"]["url"]
    assert "authSig=" in signed
    http = await hass_client_no_auth()
    assert (await http.get(listed.item.thumbnail)).status == HTTPStatus.UNAUTHORIZED
    assert (await http.get(signed.partition("?")[0])).status == HTTPStatus.UNAUTHORIZED
    response = await http.get(signed)
    assert response.status == HTTPStatus.OK
    assert await response.read() == listed.sent["scene"]


async def test_a_box_that_cannot_be_asked_gives_a_translated_error(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: BoxSimulator,
    listed: Listed,
) -> None:
    hass.data.pop(DATA_PAST_PICTURES)
    simulator.faults.history_query = "error"
    with pytest.raises(BrowseError, match=r"^Cannot read the past recognitions of 127\.0\.0\.1: "):
        await browse(hass, *listed.day)
    with pytest.raises(media_source.Unresolvable, match=r"^Cannot read the past recognitions"):
        await resolve(hass, listed.item.media_content_id)
    http = await hass_client()
    assert (await http.get(listed.item.thumbnail)).status == HTTPStatus.SERVICE_UNAVAILABLE


async def test_what_is_not_there_is_not_found(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    listed: Listed,
) -> None:
    entry_id, device_id, day = listed.day
    thumbnail = listed.item.thumbnail
    moment, token = listed.item.media_content_id.split("/")[-2:]
    not_found = "^Nothing to show at "
    for parts, message in (
        (["no-such-entry"], "^No Sophon box has the config entry no-such-entry$"),
        ([entry_id, "no-such-device"], not_found),
        ([entry_id, device_id, "yesterday"], not_found),
        ([entry_id, device_id, day, moment], not_found),
        ([entry_id, device_id, day, "noon", token], not_found),
        ([entry_id, device_id, moment, token], not_found),  # a recognition: no folder
        ([entry_id, device_id, day, moment, "!!"], not_found),
    ):
        with pytest.raises(BrowseError, match=message):
            await browse(hass, *parts)
    for media_id in (f"{ROOT}/{entry_id}/{device_id}/{day}", f"{ROOT}/{entry_id}"):
        with pytest.raises(media_source.Unresolvable, match=not_found):
            await resolve(hass, media_id)
    gone = f"{ROOT}/{entry_id}/{device_id}/{int(moment) - 5_000_000}/{token}"
    with pytest.raises(media_source.Unresolvable, match=r"^The box no longer keeps"):
        await resolve(hass, gone)
    http = await hass_client()
    for url in (
        thumbnail.replace("/face", "/registered_photo"),
        thumbnail.replace(moment, str(int(moment) - 5_000_000)),
        thumbnail.replace(moment, "noon"),
        thumbnail.replace(device_id, "no-such-device"),
        thumbnail.replace(entry_id, "no-such-entry"),
    ):
        assert (await http.get(url)).status == HTTPStatus.NOT_FOUND, url
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    with pytest.raises(BrowseError, match=r"^The Sophon box 127\.0\.0\.1 is not loaded$"):
        await browse(hass, entry_id)
    assert (await browse(hass)).children == []
    assert (await http.get(thumbnail)).status == HTTPStatus.NOT_FOUND


async def test_a_removed_box_forgets_its_pictures(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    config_entry: MockConfigEntry,
    listed: Listed,
) -> None:
    http = await hass_client()
    assert (await http.get(listed.item.thumbnail)).status == HTTPStatus.OK
    assert len(past_pictures(hass)) == 1
    assert await hass.config_entries.async_remove(config_entry.entry_id)
    assert len(past_pictures(hass)) == 0


@pytest.mark.parametrize(
    ("recognition", "title"),
    [
        (
            {"identity_name": "Tom", "person_type": "vip", "score": 0.934},
            "Tom · VIP · 08:42:13 · 93 %",
        ),
        ({"identity_id": "0042", "person_type": "unknown"}, "0042 · Unknown · 08:42:13"),
        ({"person_type": "employee"}, "? · Employee · 08:42:13"),
        ({"person_type": "stranger", "score": 0.4}, "Stranger · 08:42:13"),
    ],
)
async def test_a_recognition_is_titled_in_home_assistants_language_and_time(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    recognition: dict[str, Any],
    title: str,
) -> None:
    moment = dt_util.start_of_local_day() + timedelta(hours=8, minutes=42, seconds=13)
    event = RecognitionEvent(
        device_id="gate",
        timestamp=moment,
        **{**recognition, "person_type": ApiPersonType(recognition["person_type"])},
    )
    assert recognition_title(hass, event) == title
