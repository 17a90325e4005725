"""A client of one Home Assistant's REST and websocket APIs, as its frontend talks to it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp


class SetupError(Exception):
    """Home Assistant did not answer as expected while being set up."""


async def poll[T](
    probe: Callable[[], Awaitable[T | None]], what: str, limit: float, every: float = 0.25
) -> T:
    """Call probe until it returns something other than None; fail after limit seconds."""
    deadline = time.monotonic() + limit
    while True:
        result = await probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise SetupError(f"timed out after {limit:.0f} s waiting for {what}")
        await asyncio.sleep(every)


@dataclass
class HassClient:
    """Talk to one Home Assistant over its REST and websocket APIs, as its frontend does."""

    session: aiohttp.ClientSession
    base_url: str
    token: str = ""
    refresh_token: str = ""
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _next_id: int = field(default=1)

    @property
    def client_id(self) -> str:
        """Return the OAuth client id the frontend uses: its own base URL."""
        return self.base_url + "/"

    def _headers(self) -> dict[str, str]:
        """Return the bearer authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, payload: Any = None, auth: bool = True) -> Any:
        """Send one REST request and return its JSON; fail on an error status."""
        async with self.session.request(
            method,
            self.base_url + path,
            json=payload,
            headers=self._headers() if auth else None,
        ) as response:
            text = await response.text()
            if response.status >= 400:  # noqa: PLR2004
                raise SetupError(f"{method} {path}: HTTP {response.status}: {text[:300]}")
            return json.loads(text) if text else None

    async def get_bytes(self, path: str) -> tuple[int, bytes, str]:
        """GET a path with the token; return status, body and content type."""
        async with self.session.get(self.base_url + path, headers=self._headers()) as response:
            return response.status, await response.read(), response.content_type

    async def wait_up(self, process: asyncio.subprocess.Process, limit: float = 180.0) -> None:
        """Wait until the login page's API answers: HTTP, auth and the frontend are up."""

        async def probe() -> bool | None:
            if process.returncode is not None:
                raise SetupError(f"hass exited with code {process.returncode} while starting")
            try:
                # 200, or 400 "onboarding_required" before onboarding: auth is up either way.
                async with self.session.get(self.base_url + "/auth/providers") as response:
                    return True if response.status in {200, 400} else None
            except aiohttp.ClientError:
                return None

        await poll(probe, f"Home Assistant at {self.base_url}", limit, every=0.5)

    async def _tokens(self, code: str) -> None:
        """Exchange an authorization code for an access and a refresh token."""
        form = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        async with self.session.post(self.base_url + "/auth/token", data=form) as response:
            body = await response.json()
            if response.status != 200 or "access_token" not in body:  # noqa: PLR2004
                raise SetupError(f"/auth/token: HTTP {response.status}: {body}")
        self.token, self.refresh_token = body["access_token"], body["refresh_token"]

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow of the login page."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.base_url + "/?auth_callback=1",
            },
            auth=False,
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"username": username, "password": password, "client_id": self.client_id},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise SetupError(
                f"cannot log in as {username!r} ({result.get('errors')}): the configuration "
                "folder has another user; delete it to start over"
            )
        await self._tokens(result["result"])

    async def onboard(self, name: str, username: str, password: str) -> bool:
        """Create the owner through onboarding, or log in when one exists; True when created."""
        async with self.session.get(self.base_url + "/api/onboarding") as response:
            # Once onboarding is complete Home Assistant no longer serves its API (404).
            steps = await response.json() if response.status == 200 else []  # noqa: PLR2004
        if not steps or any(step["step"] == "user" and step["done"] for step in steps):
            await self.login(username, password)
            return False
        created = await self.request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        await self._tokens(created["auth_code"])
        return True

    async def ws(self, command: str, **data: Any) -> Any:
        """Send one websocket command (authenticating on first use); return its result."""
        if self._ws is None or self._ws.closed:
            self._ws = await self.session.ws_connect(self.base_url + "/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            reply = await self._ws.receive_json()
            if reply.get("type") != "auth_ok":
                raise SetupError(f"websocket authentication failed: {reply}")
        message_id, self._next_id = self._next_id, self._next_id + 1
        await self._ws.send_json({"id": message_id, "type": command, **data})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == message_id and reply.get("type") == "result":
                break
        if not reply.get("success"):
            raise SetupError(f"websocket {command}: {reply.get('error')}")
        return reply.get("result")

    async def close(self) -> None:
        """Close the websocket, if open."""
        if self._ws is not None:
            await self._ws.close()

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """Return an entity's state object, or None when Home Assistant has none."""
        async with self.session.get(
            f"{self.base_url}/api/states/{entity_id}", headers=self._headers()
        ) as response:
            if response.status == 404:  # noqa: PLR2004
                return None
            response.raise_for_status()
            state: dict[str, Any] = await response.json()
            return state
