"""Run a real Home Assistant beside a simulated box and set it up over HTTP, as a person would."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp

from sophon_sim import BoxSimulator

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "config_template"
DEV_NAME = "Developer"
DEV_USER = "dev"
DEV_PASSWORD = "dev-password"  # noqa: S105 - a local development instance's documented login
LOGIN = f"user: {DEV_USER}  password: {DEV_PASSWORD}"
DASHBOARD = "sophon-gates"
DASHBOARD_TITLE = "Sophon gates"
DEVELOP_PORT = 8123
DEVELOP_REST_PORT = 5555
DEVELOP_WS_PORT = 5679
RESTART_EXIT_CODE = 100
# Steps of the onboarding that a person clicks through in the UI but a script need not: core_config
# also starts flows (met, radio_browser, google_translate, shopping_list) that reach the internet.
SEEDED_ONBOARDING_STEPS = ["core_config", "analytics", "integration"]
DEVICE_ENTITIES = {
    ("image", "last_face"): "face",
    ("sensor", "last_identity"): "identity",
    ("sensor", "person_type"): "person_type",
    ("sensor", "last_score"): "score",
    ("sensor", "last_seen"): "seen",
}
BOX_ENTITIES = {
    ("binary_sensor", "connected"): "Connected",
    ("sensor", "events_received"): "Events",
}
_PR_SET_PDEATHSIG = 1


class SetupError(Exception):
    """Home Assistant did not answer as expected while being set up."""


def say(line: str) -> None:
    """Print one line of progress at once."""
    print(f"[dev] {line}", flush=True)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    """Tell whether something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _write_storage(path: Path, key: str, version: int, minor: int, data: Any) -> None:
    """Write one .storage file the way Home Assistant does."""
    document = {"version": version, "minor_version": minor, "key": key, "data": data}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def prepare_config(config_dir: Path, port: int) -> None:
    """Seed a configuration folder once: YAML, HTTP on 127.0.0.1:port, onboarding, integration."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    link = config_dir / "custom_components"
    if not link.is_symlink():
        link.symlink_to(REPO / "custom_components", target_is_directory=True)
    if not (config_dir / "configuration.yaml").exists():
        shutil.copy(TEMPLATE / "configuration.yaml", config_dir / "configuration.yaml")
    # Home Assistant 2026.8+ keeps its HTTP settings in .storage/http; a YAML http: block would
    # only be a pending trial that reverts after five minutes.
    http = storage / "http"
    if not http.exists():
        document = json.loads((TEMPLATE / "http.json").read_text(encoding="utf-8"))
        document["data"]["stable"]["server_port"] = port
        http.write_text(json.dumps(document) + "\n", encoding="utf-8")
    onboarding = storage / "onboarding"
    if not onboarding.exists():
        _write_storage(onboarding, "onboarding", 4, 1, {"done": SEEDED_ONBOARDING_STEPS})


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this child when its parent dies (runs in the child)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def start_hass(
    config_dir: Path, output: IO[bytes] | None = None
) -> asyncio.subprocess.Process:
    """Start the hass of this interpreter's environment on a configuration folder."""
    hass = Path(sys.executable).parent / "hass"
    return await asyncio.create_subprocess_exec(
        hass,
        "--config",
        str(config_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT if output is not None else None,
        start_new_session=True,  # a Ctrl-C reaches us only; we stop Home Assistant in order
        preexec_fn=_die_with_parent,  # only prctl: no locks, no threads
    )


async def stop_hass(process: asyncio.subprocess.Process, grace: float = 30.0) -> int:
    """Stop Home Assistant with SIGTERM, or SIGKILL when it takes longer than grace seconds."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(grace):
                await process.wait()
        except TimeoutError:
            say(f"Home Assistant did not stop within {grace:.0f} s: killing it")
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return process.returncode if process.returncode is not None else -1


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


async def add_box(client: HassClient, host: str, rest_port: int, ws_port: int) -> str:
    """Add the box through the config flow the UI uses (once); return its loaded entry's id."""
    entries = await client.request("GET", "/api/config/config_entries/entry?domain=sophon")
    if not entries:
        form = await client.request(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": "sophon", "show_advanced_options": False},
        )
        if form.get("type") != "form":
            raise SetupError(f"the config flow did not show its form: {form}")
        result = await client.request(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            {"host": host, "port": rest_port, "ws_port": ws_port},
        )
        if result.get("type") != "create_entry":
            raise SetupError(f"the config flow did not create the entry: {result}")
        say(f"added the box {host} (REST {rest_port}, push {ws_port}) through the config flow")

    async def loaded() -> str | None:
        found = await client.request("GET", "/api/config/config_entries/entry?domain=sophon")
        return next((e["entry_id"] for e in found if e["state"] == "loaded"), None)

    return await poll(loaded, "the Sophon entry to load", 60)


@dataclass
class Gate:
    """The dashboard's entities of one device attached to the box."""

    name: str
    entities: dict[str, str]


async def gates(client: HassClient, entry_id: str) -> tuple[list[Gate], list[dict[str, str]]]:
    """Return each attached device's entities and the box's own, from the registries."""
    registry = await client.ws("config/entity_registry/list")
    devices = {d["id"]: d for d in await client.ws("config/device_registry/list")}
    by_device: dict[str, dict[str, str]] = {}
    box: list[dict[str, str]] = []
    for entity in registry:
        if entity["config_entry_id"] != entry_id:
            continue
        key = (entity["entity_id"].split(".")[0], entity["translation_key"])
        if key in BOX_ENTITIES:
            box.append({"entity": entity["entity_id"], "name": BOX_ENTITIES[key]})
        elif key in DEVICE_ENTITIES and entity["device_id"]:
            by_device.setdefault(entity["device_id"], {})[DEVICE_ENTITIES[key]] = entity[
                "entity_id"
            ]
    found = [
        Gate(devices[d]["name_by_user"] or devices[d]["name"] or d, roles)
        for d, roles in by_device.items()
        if len(roles) == len(DEVICE_ENTITIES)
    ]
    return sorted(found, key=lambda gate: gate.name), sorted(box, key=lambda row: row["name"])


def dashboard_config(found: list[Gate], box: list[dict[str, str]]) -> dict[str, Any]:
    """Return a dashboard: per gate the latest face with identity, person type, score and time."""
    stacks: list[dict[str, Any]] = [
        {
            "type": "vertical-stack",
            "cards": [
                {
                    "type": "picture-entity",
                    "entity": gate.entities["face"],
                    "name": gate.name,
                    "show_state": False,
                },
                {
                    "type": "entities",
                    "entities": [
                        {"entity": gate.entities["identity"], "name": "Identity"},
                        {"entity": gate.entities["person_type"], "name": "Person type"},
                        {"entity": gate.entities["score"], "name": "Score"},
                        {"entity": gate.entities["seen"], "name": "Seen"},
                    ],
                },
            ],
        }
        for gate in found
    ]
    columns = max(1, min(4, len(stacks)))
    cards: list[dict[str, Any]] = [
        {"type": "grid", "columns": columns, "square": False, "cards": stacks}
    ]
    if box:
        cards.append({"type": "glance", "title": "Box", "entities": box})
    # A panel view gives the one card (a stack of the gates' grid and the box) the whole width.
    view = {"title": "Gates", "path": "gates", "type": "panel"}
    return {
        "title": DASHBOARD_TITLE,
        "views": [{**view, "cards": [{"type": "vertical-stack", "cards": cards}]}],
    }


async def save_dashboard(client: HassClient, entry_id: str) -> tuple[str, list[Gate]]:
    """Create the gates dashboard (once) and write its cards; return its path and the gates."""
    found, box = await poll(
        lambda: _gates_when_ready(client, entry_id), "the Sophon devices' entities", 60
    )
    dashboards = await client.ws("lovelace/dashboards/list")
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await client.ws(
            "lovelace/dashboards/create",
            url_path=DASHBOARD,
            title=DASHBOARD_TITLE,
            icon="mdi:face-recognition",
            show_in_sidebar=True,
            require_admin=False,
            mode="storage",
        )
    await client.ws("lovelace/config/save", url_path=DASHBOARD, config=dashboard_config(found, box))
    return f"/{DASHBOARD}/gates", found


async def _gates_when_ready(
    client: HassClient, entry_id: str
) -> tuple[list[Gate], list[dict[str, str]]] | None:
    """Return the gates once the entry's devices have their entities, else None."""
    found, box = await gates(client, entry_id)
    return (found, box) if found else None


async def provision(
    client: HassClient, process: asyncio.subprocess.Process, rest_port: int, ws_port: int
) -> tuple[str, str, list[Gate]]:
    """Onboard the development user, add the box and write the dashboard; idempotent."""
    await client.wait_up(process)
    created = await client.onboard(DEV_NAME, DEV_USER, DEV_PASSWORD)
    say(f"{'created' if created else 'logged in as'} the user {DEV_USER!r}")
    entry_id = await add_box(client, "127.0.0.1", rest_port, ws_port)
    path, found = await save_dashboard(client, entry_id)
    say(f"dashboard {path} shows {len(found)} gate(s)")
    return entry_id, path, found


async def first_of[T](main: Awaitable[T], *others: Awaitable[Any]) -> T | None:
    """Await main unless one of others finishes first (then None); cancel whatever is left."""
    main_task = asyncio.ensure_future(main)
    other_tasks = [asyncio.ensure_future(other) for other in others]
    try:
        await asyncio.wait([main_task, *other_tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [main_task, *other_tasks]:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return main_task.result() if main_task.done() and not main_task.cancelled() else None


async def _hass_session(
    session: aiohttp.ClientSession, sim: BoxSimulator, stop: asyncio.Event, provisioned: bool
) -> tuple[int, bool]:
    """Run hass once (set it up unless provisioned) until it exits or stop; return code, set up."""
    base_url = f"http://127.0.0.1:{DEVELOP_PORT}"
    started = time.monotonic()
    process = await start_hass(REPO / "config")
    try:
        if not provisioned:
            client = HassClient(session, base_url)
            done = await first_of(
                provision(client, process, sim.rest_port, sim.ws_port), process.wait(), stop.wait()
            )
            await client.close()
            if done is not None:
                provisioned = True
                say(f"ready in {time.monotonic() - started:.0f} s: {base_url}{done[1]}  {LOGIN}")
        await first_of(process.wait(), stop.wait())
    except SetupError as err:
        say(f"setting up failed: {err}")
        stop.set()
    finally:
        if process.returncode is None:
            await stop_hass(process)
    return process.returncode if process.returncode is not None else -1, provisioned


async def develop(rate: float) -> int:
    """Run Home Assistant on 127.0.0.1:8123 with a free-running simulated box until Ctrl-C."""
    for port in (DEVELOP_PORT, DEVELOP_REST_PORT, DEVELOP_WS_PORT):
        if port_in_use(port):
            say(f"port {port} is in use on 127.0.0.1: is another scripts/develop running?")
            return 1
    prepare_config(REPO / "config", DEVELOP_PORT)
    say(f"Home Assistant: http://127.0.0.1:{DEVELOP_PORT}  {LOGIN}")
    say(f"configuration: {REPO / 'config'} (delete it to start over); Ctrl-C stops everything")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.basicConfig(level=logging.INFO, format="[sim] %(message)s", stream=sys.stdout)
    sim = BoxSimulator(4, rest_port=DEVELOP_REST_PORT, ws_port=DEVELOP_WS_PORT, seed=1)
    # SOPHON_SIM_FAULTS="dirty_text,id_form=hex": show how the integration meets odd boxes.
    for fault in filter(None, os.environ.get("SOPHON_SIM_FAULTS", "").split(",")):
        name, _, value = fault.strip().partition("=")
        sim.faults.set(name, value or None)
        say(f"simulator fault on: {fault.strip()}")
    code, provisioned = RESTART_EXIT_CODE, False
    async with sim, aiohttp.ClientSession() as session:
        say(f"simulated box on 127.0.0.1 (REST {sim.rest_port}, push {sim.ws_port}), {rate}/s")
        sim.run(rate)
        while code == RESTART_EXIT_CODE and not stop.is_set():
            code, provisioned = await _hass_session(session, sim, stop, provisioned)
            if code == RESTART_EXIT_CODE:
                say("Home Assistant asked for a restart: starting it again")
    say(f"stopped (Home Assistant exit code {code})")
    # Stopped by Ctrl-C after a good start: success; a failed start or a crash: failure.
    return 0 if provisioned and stop.is_set() else 1


def main() -> int:
    """Run the development instance (scripts/develop)."""
    rate = float(os.environ.get("SOPHON_SIM_RATE", "0.2"))
    return asyncio.run(develop(rate))


if __name__ == "__main__":
    sys.exit(main())
