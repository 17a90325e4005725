"""A box's HTTP API: the call itself, its generation and device list, system values and pictures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from .clock import BoxTime, box_time
from .coerce import describe
from .decode import parse_json
from .exceptions import (
    SophonBoxStartingError,
    SophonConnectionError,
    SophonError,
    SophonNotSupportedError,
    SophonResponseError,
    SophonTimeoutError,
)
from .generation import GENERATIONS, Generation, Rest
from .models import Device
from .pictures import JPEG_MAGIC

if TYPE_CHECKING:
    from .client import BoxClient
    from .frames import FrameReader

_LOGGER = logging.getLogger(__name__)

# HTTP statuses that mean "no such call here": the box speaks the other generation.
_NOT_SUPPORTED = {404, 405, 501}
# The most an answer may hold (a scene photo is a few hundred KB; a device list far less).
MAX_ANSWER_BYTES = 16 * 1024 * 1024

type SystemCall = Callable[[Generation], Callable[[Rest, int], Awaitable[str | None]]]


class BoxRest:
    """Ask a box over HTTP, in the generation it speaks (found out on the first device list).

    Reads the client's address, timeout and generation as they are at each call; sets its
    generation.
    """

    def __init__(self, client: BoxClient, frames: FrameReader) -> None:
        """Call client's box; frames counts the quirks of its answers."""
        self._client = client
        self._frames = frames

    async def __call__(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        port: int | None = None,
        raw: bool = False,
        envelope: bool = False,
    ) -> Any:
        """Call the box's HTTP API and return the decoded JSON answer.

        raw: return the bytes of a JPEG answer; an answer that is no JPEG is decoded as JSON
        (a box's error envelope) and returned as such, or raises SophonResponseError.
        envelope: an HTTP error status that carries the box's {"error": ...} envelope returns
        the envelope (api section 7.4) instead of raising.
        """
        url = URL.build(
            scheme="http", host=self._client.host, port=port or self._client.port, path=path
        )
        status, content = await self._request(method, url, body, params)
        if envelope and status >= 400 and (answer := _error_envelope(content)) is not None:  # noqa: PLR2004
            return answer
        if status in _NOT_SUPPORTED:
            raise SophonNotSupportedError(f"{url} answered HTTP {status}", status)
        if status >= 400:  # noqa: PLR2004
            raise SophonResponseError(f"{url} answered HTTP {status}: {describe(content)}")
        if raw and content.startswith(JPEG_MAGIC):
            return content
        try:
            answer, quirks = parse_json(content)
        except ValueError as err:
            expected = "JPEG" if raw else "JSON"
            raise SophonResponseError(
                f"{url} answered with no {expected}: {describe(content)}"
            ) from err
        for quirk in quirks:
            self._frames.count_problem(quirk)
        return answer

    async def _request(
        self, method: str, url: URL, body: dict[str, Any] | None, params: dict[str, str] | None
    ) -> tuple[int, bytes]:
        """Send one request; return the answer's status and body."""
        timeout = self._client.request_timeout
        try:
            async with asyncio.timeout(timeout):
                response = await self._client.http_session.request(
                    method, url, json=body, params=params
                )
                return response.status, await _read_bounded(response, url)
        except TimeoutError as err:
            raise SophonTimeoutError(f"{url} did not answer in {timeout} s") from err
        except (aiohttp.ClientError, OSError) as err:
            raise SophonConnectionError(f"cannot reach {url}: {err}") from err

    async def devices(self) -> list[Device]:
        """Return the devices attached to the box, finding out which generation it speaks."""
        generation = self._client.generation
        if generation is not None:
            try:
                return await generation.fetch_devices(self)
            except SophonNotSupportedError:
                _LOGGER.info(
                    "%s no longer answers generation %s; detecting again",
                    self._client.host,
                    generation.name,
                )
        return await self._detect()

    async def _detect(self) -> list[Device]:
        """Try each generation's device list, newest first, and remember the one that answers."""
        errors: list[SophonResponseError] = []
        for generation in GENERATIONS:
            try:
                devices = await generation.fetch_devices(self)
            except SophonNotSupportedError as err:
                errors.append(err)
                continue
            except SophonResponseError as err:
                if generation is GENERATIONS[-1] or isinstance(err, SophonBoxStartingError):
                    raise
                errors.append(err)
                continue
            if generation is not self._client.generation:
                _LOGGER.info("%s speaks generation %s", self._client.host, generation.name)
                self._client.generation = generation
            return devices
        raise SophonResponseError(
            f"{self._client.host} answers no known generation: {'; '.join(map(str, errors))}"
        )

    async def answers(self) -> bool:
        """Return True when the box's REST port answers (whatever it says: it is alive)."""
        generation = self._client.generation
        if generation is None:
            return False
        try:
            await generation.fetch_devices(self)
        except SophonConnectionError as err:
            _LOGGER.debug("%s does not answer its REST port: %s", self._client.host, err)
            return False
        except SophonError:
            pass
        return True

    async def system_value(self, what: str, call: SystemCall) -> str | None:
        """Ask the system port, the box's own generation first; None when neither answers."""
        client = self._client
        ordered = sorted(GENERATIONS, key=lambda generation: generation is not client.generation)
        for generation in ordered:
            try:
                value = await call(generation)(self, client.version_port)
            except SophonConnectionError as err:  # the port is down: the other one would be too
                _LOGGER.debug("No %s from %s: %s", what, client.host, err)
                return None
            except SophonError as err:
                _LOGGER.debug("No %s %s from %s: %s", generation.name, what, client.host, err)
                continue
            if value:
                return value
        return None

    async def scene_image(self, event_id: str) -> bytes | None:
        """Fetch an event's scene photo from boxes that do not push it (generation 2.0)."""
        if self._client.generation is None:
            return None
        return await self._client.generation.fetch_scene_image(self, event_id)

    async def box_time(self) -> BoxTime | None:
        """Read the box's clock and time zone (api section 4); None when it gives none.

        The answer also feeds the clock watch, so a box whose whole clock is a time zone off is
        corrected before its first recognition.
        """
        client = self._client
        if (generation := client.generation) is None:
            return None
        asked = client.clock()
        try:
            time_ms, timezone = await generation.fetch_box_time(self, client.version_port)
        except SophonError as err:
            _LOGGER.debug("No time from %s: %s", client.host, err)
            return None
        answer = box_time(time_ms, timezone, asked, client.clock())
        if answer is not None and client.clock_watch.observe_box_time(answer):
            self._frames.log_correction()
        return answer


def _error_envelope(content: bytes) -> dict[str, Any] | None:
    """Return an answer that is the box's {"error": {...}} envelope, else None."""
    try:
        answer, _quirks = parse_json(content)
    except ValueError:
        return None
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        return answer
    return None


async def _read_bounded(response: aiohttp.ClientResponse, url: URL) -> bytes:
    """Return an answer's body; SophonResponseError when it is over MAX_ANSWER_BYTES."""
    too_long = SophonResponseError(f"{url} answered more than {MAX_ANSWER_BYTES} bytes")
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        raise too_long
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise too_long
    return bytes(body)
