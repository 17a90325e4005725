"""Actions that change a box's face library: register a person, add a face, change a type, delete.

The box decides who passes its gates and doors, so each action is for administrators only (a
call without a user, an automation's, is allowed) and each change is written to the logbook
with the user who made it (a sophon_library_changed event: names and ids, never a photo).
A picture is a recognition's face (by its event id: held in memory for a while, else found in
the box's history) or an image or camera entity's current picture; it is scaled down and
re-encoded (prepare_picture, in an executor) before it is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import timedelta
from typing import Any, Final

from homeassistant.auth.models import User
from homeassistant.auth.permissions.const import POLICY_CONTROL
from homeassistant.components import camera
from homeassistant.components.image.const import DATA_COMPONENT as IMAGE_COMPONENT
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import (
    HomeAssistantError,
    ServiceValidationError,
    Unauthorized,
    UnknownUser,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .api import (
    HistoryQuery,
    LibraryPerson,
    NewPerson,
    PersonType,
    SophonDuplicateError,
    SophonError,
    SophonLibraryError,
    SophonLibraryFullError,
    SophonLowQualityError,
    SophonNoFaceError,
    SophonPersonNotFoundError,
    SophonPictureTooLargeError,
    SophonPictureUnreadableError,
    prepare_picture,
)
from .box_memory import loaded_entry_or_raise, translated
from .compat import vol
from .const import DOMAIN, EVENT_LIBRARY_CHANGED
from .coordinator import SophonConfigEntry
from .pictures import ImageKind, recent_pictures

SERVICE_REGISTER_PERSON: Final = "register_person"
SERVICE_ADD_FACE: Final = "add_face"
SERVICE_SET_PERSON_TYPE: Final = "set_person_type"
SERVICE_DELETE_PERSON: Final = "delete_person"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_IDENTITY_ID: Final = "identity_id"
ATTR_NAME: Final = "name"
ATTR_PERSON_TYPE: Final = "person_type"
ATTR_EVENT_ID: Final = "event_id"
ATTR_PICTURE_ENTITY_ID: Final = "picture_entity_id"
ATTR_GROUP: Final = "group"
# The types a person can be given (a stranger or unknown is no type of the library's).
SETTABLE_TYPES: Final = ["employee", "visitor", "blacklist", "vip"]
# A recognition no longer held in memory is looked for in the box's history this far back,
# among the newest HISTORY_LOOKUP_LIMIT.
HISTORY_LOOKUP: Final = timedelta(days=1)
HISTORY_LOOKUP_LIMIT: Final = 1000
PICTURE_TIMEOUT: Final = 10  # seconds an image or camera entity has to give its picture


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
    jpeg = await _picture(hass, entry, data)
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
    jpeg = await _picture(hass, entry, data)
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


# Each refusal of the box (most specific first): the error raised, its translation key.
_REFUSALS: Final[tuple[tuple[type[SophonError], type[HomeAssistantError], str], ...]] = (
    (SophonNoFaceError, ServiceValidationError, "library_no_face"),
    (SophonLowQualityError, ServiceValidationError, "library_low_quality"),
    (SophonPictureTooLargeError, ServiceValidationError, "library_picture_too_large"),
    (SophonPictureUnreadableError, ServiceValidationError, "library_picture_unreadable"),
    (SophonDuplicateError, ServiceValidationError, "library_duplicate_id"),
    (SophonLibraryFullError, HomeAssistantError, "library_full"),
    (SophonPersonNotFoundError, ServiceValidationError, "library_person_not_found"),
    (SophonLibraryError, HomeAssistantError, "library_refused"),
)


def library_error(
    entry: SophonConfigEntry, err: SophonError, identity_id: str | None = None
) -> HomeAssistantError:
    """Return the translated error of a box's refusal (or of a box that cannot be asked)."""
    placeholders = {"box": entry.title, "identity_id": identity_id or "?", "reason": str(err)}
    if isinstance(err, SophonLowQualityError):
        placeholders["checks"] = ", ".join(err.checks) or "?"
    for refusal, error, key in _REFUSALS:
        if isinstance(err, refusal):
            name_taken = isinstance(err, SophonDuplicateError) and err.field == "name"
            return translated(
                error, "library_duplicate_name" if name_taken else key, **placeholders
            )
    return translated(HomeAssistantError, "library_unavailable", **placeholders)


async def _picture(hass: HomeAssistant, entry: SophonConfigEntry, data: Mapping[str, Any]) -> bytes:
    """Return the picture the call names, as a JPEG the box's library accepts."""
    if (event_id := data.get(ATTR_EVENT_ID)) is not None:
        raw = await _recognition_face(entry, event_id)
    else:
        raw = await _entity_picture(hass, data[ATTR_PICTURE_ENTITY_ID])
    try:
        return await hass.async_add_executor_job(prepare_picture, raw)
    except SophonError as err:
        raise library_error(entry, err) from err


async def _recognition_face(entry: SophonConfigEntry, event_id: str) -> bytes:
    """Return the face crop of a recognition: held in memory, else from the box's history."""
    held = recent_pictures(entry.runtime_data.hass, entry.entry_id).of_event(
        event_id, ImageKind.FACE
    )
    if held is not None and (content := await held.picture.async_content()) is not None:
        return content
    client = entry.runtime_data.client
    now = dt_util.utcnow()
    try:
        history = await client.async_get_recognitions(
            HistoryQuery(start=now - HISTORY_LOOKUP, end=now, limit=HISTORY_LOOKUP_LIMIT)
        )
        event = next((e for e in history.recognitions if e.event_id == event_id), None)
        picture = None if event is None else event.picture(ImageKind.FACE.value)
        content = None if picture is None else await picture.async_content()
    except SophonError as err:
        raise library_error(entry, err) from err
    if content is None:
        raise translated(ServiceValidationError, "library_recognition_not_found", event_id=event_id)
    return content


async def _entity_picture(hass: HomeAssistant, entity_id: str) -> bytes:
    """Return an image or camera entity's current picture."""
    try:
        if entity_id.startswith("camera."):
            return (await camera.async_get_image(hass, entity_id, timeout=PICTURE_TIMEOUT)).content
        component = hass.data.get(IMAGE_COMPONENT)
        entity = None if component is None else component.get_entity(entity_id)
        if entity is not None:
            async with asyncio.timeout(PICTURE_TIMEOUT):
                if content := await entity.async_image():
                    return content
    except (HomeAssistantError, TimeoutError):
        pass
    raise translated(ServiceValidationError, "library_no_picture", entity_id=entity_id)
