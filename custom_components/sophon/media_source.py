"""Media source: each box's past recognitions, by device and day, pictures fetched from the box.

media-source://sophon
  /<entry id>                                   a box: its attached devices
  /<entry id>/<device id>                       a device: the last DAYS days, today first
  /<entry id>/<device id>/<day>                 a day's recognitions, newest first, PAGE_SIZE
                                                of them and a last folder "Earlier"
  /<entry id>/<device id>/<day>/<µs>/<event>    the same day, before that recognition
  /<entry id>/<device id>/<µs>/<event>          one recognition: its scene photo

The box is asked each time a day is opened; nothing is stored but the pictures served, for a
while (past_pictures.py). Device ids are Home Assistant's, days are in its time zone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

from homeassistant.components.media_player.const import MediaClass, MediaType
from homeassistant.components.media_player.errors import BrowseError
from homeassistant.components.media_source import (
    BrowseMediaSource,
    MediaSource,
    MediaSourceItem,
    PlayMedia,
    Unresolvable,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from .api import HistoryQuery, RecognitionEvent, SophonError
from .box_memory import (
    MICROSECOND,
    AttachedDevice,
    RecognitionRef,
    async_find_recognition,
    attached_device,
    attached_devices,
    loaded_entry_or_raise,
    recognition_ref,
    translated,
)
from .const import DOMAIN
from .coordinator import SophonConfigEntry
from .past_pictures import past_picture_url, past_pictures
from .pictures import ImageKind
from .texts import text

DAYS: Final = 7
PAGE_SIZE: Final = 50
# Asked for per page: the page, and room for those at the cursor's time already shown.
QUERY_LIMIT: Final = 2 * PAGE_SIZE
JPEG: Final = "image/jpeg"
SEPARATOR: Final = " · "


async def async_get_media_source(hass: HomeAssistant) -> SophonMediaSource:
    """Return the media source of the Sophon boxes."""
    return SophonMediaSource(hass)


def _folder(identifier: str | None, title: str, **kwargs: object) -> BrowseMediaSource:
    """Return a folder (of folders unless children_media_class says otherwise)."""
    return BrowseMediaSource(
        domain=DOMAIN,
        identifier=identifier,
        media_class=MediaClass.DIRECTORY,
        media_content_type=MediaType.IMAGE,
        title=title,
        can_play=False,
        can_expand=True,
        **{"children_media_class": MediaClass.DIRECTORY, **kwargs},
    )


class SophonMediaSource(MediaSource):
    """The past recognitions the boxes keep."""

    name = "Sophon SE AI Box"

    def __init__(self, hass: HomeAssistant) -> None:
        """Browse the boxes of this Home Assistant."""
        super().__init__(DOMAIN)
        self.hass = hass

    async def async_browse_media(self, item: MediaSourceItem) -> BrowseMediaSource:
        """Return a folder: the boxes, a box's devices, a device's days, a day's recognitions."""
        parts = item.identifier.split("/") if item.identifier else []
        if not parts:
            return self._boxes()
        entry = loaded_entry_or_raise(self.hass, parts[0], BrowseError)
        if len(parts) == 1:
            return self._devices(entry)
        device = attached_device(self.hass, entry.runtime_data, parts[1])
        if device is not None and len(parts) == 2:  # noqa: PLR2004
            return self._days(entry, device)
        if device is None or (page := _page(entry.entry_id, device, parts[2:])) is None:
            raise translated(BrowseError, "media_not_found", identifier=item.identifier)
        return await self._day(entry, device, *page)

    async def async_resolve_media(self, item: MediaSourceItem) -> PlayMedia:
        """Return a recognition's scene photo, served from the box by PastPictureView."""
        parts = item.identifier.split("/")
        found = recognition_ref(self.hass, *parts) if len(parts) == 4 else None  # noqa: PLR2004
        if found is None:
            raise translated(Unresolvable, "media_not_found", identifier=item.identifier)
        coordinator, device, ref = found
        store = past_pictures(self.hass)
        if not store.knows(ref):
            try:
                event = await async_find_recognition(coordinator, device, ref)
            except SophonError as err:
                raise _unavailable(Unresolvable, coordinator.config_entry, err) from err
            if event is None:
                raise translated(Unresolvable, "recognition_gone", identifier=item.identifier)
            store.remember(ref, event)
        return PlayMedia(past_picture_url(ref, ImageKind.SCENE), JPEG)

    def _boxes(self) -> BrowseMediaSource:
        """Return the root: one folder per loaded box."""
        entries = sorted(
            self.hass.config_entries.async_loaded_entries(DOMAIN), key=lambda e: e.title
        )
        root = _folder(None, self.name or DOMAIN)
        root.children = [_folder(entry.entry_id, entry.title) for entry in entries]
        return root

    def _devices(self, entry: SophonConfigEntry) -> BrowseMediaSource:
        """Return a box: one folder per attached device, named as in Home Assistant."""
        folder = _folder(entry.entry_id, entry.title)
        folder.children = [
            _folder(f"{entry.entry_id}/{device.device_id}", device.name)
            for device in attached_devices(self.hass, entry.runtime_data)
        ]
        return folder

    def _days(self, entry: SophonConfigEntry, device: AttachedDevice) -> BrowseMediaSource:
        """Return a device: the last DAYS days in Home Assistant's time zone, today first."""
        identifier = f"{entry.entry_id}/{device.device_id}"
        folder = _folder(identifier, device.name)
        today = dt_util.now().date()
        folder.children = [
            _folder(
                f"{identifier}/{day.isoformat()}",
                day.isoformat(),
                children_media_class=MediaClass.IMAGE,
            )
            for day in (today - timedelta(days=back) for back in range(DAYS))
        ]
        return folder

    async def _day(
        self,
        entry: SophonConfigEntry,
        device: AttachedDevice,
        day: date,
        cursor: RecognitionRef | None,
    ) -> BrowseMediaSource:
        """Return a day's recognitions (before cursor), newest first, and "Earlier" if more."""
        coordinator = entry.runtime_data
        end = dt_util.start_of_local_day(day + timedelta(days=1)) - MICROSECOND
        query = HistoryQuery(
            start=dt_util.start_of_local_day(day),
            end=end if cursor is None else min(end, cursor.moment),
            device_ids=(device.box_device_id,),
            limit=QUERY_LIMIT,
        )
        try:
            history = await coordinator.client.async_get_recognitions(query)
        except SophonError as err:
            raise _unavailable(BrowseError, entry, err) from err
        found = sorted(
            (
                (RecognitionRef.of(entry.entry_id, device.device_id, event), event)
                for event in history.recognitions
            ),
            key=lambda pair: pair[0].sort_key,
            reverse=True,
        )
        before = [p for p in found if cursor is None or p[0].sort_key < cursor.sort_key]
        page = before[:PAGE_SIZE]
        store = past_pictures(self.hass)
        children = []
        for ref, event in page:
            store.remember(ref, event)
            children.append(self._recognition(ref, event))
        shown_before = len(found) - len(before)
        if page and (history.matched - shown_before > len(page) or not history.complete):
            oldest = page[-1][0]
            children.append(
                _folder(
                    f"{entry.entry_id}/{device.device_id}/{day.isoformat()}/"
                    f"{oldest.moment_us}/{oldest.token}",
                    text(self.hass, "common.media_earlier"),
                    children_media_class=MediaClass.IMAGE,
                )
            )
        identifier = f"{entry.entry_id}/{device.device_id}/{day.isoformat()}"
        if cursor is not None:
            identifier += f"/{cursor.moment_us}/{cursor.token}"
        folder = _folder(
            identifier,
            self._day_title(day, cursor, empty=not children),
            children_media_class=MediaClass.IMAGE,
        )
        folder.children = children
        return folder

    def _day_title(self, day: date, cursor: RecognitionRef | None, *, empty: bool) -> str:
        """Return a day's title: its date, the time it continues before, whether it is empty."""
        title = day.isoformat()
        if cursor is not None:
            title += SEPARATOR + text(self.hass, "common.media_before").format(
                time=_local_time(cursor.moment)
            )
        if empty:
            title += SEPARATOR + text(self.hass, "common.media_no_recognitions")
        return title

    def _recognition(self, ref: RecognitionRef, event: RecognitionEvent) -> BrowseMediaSource:
        """Return one recognition: its scene photo to show, its face as thumbnail."""
        return BrowseMediaSource(
            domain=DOMAIN,
            identifier=f"{ref.entry_id}/{ref.path}",
            media_class=MediaClass.IMAGE,
            media_content_type=JPEG,
            title=recognition_title(self.hass, event),
            can_play=True,
            can_expand=False,
            thumbnail=(
                past_picture_url(ref, ImageKind.FACE)
                if event.picture(ImageKind.FACE.value) is not None
                else None
            ),
        )


