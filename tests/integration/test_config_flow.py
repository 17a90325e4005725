"""Config, reconfigure and options flows against the simulated box."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
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
