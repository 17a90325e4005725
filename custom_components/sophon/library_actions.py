"""Actions that change a box's face library: register a person, add a face, change a type, delete.

The box decides who passes its gates and doors, so each action is for administrators only (a
call without a user, an automation's, is allowed) and each change is written to the logbook
with the user who made it (a sophon_library_changed event: names and ids, never a photo).
The picture sent comes from library_pictures.py; the box's refusals become translated errors
in library_refusals.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Final

from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import POLICY_CONTROL
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import (
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv

from .api import (
    LibraryPerson,
    NewPerson,
    PersonType,
    SophonError,
)
from .box_memory import loaded_entry_or_raise
from .compat import vol
from .const import DOMAIN, EVENT_LIBRARY_CHANGED
from .coordinator import SophonConfigEntry
from .library_pictures import ATTR_EVENT_ID, ATTR_PICTURE_ENTITY_ID, async_library_picture
from .library_refusals import library_error

SERVICE_REGISTER_PERSON: Final = "register_person"
SERVICE_ADD_FACE: Final = "add_face"
SERVICE_SET_PERSON_TYPE: Final = "set_person_type"
SERVICE_DELETE_PERSON: Final = "delete_person"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_IDENTITY_ID: Final = "identity_id"
ATTR_NAME: Final = "name"
ATTR_PERSON_TYPE: Final = "person_type"
ATTR_GROUP: Final = "group"
# The types a person can be given (a stranger or unknown is no type of the library's).
SETTABLE_TYPES: Final = ["employee", "visitor", "blacklist", "vip"]


class LibraryChange:
    """The kinds of change written to the logbook (the event's `change`)."""

    REGISTERED: Final = "registered"
    FACE_ADDED: Final = "face_added"
    TYPE_CHANGED: Final = "type_changed"
    DELETED: Final = "deleted"


_PICTURE_FIELDS: Final = {
    vol.Exclusive(ATTR_EVENT_ID, "picture"): cv.string,
    vol.Exclusive(ATTR_PICTURE_ENTITY_ID, "picture"): cv.entity_domain(["image", "camera"]),
}
_ONE_PICTURE: Final = cv.has_at_least_one_key(ATTR_EVENT_ID, ATTR_PICTURE_ENTITY_ID)

REGISTER_PERSON_SCHEMA: Final = vol.All(
    vol.Schema(
        {
            vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Required(ATTR_NAME): vol.All(cv.string, vol.Length(min=1)),
            vol.Required(ATTR_PERSON_TYPE): vol.In(SETTABLE_TYPES),
            vol.Optional(ATTR_IDENTITY_ID): cv.string,
            vol.Optional(ATTR_GROUP): cv.string,
            **_PICTURE_FIELDS,
        }
    ),
    _ONE_PICTURE,
)
ADD_FACE_SCHEMA: Final = vol.All(
    vol.Schema(
        {
            vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Required(ATTR_IDENTITY_ID): cv.string,
            **_PICTURE_FIELDS,
        }
    ),
    _ONE_PICTURE,
)
SET_PERSON_TYPE_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_IDENTITY_ID): cv.string,
        vol.Required(ATTR_PERSON_TYPE): vol.In(SETTABLE_TYPES),
    }
)
DELETE_PERSON_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_IDENTITY_ID): cv.string,
    }
)

type Handler = Callable[[HomeAssistant, SophonConfigEntry, Mapping[str, Any]], Awaitable[Change]]


