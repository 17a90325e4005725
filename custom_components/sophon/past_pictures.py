"""Pictures of past recognitions: fetched from the box when shown, held in memory only, briefly.

The media browser shows a box's past recognitions (media_source.py); their face crops and scene
photos stay on the box until someone looks at them, and are then served by `PastPictureView` to
authenticated clients. The bytes fetched are kept in one small LRU per Home Assistant
(`PastPictures`: MAX_PICTURES pictures, MAX_BYTES bytes); one it forgot is fetched again,
the recognition found again by asking the box, as long as the box keeps it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Final

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .api import Picture, RecognitionEvent, SophonError
from .box_memory import RecognitionRef, async_find_recognition, recognition_ref
from .const import DOMAIN
from .pictures import ImageKind

MAX_PICTURES: Final = 200
MAX_BYTES: Final = 16 * 1024 * 1024
# Pictures of recognitions listed but not shown yet: each knows how to fetch itself, no bytes.
MAX_WAITING: Final = 1000
PAST_PICTURE_URL: Final = "/api/sophon/history/{entry_id}/{device_id}/{moment}/{event}/{name}"
# A past recognition's picture never changes: its holder may keep a copy this long.
CACHE_SECONDS: Final = 24 * 3600
# The pictures served, by their name in the URL.
PAST_KINDS: Final = {kind.public_name: kind for kind in (ImageKind.FACE, ImageKind.SCENE)}

type PictureKey = tuple[RecognitionRef, ImageKind]
type EventFinder = Callable[[], Awaitable[RecognitionEvent | None]]

DATA_PAST_PICTURES: HassKey[PastPictures] = HassKey(f"{DOMAIN}_past_pictures")


def past_picture_url(ref: RecognitionRef, kind: ImageKind) -> str:
    """Return the relative URL of a past recognition's picture."""
    return PAST_PICTURE_URL.format(
        entry_id=ref.entry_id,
        device_id=ref.device_id,
        moment=ref.moment_us,
        event=ref.token,
        name=kind.public_name,
    )


class PastPictures:
    """The pictures of past recognitions: those fetched (bounded LRU), those still to fetch.

    A picture fetched is held as bytes, the least recently served going first beyond max_count
    pictures or max_bytes bytes (the last one is always kept). A picture still to fetch is
    held as the client gave it (it fetches itself), at most max_waiting of them.
    """

    def __init__(
        self,
        max_count: int = MAX_PICTURES,
        max_bytes: int = MAX_BYTES,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        """Start empty."""
        self._max_count = max_count
        self._max_bytes = max_bytes
        self._max_waiting = max_waiting
        self._held: OrderedDict[PictureKey, bytes] = OrderedDict()
        self._waiting: OrderedDict[PictureKey, Picture] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        """Return how many pictures are held as bytes."""
        return len(self._held)

    @property
    def size(self) -> int:
        """Return the bytes held."""
        return self._bytes

    def remember(self, ref: RecognitionRef, event: RecognitionEvent) -> None:
        """Keep how to fetch a recognition's face and scene (not yet held) until shown."""
        for kind in PAST_KINDS.values():
            key = (ref, kind)
            if key not in self._held and (picture := event.picture(kind.value)) is not None:
                self._waiting[key] = picture
                self._waiting.move_to_end(key)
        while len(self._waiting) > self._max_waiting:
            self._waiting.popitem(last=False)

    def knows(self, ref: RecognitionRef) -> bool:
        """Return True when a picture of the recognition is held or waiting."""
        return any(
            (ref, kind) in self._held or (ref, kind) in self._waiting
            for kind in PAST_KINDS.values()
        )

    async def async_content(
        self, ref: RecognitionRef, kind: ImageKind, find: EventFinder
    ) -> bytes | None:
        """Return a picture's bytes: held, else fetched (the recognition found with find()).

        None when the recognition or its picture is gone, or the box does not give it now.
        Raises SophonError when find() cannot ask the box.
        """
        key = (ref, kind)
        if (content := self._held.get(key)) is not None:
            self._held.move_to_end(key)
            return content
        if (picture := self._waiting.get(key)) is None:
            if (event := await find()) is None:
                return None
            self.remember(ref, event)
            if (picture := event.picture(kind.value)) is None:
                return None
        # A picture that failed stays waiting: it says itself when to be tried again.
        if (content := await picture.async_content()) is not None:
            self._waiting.pop(key, None)
            self._hold(key, content)
        return content

    def forget(self, entry_id: str) -> None:
        """Forget every picture of a box (its config entry was removed or disabled)."""
        for key in [key for key in self._held if key[0].entry_id == entry_id]:
            self._bytes -= len(self._held.pop(key))
        for key in [key for key in self._waiting if key[0].entry_id == entry_id]:
            del self._waiting[key]

    def _hold(self, key: PictureKey, content: bytes) -> None:
        """Hold fetched bytes as the most recent; drop the least recent beyond the bounds."""
        if (old := self._held.pop(key, None)) is not None:
            self._bytes -= len(old)
        self._held[key] = content
        self._bytes += len(content)
        while len(self._held) > 1 and (
            len(self._held) > self._max_count or self._bytes > self._max_bytes
        ):
            self._bytes -= len(self._held.popitem(last=False)[1])


def past_pictures(hass: HomeAssistant) -> PastPictures:
    """Return Home Assistant's one store of past recognitions' pictures."""
    if (store := hass.data.get(DATA_PAST_PICTURES)) is None:
        store = hass.data[DATA_PAST_PICTURES] = PastPictures()
    return store


def forget_past_pictures(hass: HomeAssistant, entry_id: str) -> None:
    """Forget the past pictures of a box (its config entry was removed or disabled)."""
    if (store := hass.data.get(DATA_PAST_PICTURES)) is not None:
        store.forget(entry_id)


class PastPictureView(HomeAssistantView):
    """Serve a past recognition's face crop or scene photo to an authenticated client.

    GET /api/sophon/history/<entry id>/<device id>/<µs>/<event id>/<face|scene>: the JPEG;
    404 when the box keeps the recognition no longer, 503 when the box cannot be asked.
    """

    url = PAST_PICTURE_URL
    name = "api:sophon:history"
    requires_auth = True

    def __init__(self, hass: HomeAssistant) -> None:
        """Serve the past pictures of every Sophon box."""
        self.hass = hass

    async def get(
        self,
        request: web.Request,
        *,
        entry_id: str,
        device_id: str,
        moment: str,
        event: str,
        name: str,
    ) -> web.Response:
        """Return the picture's bytes."""
        del request
        found = recognition_ref(self.hass, entry_id, device_id, moment, event)
        if found is None or (kind := PAST_KINDS.get(name)) is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        coordinator, device, ref = found
        try:
            content = await past_pictures(self.hass).async_content(
                ref, kind, lambda: async_find_recognition(coordinator, device, ref)
            )
        except SophonError:
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE)
        if content is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=content,
            content_type="image/jpeg",
            headers={"Cache-Control": f"private, max-age={CACHE_SECONDS}"},
        )
