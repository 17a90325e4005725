"""Config, reconfigure and options flows against the simulated box."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from fnmatch import fnmatch

import pytest
from aiohttp import web
from homeassistant.config_entries import (
    SOURCE_DHCP,
    SOURCE_IGNORE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from homeassistant.loader import async_get_dhcp
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon import config_flow
from custom_components.sophon.const import (
    CONF_CATCH_UP_HOURS,
    CONF_DEVICES,
    CONF_NEED_FACE,
    CONF_NEED_REGISTER,
    CONF_WS_PORT,
    DOMAIN,
)
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import BoxSimulator
from tests.conftest import LOOPBACK, wait_for
from tests.frames import subscription
from tests.integration.conftest import open_options


def _form(simulator: BoxSimulator, host: str = LOOPBACK) -> dict[str, object]:
    """Return what a user types to add the simulator."""
    return {CONF_HOST: host, CONF_PORT: simulator.rest_port, CONF_WS_PORT: simulator.ws_port}


async def test_user_adds_a_box(hass: HomeAssistant, simulator: BoxSimulator) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_form(simulator), CONF_HOST: f" {LOOPBACK} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Lobby-SE5"  # what the box calls itself
    assert result["data"] == _form(simulator)
    assert result["result"].unique_id == simulator.serial_number
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("typed", "hostname", "title"),
    [
        ("  Front gate box ", "Lobby-SE5", "Front gate box"),  # the name typed wins
        ("", "bm1684", "Sophon box"),  # the stock host name tells nothing
        (None, "sophon", "Sophon box"),
        (None, None, "Sophon box"),  # no host name call (404)
        (None, "\x00大堂盒子\x00\x00", "大堂盒子"),  # NUL-padded, as C writers send it
    ],
)
async def test_the_box_is_named_by_the_user_or_by_itself_never_by_its_address(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    typed: str | None,
    hostname: str | None,
    title: str,
) -> None:
    simulator.hostname = hostname
    form = _form(simulator) if typed is None else {**_form(simulator), CONF_NAME: typed}
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert CONF_NAME not in result["data"]
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("serial", "unique_id"),
    [
        (None, "address"),  # the box has no serial number call (404)
        ("", "address"),
        ("000000000000", "address"),
        ("unknown", "address"),
        ("SE5A1B2C3D4E\u0000\u0000 ", "SE5A1B2C3D4E"),  # NUL-padded, as C writers send it
    ],
)
async def test_a_box_without_a_usable_serial_number_is_known_by_its_address(
    hass: HomeAssistant, simulator: BoxSimulator, serial: str | None, unique_id: str
) -> None:
    if serial is None:
        simulator.faults.no_serial = True
    else:
        simulator.serial_number = serial
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    address = f"{LOOPBACK}:{simulator.rest_port}"
    assert result["result"].unique_id == (address if unique_id == "address" else unique_id)
    await hass.async_block_till_done()


async def test_the_same_box_at_a_new_address_updates_the_entry(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await wait_for(lambda: config_entry.unique_id == simulator.serial_number)
    async with BoxSimulator(devices=simulator.devices, generation=simulator.generation) as moved:
        moved.serial_number = simulator.serial_number  # the same box, after a DHCP change
        monkeypatch.setattr(config_flow, "SYSTEM_PORT", moved.version_port)
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(moved))
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "already_configured"
        await hass.async_block_till_done()
        assert {key: config_entry.data[key] for key in _form(moved)} == _form(moved)
        assert len(hass.config_entries.async_entries(DOMAIN)) == 1
        await moved.wait_for_subscription()
        await hass.config_entries.async_unload(config_entry.entry_id)


async def _user_error(hass: HomeAssistant, form: dict[str, object]) -> dict[str, str]:
    """Submit the user form and return its errors."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    return result["errors"]


async def test_unreachable_box_shows_cannot_connect(hass: HomeAssistant) -> None:
    async with BoxSimulator(devices=1) as sim:
        form = _form(sim)
    assert await _user_error(hass, form) == {"base": "cannot_connect"}