def recognition_title(hass: HomeAssistant, event: RecognitionEvent) -> str:
    """Return e.g. 'Tom · VIP · 08:42:13 · 93 %'; a stranger's 'Stranger · 08:42:13'.

    A stranger's score (how near the nearest face in the library came) is left out, as in the
    logbook.
    """
    local_time = _local_time(event.timestamp)
    if event.is_stranger:
        return SEPARATOR.join((text(hass, "common.logbook_stranger_name"), local_time))
    person_type = event.person_type.value
    parts = [
        event.identity_name or event.identity_id or "?",
        text(hass, f"entity.sensor.person_type.state.{person_type}") or person_type,
        local_time,
    ]
    if event.score is not None:
        parts.append(f"{event.score * 100:.0f} %")
    return SEPARATOR.join(parts)


def _page(
    entry_id: str, device: AttachedDevice, parts: list[str]
) -> tuple[date, RecognitionRef | None] | None:
    """Return the day and the cursor (None: from the day's end) that parts name, or None."""
    try:
        if len(parts) == 1:
            return date.fromisoformat(parts[0]), None
        if len(parts) == 3:  # noqa: PLR2004
            day, moment, token = parts
            return date.fromisoformat(day), RecognitionRef.parse(
                entry_id, device.device_id, moment, token
            )
    except ValueError:
        return None
    return None


def _local_time(moment: datetime) -> str:
    """Return the time of day in Home Assistant's time zone, to the second."""
    return dt_util.as_local(moment).strftime("%H:%M:%S")


def _unavailable[E: HomeAssistantError](
    error: type[E], entry: SophonConfigEntry, err: SophonError
) -> E:
    """Return the translated error of a box that cannot be asked for its past recognitions."""
    return translated(error, "history_unavailable", box=entry.title, reason=str(err))
