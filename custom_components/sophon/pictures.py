"""Pictures of recognitions, held in memory only; each decodes or fetches its bytes when shown.

Two views of the same pictures: each attached device's latest ones (the image entities), and
the latest recognitions of a box by reference (`RecentPictures`), so that a notification sent
for one recognition shows that recognition's face even when another face arrived since. The
references are served by `RecognitionPictureView` to authenticated clients only.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from http import HTTPStatus
from typing import Final

from aiohttp import web
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from .api import Picture, RecognitionEvent
from .const import DOMAIN

# The recognitions of one box whose pictures stay reachable by reference: the newest ones, for
# this long, this many, and this many bytes of pictures (as the box sent them) at most.
RECENT_KEEP_FOR: Final = 30 * 60.0
RECENT_MAX_COUNT: Final = 100
RECENT_MAX_BYTES: Final = 6 * 1024 * 1024
PICTURE_URL: Final = "/api/sophon/pictures/{entry_id}/{ref}/{name}"


class ImageKind(StrEnum):
    """The pictures an event can carry (the value is the event's attribute)."""

    FACE = "face_image"
    SCENE = "scene_image"
    REGISTERED = "registered_image"

    @property
    def public_name(self) -> str:
        """Return the kind's name in picture URLs and the bus event's `pictures`."""
        return _PUBLIC_NAMES[self]


_PUBLIC_NAMES: Final = {
    ImageKind.FACE: "face",
    ImageKind.SCENE: "scene",
    ImageKind.REGISTERED: "registered_photo",
}
_KIND_BY_NAME: Final = {name: kind for kind, name in _PUBLIC_NAMES.items()}


@dataclass(slots=True)
class StoredImage:
    """One picture of one recognition, held in memory only."""

    updated: datetime
    # As the client gave it: pushed ones decode, and kept ones fetch, when first asked for.
    picture: Picture

    @property
    def size(self) -> int:
        """Return the bytes held (0 for a picture still to fetch)."""
        return self.picture.size


type Pictures = dict[ImageKind, StoredImage]


def pictures_of(event: RecognitionEvent) -> Pictures:
    """Return the pictures a recognition brought (or that its box keeps for it)."""
    now = dt_util.utcnow()
    return {
        kind: StoredImage(now, picture)
        for kind in ImageKind
        if (picture := event.picture(kind.value)) is not None
    }


async def async_content(stored: StoredImage | None) -> bytes | None:
    """Return a stored picture's JPEG bytes; None when there is none (or it cannot be had now)."""
    return None if stored is None else await stored.picture.async_content()


@dataclass(slots=True)
class _Recent:
    """The pictures of one recognition and when they were added (monotonic seconds)."""

    added: float
    pictures: Pictures
    size: int
    event_id: str | None = None


class RecentPictures:
    """The pictures of a box's latest recognitions, by a reference of their own.

    Bounded by RECENT_KEEP_FOR seconds, RECENT_MAX_COUNT recognitions and RECENT_MAX_BYTES:
    the oldest go first. The newest recognition is always kept, whatever its size.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Start empty; clock gives seconds (a test may pass its own)."""
        self._clock = clock
        self._recent: OrderedDict[str, _Recent] = OrderedDict()
        self._bytes = 0
        # The reference of each held recognition by the box's event id (the library actions
        # register the face of a recognition named by its event id).
        self._by_event: dict[str, str] = {}
        # Recognitions with a picture still to fetch (0 bytes when added): counted once fetched.
        self._uncounted: set[str] = set()

    def __len__(self) -> int:
        """Return how many recognitions are held."""
        self.expire()
        return len(self._recent)

    @property
    def size(self) -> int:
        """Return the bytes of pictures held (as the box sent them)."""
        return self._bytes

    def add(self, pictures: Pictures, event_id: str | None = None) -> str:
        """Hold a recognition's pictures; return their reference (a ULID)."""
        ref = ulid_now()
        size = sum(stored.size for stored in pictures.values())
        self._recent[ref] = _Recent(self._clock(), pictures, size, event_id)
        if event_id:
            self._by_event[event_id] = ref
        self._bytes += size
        if any(stored.size == 0 for stored in pictures.values()):
            self._uncounted.add(ref)
        self._keep_bounds()
        return ref

    def get(self, ref: str, kind: ImageKind) -> StoredImage | None:
        """Return a recognition's picture of a kind; None when unknown or expired."""
        self.expire()
        recent = self._recent.get(ref)
        return recent.pictures.get(kind) if recent is not None else None

    def of_event(self, event_id: str, kind: ImageKind) -> StoredImage | None:
        """Return the picture of a kind of the held recognition with this event id, if any."""
        self.expire()
        ref = self._by_event.get(event_id)
        return None if ref is None else self.get(ref, kind)

    def recount(self, ref: str | None = None) -> None:
        """Count the pictures fetched since they were added (of ref, or of all), keep bounds.

        The picture view recounts what it served; the coordinator recounts all at each
        device-list read (a scene an image entity fetched is counted then).
        """
        for uncounted in list(self._uncounted) if ref is None else [ref]:
            if uncounted not in self._uncounted:
                continue
            recent = self._recent[uncounted]
            size = sum(stored.size for stored in recent.pictures.values())
            self._bytes += size - recent.size
            recent.size = size
            if all(stored.size for stored in recent.pictures.values()):
                self._uncounted.discard(uncounted)
        self._keep_bounds()

    def _keep_bounds(self) -> None:
        """Drop the oldest recognitions beyond the time, count and byte bounds (not the newest)."""
        self.expire()
        while len(self._recent) > 1 and (
            len(self._recent) > RECENT_MAX_COUNT or self._bytes > RECENT_MAX_BYTES
        ):
            self._drop_oldest()

    def expire(self) -> None:
        """Drop the recognitions held longer than RECENT_KEEP_FOR."""
        oldest_kept = self._clock() - RECENT_KEEP_FOR
        while self._recent and next(iter(self._recent.values())).added < oldest_kept:
            self._drop_oldest()

    def clear(self) -> None:
        """Forget every picture."""
        self._recent.clear()
        self._uncounted.clear()
        self._by_event.clear()
        self._bytes = 0

    def _drop_oldest(self) -> None:
        """Forget the oldest recognition held."""
        ref, recent = self._recent.popitem(last=False)
        self._uncounted.discard(ref)
        if recent.event_id and self._by_event.get(recent.event_id) == ref:
            del self._by_event[recent.event_id]
        self._bytes -= recent.size


def recent_pictures(hass: HomeAssistant, entry_id: str) -> RecentPictures:
    """Return a config entry's recent pictures, kept across its reloads (hass.data).

    A reload (an options change, a device chosen again) must not break the picture URLs of the
    notifications just sent; the entry's removal forgets them (forget_recent_pictures).
    """
    stores: dict[str, RecentPictures] = hass.data.setdefault(DOMAIN, {})
    if (store := stores.get(entry_id)) is None:
        store = stores[entry_id] = RecentPictures()
    return store


def forget_recent_pictures(hass: HomeAssistant, entry_id: str) -> None:
    """Forget a config entry's recent pictures (it was removed or disabled)."""
    if (store := hass.data.get(DOMAIN, {}).pop(entry_id, None)) is not None:
        store.clear()


def picture_urls(entry_id: str, ref: str, pictures: Pictures) -> dict[str, str]:
    """Return {public name: relative URL} of a recognition's pictures."""
    return {
        kind.public_name: PICTURE_URL.format(entry_id=entry_id, ref=ref, name=kind.public_name)
        for kind in ImageKind
        if kind in pictures
    }


class RecognitionPictureView(HomeAssistantView):
    """Serve one recognition's picture to an authenticated client (the apps, a browser).

    GET /api/sophon/pictures/<config entry id>/<reference>/<face|scene|registered_photo>:
    the JPEG, or 404 once the recognition is no longer held (see RecentPictures).
    """

    url = PICTURE_URL
    name = "api:sophon:pictures"
    requires_auth = True

    def __init__(self, hass: HomeAssistant) -> None:
        """Serve the pictures of every Sophon entry."""
        self.hass = hass

    async def get(self, request: web.Request, entry_id: str, ref: str, name: str) -> web.Response:
        """Return the picture's bytes."""
        del request
        store: RecentPictures | None = self.hass.data.get(DOMAIN, {}).get(entry_id)
        kind = _KIND_BY_NAME.get(name)
        if store is None or kind is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        content = await async_content(store.get(ref, kind))
        store.recount(ref)  # a picture fetched now counts towards the bound
        if content is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=content,
            content_type="image/jpeg",
            # One reference is always the same picture; only its holder may keep a copy.
            headers={"Cache-Control": f"private, max-age={int(RECENT_KEEP_FOR)}"},
        )