@pytest.mark.parametrize("push", ["closed_port", "rest_port", "listener_stopped"])
async def test_a_push_port_that_does_not_open_is_refused_by_the_form(
    hass: HomeAssistant, simulator: BoxSimulator, push: str
) -> None:
    form = _form(simulator)
    if push == "closed_port":
        async with BoxSimulator(devices=1) as gone:
            form[CONF_WS_PORT] = gone.ws_port  # nothing listens there once it stopped
    elif push == "rest_port":
        form[CONF_WS_PORT] = simulator.rest_port  # HTTP answers, but no WebSocket
    else:
        simulator.stop_ws_listener()
    assert await _user_error(hass, form) == {CONF_WS_PORT: "cannot_connect_push"}
    assert simulator.connected_clients == 0
    if push == "listener_stopped":
        await simulator.start_ws_listener()
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_garbage_answer_shows_invalid_response(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    simulator.faults.rest_garbage = True
    assert await _user_error(hass, _form(simulator)) == {"base": "invalid_response"}


async def test_http_error_shows_invalid_response(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    simulator.faults.rest_status = 500
    assert await _user_error(hass, _form(simulator)) == {"base": "invalid_response"}


async def test_empty_box_shows_no_devices(hass: HomeAssistant) -> None:
    async with BoxSimulator(devices=[]) as sim:
        assert await _user_error(hass, _form(sim)) == {"base": "no_devices"}


async def test_error_can_be_corrected(hass: HomeAssistant, simulator: BoxSimulator) -> None:
    simulator.faults.rest_status = 500
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["errors"] == {"base": "invalid_response"}
    simulator.faults.rest_status = None
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_same_box_twice_is_aborted(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_moves_the_entry_to_a_new_address(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await wait_for(lambda: config_entry.unique_id == simulator.serial_number)
    async with BoxSimulator(devices=2, seed=3) as moved:
        moved.serial_number = simulator.serial_number  # the same box at a new address
        monkeypatch.setattr(config_flow, "SYSTEM_PORT", moved.version_port)
        result = await config_entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(moved))
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert {key: config_entry.data[key] for key in _form(moved)} == _form(moved)
        assert config_entry.unique_id == simulator.serial_number
        # Its title was its old address: it is named as the box calls itself now.
        assert config_entry.title == moved.hostname
        await moved.wait_for_subscription()
        await hass.config_entries.async_unload(config_entry.entry_id)


async def test_reconfigure_to_another_box_is_aborted(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await wait_for(lambda: config_entry.unique_id == simulator.serial_number)
    async with BoxSimulator(devices=2, seed=3) as other:
        monkeypatch.setattr(config_flow, "SYSTEM_PORT", other.version_port)
        result = await config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(other))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "another_box"
    assert config_entry.data[CONF_PORT] == simulator.rest_port


async def test_reconfigure_shows_errors(
    hass: HomeAssistant, coordinator: SophonCoordinator, config_entry: MockConfigEntry
) -> None:
    async with BoxSimulator(devices=1) as gone:
        form = _form(gone)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_to_another_entry_is_aborted(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    simulator.faults.no_serial = True  # both boxes known by their addresses
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    async with BoxSimulator(devices=1) as other:
        other.faults.no_serial = True
        MockConfigEntry(domain=DOMAIN, unique_id=f"{LOOPBACK}:{other.rest_port}").add_to_hass(hass)
        result = await config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(other))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    await hass.config_entries.async_unload(config_entry.entry_id)


async def test_options_choose_devices_and_resubscribe(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    chosen = simulator.devices[0].device_id
    result = await open_options(hass, config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_DEVICES: [chosen], CONF_NEED_FACE: False, CONF_NEED_REGISTER: True},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await wait_for(lambda: subscription(simulator.subscriptions[-1])["event_list"] == [chosen])
    assert subscription(simulator.subscriptions[-1]) == {
        "need_face": False,
        "need_register": True,
        "event_list": [chosen],
    }


async def test_options_set_how_far_back_a_catch_up_reaches(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    """The catch-up option is offered with its default, stored as whole hours and used."""
    result = await open_options(hass, config_entry.entry_id)
    defaults = {str(key): key.default() for key in result["data_schema"].schema}
    assert defaults[CONF_CATCH_UP_HOURS] == 24
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_DEVICES: [d.device_id for d in simulator.devices],
            CONF_NEED_FACE: True,
            CONF_NEED_REGISTER: True,
            CONF_CATCH_UP_HOURS: 6.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert config_entry.options[CONF_CATCH_UP_HOURS] == 6
    assert isinstance(config_entry.options[CONF_CATCH_UP_HOURS], int)
    await hass.async_block_till_done()
    assert config_entry.runtime_data.catch_up.hours == 6


async def test_options_with_every_device_follow_new_devices(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    result = await open_options(hass, config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_DEVICES: [d.device_id for d in simulator.devices],
            CONF_NEED_FACE: True,
            CONF_NEED_REGISTER: False,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_DEVICES not in config_entry.options
    await hass.async_block_till_done()


async def test_reconfigure_with_the_same_address_keeps_the_entry(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert config_entry.unique_id == simulator.serial_number
    await simulator.wait_for_subscription(count=2)


@pytest.mark.parametrize("host", ["http://127.0.0.1", "127.0.0.1:5555", "box name"])
async def test_a_url_or_host_with_port_is_refused(
    hass: HomeAssistant, simulator: BoxSimulator, host: str
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_form(simulator), CONF_HOST: host}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}


async def test_options_are_refused_while_the_box_is_not_loaded(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    simulator.faults.rest_status = 500
    await hass.config_entries.async_setup(config_entry.entry_id)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_options_drop_devices_the_box_no_longer_lists(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    kept = simulator.devices[0].device_id
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_DEVICES: [kept, "gone-device"]}
    )
    await hass.async_block_till_done()
    result = await open_options(hass, config_entry.entry_id)
    defaults = {
        str(key): key.default() for key in result["data_schema"].schema if hasattr(key, "default")
    }
    assert defaults[CONF_DEVICES] == [kept]


async def test_reconfigure_keeps_a_title_the_user_chose(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    hass.config_entries.async_update_entry(config_entry, title="Front office box")
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert config_entry.title == "Front office box"


async def test_reconfigure_where_no_serial_can_be_read_keeps_the_serial(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    await wait_for(lambda: config_entry.unique_id == simulator.serial_number)
    simulator.faults.no_serial = True  # e.g. its system port is blocked now
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert config_entry.unique_id == simulator.serial_number


async def test_reconfigure_of_an_entry_without_unique_id_takes_the_serial(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    hass.config_entries.async_update_entry(config_entry, unique_id=None)
    simulator.faults.no_serial = True
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    simulator.faults.no_serial = False
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form(simulator))
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert config_entry.unique_id == simulator.serial_number
    await hass.config_entries.async_unload(config_entry.entry_id)


# What Home Assistant's DHCP watcher hands a flow: the MAC in upper case without colons is what
# the manifest's matchers are compared with, the host name in lower case.
BITMAIN_MAC = "e0a5091a2b3c"


def _dhcp(host: str = LOOPBACK, hostname: str = "bm1684") -> DhcpServiceInfo:
    """Return the DHCP discovery of a Bitmain device at host."""
    return DhcpServiceInfo(ip=host, hostname=hostname, macaddress=BITMAIN_MAC)


async def _discover(hass: HomeAssistant, info: DhcpServiceInfo | None = None) -> ConfigFlowResult:
    """Start the flow Home Assistant starts when DHCP shows a device the manifest matches."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_DHCP}, data=info or _dhcp()
    )


@pytest.mark.parametrize(
    ("mac", "hostname", "matched"),
    [
        ("E0A5091A2B3C", "lobby-se5", True),  # a Bitmain MAC, whatever the name
        ("0242AC110002", "bm1684", True),  # the stock host names, whatever the MAC
        ("0242AC110002", "sophon-se5", True),
        ("0242AC110002", "antminer", False),
    ],
)
async def test_the_manifest_matches_bitmain_macs_and_stock_host_names(
    hass: HomeAssistant, mac: str, hostname: str, matched: bool
) -> None:
    ours = [m for m in await async_get_dhcp(hass) if m["domain"] == DOMAIN]
    assert len(ours) == 3
    assert matched == any(
        fnmatch(mac, m.get("macaddress", "*")) and fnmatch(hostname, m.get("hostname", "*"))
        for m in ours
    )


@pytest.mark.parametrize(
    ("hostname", "title"), [("Lobby-SE5", "Lobby-SE5"), ("bm1684", "Sophon box")]
)
async def test_a_box_found_by_dhcp_is_added_once_confirmed(
    hass: HomeAssistant, simulator: BoxSimulator, hostname: str, title: str
) -> None:
    simulator.hostname = hostname
    result = await _discover(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    assert result["description_placeholders"] == {"name": title, "host": LOOPBACK}
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["title_placeholders"] == {"name": title}  # the Discovered card
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    assert result["data"] == _form(simulator)
    assert result["result"].unique_id == simulator.serial_number
    await hass.async_block_till_done()


@dataclass
class NotABox:
    """A miner's web page on loopback: HTTP answers, but no device list."""

    port: int = 0
    asked: int = 0


@pytest.fixture
async def not_a_box() -> AsyncIterator[NotABox]:
    """Serve a page that is not a box's API on a loopback port, and count the requests."""
    served = NotABox()

    async def page(_request: web.Request) -> web.Response:
        served.asked += 1
        return web.Response(text="<html><title>Antminer</title></html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, 0).start()
    served.port = runner.addresses[0][1]
    yield served
    await runner.cleanup()


async def test_an_address_answering_http_but_no_device_list_is_never_offered(
    hass: HomeAssistant, not_a_box: NotABox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_flow, "DISCOVERY_PORT", not_a_box.port)
    result = await _discover(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_sophon_box"
    assert not_a_box.asked > 0
    assert hass.config_entries.flow.async_progress() == []


async def test_an_address_where_nothing_listens_is_asked_a_while_then_dropped(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with BoxSimulator(devices=1) as gone:
        port = gone.rest_port  # nothing listens there once it stopped
    monkeypatch.setattr(config_flow, "DISCOVERY_PORT", port)
    monkeypatch.setattr(config_flow, "DISCOVERY_RETRY_SECONDS", 0)
    result = await _discover(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_sophon_box"
    assert hass.config_entries.flow.async_progress() == []


async def test_a_box_already_added_found_at_a_new_address_follows_it_without_a_question(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    await wait_for(lambda: config_entry.unique_id == simulator.serial_number)
    # Where the box was before its DHCP lease changed (never asked: the entry moves first).
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_HOST: "192.0.2.20"}
    )
    await hass.async_block_till_done()
    assert config_entry.runtime_data is coordinator
    result = await _discover(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert config_entry.data[CONF_HOST] == LOOPBACK
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data is not coordinator  # reloaded at the new address
    await simulator.wait_for_subscription(count=2)
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


@pytest.mark.parametrize("known_by", ["serial", "address"])
async def test_a_box_already_added_at_the_same_address_is_not_offered(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator, known_by: str
) -> None:
    if known_by == "serial":
        hass.config_entries.async_update_entry(config_entry, unique_id=simulator.serial_number)
    else:
        simulator.faults.no_serial = True  # a box without a serial number: its address
    data = dict(config_entry.data)
    result = await _discover(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert config_entry.data == data
    assert config_entry.state is ConfigEntryState.NOT_LOADED  # not reloaded


async def test_a_box_the_user_ignored_is_not_offered_again(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    MockConfigEntry(
        domain=DOMAIN, source=SOURCE_IGNORE, unique_id=simulator.serial_number
    ).add_to_hass(hass)
    result = await _discover(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert hass.config_entries.flow.async_progress() == []


async def test_the_same_box_found_twice_is_offered_once(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    first = await _discover(hass)
    assert first["type"] is FlowResultType.FORM
    result = await _discover(hass, _dhcp(hostname="sophon"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"


async def test_a_box_added_by_hand_while_it_is_offered_ends_the_offer(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    user = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    offer = await _discover(hass)
    assert offer["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(user["flow_id"], _form(simulator))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == simulator.serial_number
    assert hass.config_entries.flow.async_progress() == []  # the offer is withdrawn
    await hass.async_block_till_done()


async def test_a_box_added_from_the_offer_while_typed_by_hand_is_already_configured(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    user = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    offer = await _discover(hass)
    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(user["flow_id"], _form(simulator))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_an_offer_confirmed_when_the_push_does_not_open_says_so(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    offer = await _discover(hass)
    simulator.stop_ws_listener()
    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect_push"}
    await simulator.start_ws_listener()
    result = await hass.config_entries.flow.async_configure(offer["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
