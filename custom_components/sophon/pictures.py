"""Pictures of recognitions: held in memory only, fetched from the box when not pushed.

Two views of the same pictures: each attached device's latest ones (the image entities), and
the latest recognitions of a box by reference (`RecentPictures`), so that a notification sent
for one recognition shows that recognition's face even when another face arrived since. The
references are served by `RecognitionPictureView` to authenticated clients only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from http import HTTPStatus
from typing import TYPE_CHECKING, Final

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now

from .api import BoxClient, Jpeg, RateLimitedLog, RecognitionEvent, SophonError, SophonNotFoundError
from .const import DOMAIN, SCENE_RETRY_AFTER

if TYPE_CHECKING:
    from .coordinator import SophonCoordinator

_LOGGER = logging.getLogger(__name__)

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
    # As the box sent it; the big photos stay base64 until first shown (Jpeg.content()).
    picture: Jpeg | None = None
    # A picture the box does not push (2.0's scene photo) is fetched by event id on request.
    event_id: str | None = None
    # The box said it has no such picture (or it did not decode): never asked for again.
    failed: bool = False
    # A fetch failed for a passing reason (timeout, connection, server error): not before then.
    retry_at: datetime | None = None

    @property
    def size(self) -> int:
        """Return the bytes held (0 for a picture still to fetch)."""
        return self.picture.size if self.picture is not None else 0


type Pictures = dict[ImageKind, StoredImage]


def pictures_of(event: RecognitionEvent, *, scene_by_event_id: bool) -> Pictures:
    """Return the pictures a recognition brought; its scene by event id when asked to."""
    now = dt_util.utcnow()
    pictures = {
        kind: StoredImage(now, picture)
        for kind in ImageKind
        if (picture := getattr(event, kind.value)) is not None
    }
    if scene_by_event_id and ImageKind.SCENE not in pictures and event.event_id is not None:
        pictures[ImageKind.SCENE] = StoredImage(now, event_id=event.event_id)
    return pictures


class PictureSource:
    """Give the bytes of stored pictures: pushed ones decoded on first use, others fetched."""

    def __init__(self, client: BoxClient, title: Callable[[], str]) -> None:
        """Serve the pictures of one box."""
        self._client = client
        self._title = title
        self._lock = asyncio.Lock()
        self._log = RateLimitedLog(_LOGGER)
        # Fetches that failed for a passing reason, to be tried again (diagnostics).
        self.fetch_retries = 0

    async def async_content(self, stored: StoredImage | None, kind: ImageKind) -> bytes | None:
        """Return a picture's JPEG bytes; None when there is none (or it cannot be had now)."""
        if stored is None or stored.failed:
            return None
        if stored.picture is None and stored.event_id is not None:
            async with self._lock:
                if stored.picture is None and not stored.failed and _due(stored.retry_at):
                    await self._fetch_scene(stored)
        if stored.picture is None:
            return None
        try:
            return stored.picture.content()
        except ValueError as err:
            # Pushed as base64 that began like a JPEG but does not decode: no picture for it.
            stored.failed, stored.picture = True, None
            self._client.note_dropped_image(kind.value, "image_bad_base64")
            _LOGGER.debug("Undecodable %s from %s: %s", kind.value, self._title(), err)
            return None

    async def _fetch_scene(self, stored: StoredImage) -> None:
        """Fetch a scene photo that the box keeps by event id (2.0); log once if it fails."""
        assert stored.event_id is not None  # noqa: S101 - only called for a fetchable picture
        try:
            content = await self._client.async_get_scene_image(stored.event_id)
        except SophonNotFoundError as err:
            stored.failed = True
            _LOGGER.warning(
                "Cannot fetch the scene photo of event %s from %s: %s",
                stored.event_id,
                self._title(),
                err,
            )
            return
        except SophonError as err:
            # Passing trouble: the box may still have the photo; ask again after a pause.
            stored.retry_at = dt_util.utcnow() + SCENE_RETRY_AFTER
            self.fetch_retries += 1
            self._log.warning(
                "scene_fetch",
                "Could not fetch a scene photo from %s (will try again on the next request): %s",
                self._title(),
                err,
            )
            return
        stored.retry_at = None
        if content is not None:
            stored.picture = Jpeg.of(content)


def _due(retry_at: datetime | None) -> bool:
    """Return True when a fetch may be tried now."""
    return retry_at is None or dt_util.utcnow() >= retry_at


@dataclass(slots=True)
class _Recent:
    """The pictures of one recognition and when they were added (monotonic seconds)."""

    added: float
    pictures: Pictures
    size: int


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

    def __len__(self) -> int:
        """Return how many recognitions are held."""
        self._expire()
        return len(self._recent)

    @property
    def size(self) -> int:
        """Return the bytes of pictures held (as the box sent them)."""
        return self._bytes

    def add(self, pictures: Pictures) -> str:
        """Hold a recognition's pictures; return their reference (a ULID)."""
        ref = ulid_now()
        size = sum(stored.size for stored in pictures.values())
        self._recent[ref] = _Recent(self._clock(), pictures, size)
        self._bytes += size
        self._expire()
        while len(self._recent) > 1 and (
            len(self._recent) > RECENT_MAX_COUNT or self._bytes > RECENT_MAX_BYTES
        ):
            self._drop_oldest()
        return ref

    def get(self, ref: str, kind: ImageKind) -> StoredImage | None:
        """Return a recognition's picture of a kind; None when unknown or expired."""
        self._expire()
        recent = self._recent.get(ref)
        return recent.pictures.get(kind) if recent is not None else None

    def _expire(self) -> None:
        """Drop the recognitions held longer than RECENT_KEEP_FOR."""
        oldest_kept = self._clock() - RECENT_KEEP_FOR
        while self._recent and next(iter(self._recent.values())).added < oldest_kept:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        """Forget the oldest recognition held."""
        _ref, recent = self._recent.popitem(last=False)
        self._bytes -= recent.size


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
        entry = self.hass.config_entries.async_get_entry(entry_id)
        kind = _KIND_BY_NAME.get(name)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.state is not ConfigEntryState.LOADED
            or kind is None
        ):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        coordinator: SophonCoordinator = entry.runtime_data
        stored = coordinator.recognitions.recent_pictures.get(ref, kind)
        content = await coordinator.recognitions.picture_source.async_content(stored, kind)
        if content is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.Response(
            body=content,
            content_type="image/jpeg",
            # One reference is always the same picture; only its holder may keep a copy.
            headers={"Cache-Control": f"private, max-age={int(RECENT_KEEP_FOR)}"},
        )