def async_setup_library_services(hass: HomeAssistant) -> None:
    """Register the four library actions (once, whatever boxes are set up)."""
    actions: list[tuple[str, Handler, Any, SupportsResponse]] = [
        (
            SERVICE_REGISTER_PERSON,
            _register_person,
            REGISTER_PERSON_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (SERVICE_ADD_FACE, _add_face, ADD_FACE_SCHEMA, SupportsResponse.NONE),
        (SERVICE_SET_PERSON_TYPE, _set_person_type, SET_PERSON_TYPE_SCHEMA, SupportsResponse.NONE),
        (SERVICE_DELETE_PERSON, _delete_person, DELETE_PERSON_SCHEMA, SupportsResponse.NONE),
    ]
    for service, handler, schema, supports_response in actions:
        hass.services.async_register(
            DOMAIN,
            service,
            _admin_action(hass, handler),
            schema=schema,
            supports_response=supports_response,
        )


class Change:
    """A change made to a box's library: what, to whom; the action's response."""

    def __init__(self, change: str, person: LibraryPerson, person_type: str | None = None) -> None:
        """Describe a change of person (person_type: the type given, where one was)."""
        self.change = change
        self.person = person
        self.person_type = person_type or person.person_type.value


def _admin_action(
    hass: HomeAssistant, handler: Handler
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Return the service handler: admins (or no user) only, the change logged and counted."""

    async def action(call: ServiceCall) -> ServiceResponse:
        """Check the caller, make the change, write it to the logbook, recount the library."""
        user = await _caller(hass, call)
        entry = loaded_entry_or_raise(hass, call.data[ATTR_CONFIG_ENTRY_ID], ServiceValidationError)
        change = await handler(hass, entry, call.data)
        hass.bus.async_fire(
            EVENT_LIBRARY_CHANGED,
            {
                "config_entry_id": entry.entry_id,
                "change": change.change,
                "identity_id": change.person.identity_id,
                "identity_name": change.person.name,
                "person_type": change.person_type,
                "user_id": None if user is None else user.id,
                "user_name": None if user is None else user.name,
            },
            context=call.context,
        )
        if change.change == LibraryChange.DELETED:  # followed no longer, their device removed
            entry.runtime_data.people.forget(change.person.identity_id)
        await entry.runtime_data.library.async_refresh()  # the sensor shows the change at once
        if change.change == LibraryChange.REGISTERED:
            return {"identity_id": change.person.identity_id}
        return None

    return action


async def _caller(hass: HomeAssistant, call: ServiceCall) -> User | None:
    """Return the calling user, an administrator; None for a call without one (automations).

    Raises UnknownUser or Unauthorized (Home Assistant's) for anyone else.
    """
    if (user_id := call.context.user_id) is None:
        return None
    user = await hass.auth.async_get_user(user_id)
    if user is None:
        raise UnknownUser(context=call.context, permission=POLICY_CONTROL)
    if not user.is_admin:
        raise Unauthorized(context=call.context, permission=POLICY_CONTROL)
    return user


async def _register_person(
    hass: HomeAssistant, entry: SophonConfigEntry, data: Mapping[str, Any]
) -> Change:
    """Register a person with the picture given; the box (2.0) or client (1.0) picks an id."""
    jpeg = await async_library_picture(hass, entry, data)
    new = NewPerson(
        name=data[ATTR_NAME],
        person_type=PersonType(data[ATTR_PERSON_TYPE]),
        jpeg=jpeg,
        identity_id=data.get(ATTR_IDENTITY_ID),
        group=data.get(ATTR_GROUP),
    )
    person = await _ask(entry, entry.runtime_data.client.async_create_person(new), new.identity_id)
    return Change(LibraryChange.REGISTERED, person, data[ATTR_PERSON_TYPE])


async def _add_face(
    hass: HomeAssistant, entry: SophonConfigEntry, data: Mapping[str, Any]
) -> Change:
    """Add the picture given as another face of a person."""
    identity_id = data[ATTR_IDENTITY_ID]
    jpeg = await async_library_picture(hass, entry, data)
    client = entry.runtime_data.client
    person = await _ask(entry, client.async_add_face(identity_id, jpeg), identity_id)
    return Change(LibraryChange.FACE_ADDED, person)


async def _set_person_type(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SophonConfigEntry,
    data: Mapping[str, Any],
) -> Change:
    """Change a person's type; the client sends every other field back as it was."""
    identity_id = data[ATTR_IDENTITY_ID]
    person_type = PersonType(data[ATTR_PERSON_TYPE])
    client = entry.runtime_data.client
    person = await _ask(entry, client.async_set_person_type(identity_id, person_type), identity_id)
    return Change(LibraryChange.TYPE_CHANGED, person, person_type.value)


async def _delete_person(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SophonConfigEntry,
    data: Mapping[str, Any],
) -> Change:
    """Delete a person and their faces (read first: the logbook names who was deleted)."""
    identity_id = data[ATTR_IDENTITY_ID]
    client = entry.runtime_data.client
    person = await _ask(entry, client.async_get_person(identity_id), identity_id)
    await _ask(entry, client.async_delete_person(identity_id), identity_id)
    return Change(LibraryChange.DELETED, person)


async def _ask[T](entry: SophonConfigEntry, call: Awaitable[T], identity_id: str | None) -> T:
    """Await a library call; raise the box's refusal or failure as a translated error."""
    try:
        return await call
    except SophonError as err:
        raise library_error(entry, err, identity_id) from err
