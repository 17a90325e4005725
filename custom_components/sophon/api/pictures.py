"""The pictures of a recognition: pushed ones decoded on first use, kept ones fetched by event id.

Each picture knows how to give its bytes (`async_content()`) and answers for its own failures on
its box's counters, so that whoever shows it never asks which generation the box speaks.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .connection import RateLimitedLog
from .decode import decode_base64, looks_like_jpeg_base64
from .exceptions import SophonError, SophonNotFoundError

if TYPE_CHECKING:
    from .models import ClientCounters

_LOGGER = logging.getLogger(__name__)

JPEG_MAGIC = b"\xff\xd8\xff"
# A picture the box failed to give for a passing reason is asked for again after this long.
SCENE_RETRY_AFTER = timedelta(seconds=10)

type ProblemCounter = Callable[[str], None]
type SceneFetch = Callable[[str], Awaitable[bytes | None]]
type PictureFetch = Callable[[], Awaitable[bytes | None]]


class Picture(ABC):
    """A picture of a recognition: its size at once, its bytes when asked for."""

    __slots__ = ("failed", "retry_at")

    def __init__(self) -> None:
        """Start with no failure."""
        # There is no picture to give (it did not decode, the box has none): not tried again.
        self.failed = False
        # Getting it failed for a passing reason (timeout, connection, server error): not before.
        self.retry_at: datetime | None = None

    @property
    @abstractmethod
    def size(self) -> int:
        """Return the bytes held (as the box sent them; 0 for one still to fetch)."""

    @abstractmethod
    async def async_content(self) -> bytes | None:
        """Return the JPEG bytes; None when there are none (or they cannot be had now)."""


class Jpeg(Picture):
    """A JPEG picture the box pushed: base64 text until its bytes are first asked for.

    The scene and registered photos are hundreds of KB and most are never shown (a dashboard
    shows the latest per device), so the receive path only checks how their text begins.
    """

    __slots__ = ("_box", "_content", "_name", "_text")

    def __init__(
        self,
        text: str = "",
        content: bytes | None = None,
        *,
        name: str = "",
        box: BoxPictures | None = None,
    ) -> None:
        """Hold base64 text to decode later, or bytes already decoded.

        name: the event's field (face_image, ...); box: whose counters a bad body is counted on.
        """
        super().__init__()
        self._text = text
        self._content = content
        self._name = name
        self._box = box

    @classmethod
    def of(cls, content: bytes) -> Jpeg:
        """Return a picture whose bytes are known."""
        return cls(content=content)

    @property
    def decoded(self) -> bool:
        """Return True once the bytes are known."""
        return self._content is not None

    @property
    def size(self) -> int:
        """Return the size in bytes (before decoding: the base64 text's, times 3/4)."""
        if self._content is not None:
            return len(self._content)
        return 0 if self.failed else len(self._text) * 3 // 4

    def content(self) -> bytes:
        """Return the bytes, decoding them the first time; ValueError when they are not base64.

        The text is read in any variant (decode_base64): a data URI, line breaks, URL-safe.
        """
        if self._content is None:
            self._content = decode_base64(self._text)  # binascii.Error is a ValueError
            self._text = ""
        return self._content

    async def async_content(self) -> bytes | None:
        """Return the bytes; None when they do not decode (counted once, as a dropped image)."""
        if self.failed:
            return None
        try:
            return self.content()
        except ValueError as err:
            # Base64 that began like a JPEG but does not decode: no picture for it.
            self.failed = True
            if self._box is not None:
                self._box.undecodable(self._name, err)
            return None

    def __repr__(self) -> str:
        """Describe the picture without any of its data."""
        state = "decoded" if self.decoded else "encoded"
        return f"<Jpeg {state}, {self.size} bytes>"


class PictureOnRequest(Picture):
    """A picture that the box keeps rather than pushes: fetched when first asked for.

    The scene photo of a 2.0 event (by event id), and every picture of a past event (by image
    id). One fetch of it at a time, and at most BoxPictures.MAX_FETCHES of the box's at once. A
    box that says it has no such picture is not asked again; after a passing failure neither
    this picture nor any other of the box is asked for until SCENE_RETRY_AFTER has passed, so
    requests queued behind a box that is down end at once rather than one timeout after another.
    """

    __slots__ = ("_box", "_content", "_fetch", "_lock", "key")

    def __init__(self, box: BoxPictures, key: str, fetch: PictureFetch) -> None:
        """Fetch the picture with fetch() from box when asked for; key names it (an id)."""
        super().__init__()
        self._box = box
        self._content: bytes | None = None
        self._fetch = fetch
        self._lock: asyncio.Lock | None = None
        self.key = key

    @property
    def size(self) -> int:
        """Return the bytes fetched (0 before)."""
        return 0 if self._content is None else len(self._content)

    async def async_content(self) -> bytes | None:
        """Return the picture, fetched first; None when the box does not give it (now)."""
        if self._content is None and self._due():
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock, self._box.fetches:
                if self._content is None and self._due():
                    await self._fetch_now()
        return self._content

    def _due(self) -> bool:
        """Return True when a fetch may be tried now."""
        now = datetime.now(UTC)
        return (
            not self.failed
            and (self.retry_at is None or now >= self.retry_at)
            and self._box.reachable(now)
        )

    async def _fetch_now(self) -> None:
        """Fetch the picture; log (rate-limited) if it fails."""
        box = self._box
        try:
            self._content = await self._fetch()
        except SophonNotFoundError:
            self.failed = True
            box.gone()
            return
        except SophonError as err:
            # Passing trouble: the box may still have the picture; ask again after a pause.
            self.retry_at = box.retry_later(err)
            return
        self.retry_at = None
        box.down_until = None


class BoxPictures:
    """Make the pictures of one box's events and answer for them on its counters."""

    # Scene fetches from one box at once: a dashboard asking for many must not flood it.
    MAX_FETCHES = 2

    def __init__(
        self,
        host: str,
        counters: ClientCounters,
        count_problem: ProblemCounter,
        fetch_scene: SceneFetch,
    ) -> None:
        """Serve the pictures of the box at host."""
        self.host = host
        self.counters = counters
        self.fetch_scene = fetch_scene
        self._count_problem = count_problem
        self.fetches = asyncio.Semaphore(self.MAX_FETCHES)
        # After a passing failure: no scene is asked of the box before then.
        self.down_until: datetime | None = None
        self._log = RateLimitedLog(_LOGGER)
        # The subscription asked for pictures: scenes the box keeps are offered to fetch.
        self.scenes_wanted = False

    def scene_on_request(self, event_id: str | None) -> PictureOnRequest | None:
        """Return the scene photo of an event to fetch from the box, if pictures are wanted."""
        if event_id is None or not self.scenes_wanted:
            return None
        fetch_scene = self.fetch_scene
        return PictureOnRequest(self, event_id, lambda: fetch_scene(event_id))

    def on_request(self, image_id: str, fetch: PictureFetch) -> PictureOnRequest:
        """Return a picture of a past event, fetched from the box with fetch() when asked for."""
        return PictureOnRequest(self, image_id, fetch)

    def reachable(self, now: datetime) -> bool:
        """Return True unless a fetch failed for a passing reason less than a pause ago."""
        return self.down_until is None or now >= self.down_until

    def retry_later(self, err: SophonError) -> datetime:
        """Count and log (rate-limited) a fetch that failed for now; return when to try again."""
        self.counters.scene_fetch_retries += 1
        self._log.warning(
            "scene_fetch",
            "Could not fetch a picture from %s (will try again on the next request): %s",
            self.host,
            err,
        )
        self.down_until = datetime.now(UTC) + SCENE_RETRY_AFTER
        return self.down_until

    def gone(self) -> None:
        """Log (rate-limited) a picture the box no longer keeps (it keeps its last events)."""
        self._log.warning(
            "scene_gone",
            "%s no longer keeps a picture that was asked for (it keeps its latest events only)",
            self.host,
        )

    def undecodable(self, name: str, err: ValueError) -> None:
        """Count and log a pushed picture found bad when first decoded."""
        self._count_problem(f"image_bad_base64:{name}")
        _LOGGER.debug("Undecodable %s from %s: %s", name, self.host, err)


def decode_jpeg(value: Any) -> tuple[bytes | None, str | None]:
    """Decode a base64 (or data URI) JPEG; return the bytes or the reason it was dropped."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        return None, "image_wrong_type"
    try:
        data = decode_base64(value)
    except ValueError:  # binascii.Error is one
        return None, "image_bad_base64"
    if not data.startswith(JPEG_MAGIC):
        return None, "image_not_jpeg"
    return data, None


def picture(
    name: str,
    value: Any,
    problems: list[str],
    *,
    lazy: bool = False,
    box: BoxPictures | None = None,
) -> Jpeg | None:
    """Read one pushed picture of an event, noting in problems why it was dropped if it was.

    lazy: a text that begins like a JPEG is kept to be decoded when first asked for (a bad body
    is then found, and counted on box's counters, by whoever asks); anything else is decoded and
    checked now.
    """
    if lazy and isinstance(value, str) and looks_like_jpeg_base64(value):
        return Jpeg(value, name=name, box=box)
    content, problem = decode_jpeg(value)
    if problem:
        problems.append(f"{problem}:{name}")
    return None if content is None else Jpeg.of(content)
