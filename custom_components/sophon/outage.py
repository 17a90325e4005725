"""A box's push outages: Connected follows the push, the log and Repairs follow whole outages."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later

from .api import BoxClient, ConnectionState, Drop
from .const import DOMAIN, PUSH_HELD_AFTER, STABLE_CONNECTION, UNREACHABLE_REPAIR_AFTER

LOGGER = logging.getLogger(__name__)

# Addresses in a connection error's text (aiohttp names the address it resolved).
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
# Characters a repair's markdown would render: a close reason is the box's text, shown plain.
_MARKDOWN = str.maketrans("", "", "[]()<>*_`#|\\!")
REDACTED = "**REDACTED**"

UNREACHABLE = "unreachable"
PUSH_HELD = "push_held"
# The push has not opened once since the entry was set up (a wrong or blocked port).
NEVER_OPENED = "push_never_opened"


def describe_close(drop: Drop) -> str:
    """Say how the box closed a connection: its code, and its reason when it gave one."""
    reason = f', "{drop.close_reason}"' if drop.close_reason else ""
    return f"the box closed it: code {drop.close_code}{reason}"


class PushOutages:
    """Follow one box's push connection for the Connected sensor, the log and Repairs.

    Connected follows the push at once (the client reports a connection only once it proved
    itself). An outage starts at the first drop and ends once the push stayed up for
    STABLE_CONNECTION: it is logged once when it starts and once when it ends, and each close code
    and reason the box gives during it once. A push down for UNREACHABLE_REPAIR_AFTER raises
    the "unreachable" repair; a push the box refused early PUSH_HELD_AFTER times in a row, closing
    it with a reason (it has no room for us, or gives our place to another client), raises
    "push held" instead.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: BoxClient,
        on_change: Callable[[], None],
    ) -> None:
        """Follow the push of the client; on_change is called when Connected changes."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._on_change = on_change
        self.connected = False
        self.ever_connected = False
        self.outage = False
        self.outages = 0
        self.stopping = False
        # How the box closed the push in this outage, each logged once (None: not by the box).
        self._closes_logged: set[str | None] = set()
        self._raised: set[str] = set()
        self._cancel_repair: CALLBACK_TYPE | None = None
        self._cancel_stable: CALLBACK_TYPE | None = None

    @callback
    def handle_state(self, state: ConnectionState) -> None:
        """Take a state change of the push."""
        if state is ConnectionState.CONNECTED:
            self.connected = True
            if not self.ever_connected:
                self.ever_connected = True
                self._delete(NEVER_OPENED)
            if self.outage and self._cancel_stable is None:
                self._cancel_stable = async_call_later(
                    self._hass, STABLE_CONNECTION, self._connection_stable
                )
        elif state is ConnectionState.DISCONNECTED and not self.stopping:
            self._cancel_stable_timer()
            self._note_drop(self._client.last_drop)
            if not self.connected:
                return
            self.connected = False
        else:
            return
        self._on_change()

    def _note_drop(self, drop: Drop | None) -> None:
        """Log an outage once as it starts, each way the box closes it once; raise push held."""
        close = None if drop is None or not drop.by_box else describe_close(drop)
        if not self.ever_connected and close is None:
            self._never_opened(drop)
        elif not self.outage:
            self._closes_logged = {close}
            how = f" ({close})" if close else ""
            # INFO like its restoration (the quality scale's log-when-unavailable): the Connected
            # sensor and Repairs are where a person sees an outage.
            LOGGER.info("Lost the connection to %s%s; reconnecting", self._entry.title, how)
        elif close not in self._closes_logged:
            self._closes_logged.add(close)
            LOGGER.info("The push of %s was closed again (%s)", self._entry.title, close)
        if not self.outage:
            self.outage = True
            self.outages += 1
            self._cancel_repair = async_call_later(
                self._hass, UNREACHABLE_REPAIR_AFTER, self._raise_unreachable
            )
        if self._client.refused_in_a_row >= PUSH_HELD_AFTER and drop is not None:
            self._raise_push_held(drop)

    def _never_opened(self, drop: Drop | None) -> None:
        """Say at once, in the log and in Repairs, that the push port has not opened yet."""
        if NEVER_OPENED in self._raised:
            return
        port = str(self._client.ws_port)
        LOGGER.warning(
            "Cannot open the push of %s on port %s (%s); retrying",
            self._entry.title,
            port,
            "no answer" if drop is None else drop.cause,
        )
        self._raise(NEVER_OPENED, "push_never_opened", {"port": port})

    @callback
    def _connection_stable(self, _now: datetime) -> None:
        """End the outage once the push has stayed up for a while."""
        self._cancel_stable = None
        self.outage = False
        self._cancel_repair_timer()
        self.async_delete_repairs()
        LOGGER.info("Connection to %s restored", self._entry.title)

    def _issue_id(self, kind: str) -> str:
        """Return the id of one of this box's repair issues."""
        return f"{kind}_{self._entry.entry_id}"

    @callback
    def _raise_unreachable(self, _now: datetime) -> None:
        """Tell the user in Repairs that the box has been unreachable for a long time."""
        self._cancel_repair = None
        if self._raised & {PUSH_HELD, NEVER_OPENED}:
            return  # that repair says why already
        minutes = int(UNREACHABLE_REPAIR_AFTER.total_seconds() // 60)
        self._raise(UNREACHABLE, "box_unreachable", {"minutes": str(minutes)})

    def _raise_push_held(self, drop: Drop) -> None:
        """Tell the user that the box keeps closing our push: something else holds it."""
        if PUSH_HELD in self._raised:
            return
        self._cancel_repair_timer()
        self._delete(UNREACHABLE)
        self._raise(
            PUSH_HELD,
            "push_held",
            {
                "count": str(self._client.refused_in_a_row),
                "code": str(drop.close_code),
                "reason": drop.close_reason.translate(_MARKDOWN) or "-",
            },
        )

    def _delete(self, kind: str) -> None:
        """Remove one of the box's repair issues."""
        self._raised.discard(kind)
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id(kind))

    def _raise(self, kind: str, translation_key: str, placeholders: dict[str, str]) -> None:
        """Create one of the box's repair issues."""
        self._raised.add(kind)
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id(kind),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=translation_key,
            translation_placeholders={"title": self._entry.title, **placeholders},
        )

    @callback
    def async_delete_repairs(self) -> None:
        """Remove this box's outage repairs (the outage ended, or the entry goes away)."""
        for kind in (UNREACHABLE, PUSH_HELD, NEVER_OPENED):
            self._delete(kind)

    def _cancel_repair_timer(self) -> None:
        """Forget a pending unreachable repair."""
        if self._cancel_repair is not None:
            self._cancel_repair()
            self._cancel_repair = None

    def _cancel_stable_timer(self) -> None:
        """Forget a pending end of outage."""
        if self._cancel_stable is not None:
            self._cancel_stable()
            self._cancel_stable = None

    @callback
    def async_start(self) -> None:
        """Follow the push again (after a stop for a resubscription)."""
        self.stopping = False

    @callback
    def async_stop(self) -> None:
        """Stop following: cancel every timer (an unload or Home Assistant's stop)."""
        self.stopping = True
        self._cancel_repair_timer()
        self._cancel_stable_timer()

    def _redacted(self, text: str) -> str:
        """Return text without the box's host name or any IP address."""
        text = text.replace(self._client.host, REDACTED)
        return _IPV6.sub(REDACTED, _IPV4.sub(REDACTED, text))

    def as_dict(self) -> dict[str, Any]:
        """Return the outage state and the last drop, for diagnostics."""
        drop = self._client.last_drop
        return {
            "in_outage": self.outage,
            "outages": self.outages,
            "repairs": sorted(self._raised),
            "refused_in_a_row": self._client.refused_in_a_row,
            "last_drop": None
            if drop is None
            else {
                # The cause names the push's address: redacted like the entry's host.
                "cause": self._redacted(drop.cause),
                "by_box": drop.by_box,
                "close_code": drop.close_code,
                "close_reason": drop.close_reason,
                "proven": drop.proven,
                "lasted_seconds": round(drop.lasted, 1),
            },
        }
