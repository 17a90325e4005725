"""Speak generation 2.0's face library: POST /sophon/v2/face/<verb> with JSON (api section 3).

createidentity, getidentity, getidentities (paged), updateidentity (also the indexes' spelling
updateidenity; every field is overwritten, omitted ones reset to their defaults),
deleteidentities, addface and deleteface; the registered photo is getregisterimage/<id>
(generation_v2). Errors are {"error": {"code", "message"}} with the symbolic codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .envelope_v2 import error_answer, json_answer, read_json
from .library import DEFAULT_NAME, Entry, LibraryError, decode_base64, new_identity_id
from .roster import PersonType

if TYPE_CHECKING:
    from collections.abc import Callable

    from .faults import Faults
    from .generation import BoxState, RestAnswer, RestRequest
    from .library import Library

PREFIX = "/sophon/v2/face/"
UPDATE_PATHS = ("updateidentity", "updateidenity")
USER_TYPES = {person_type.name.lower(): person_type for person_type in PersonType}
DEFAULT_PAGE_LIMIT = 10

type Handler = Callable[[dict[str, Any], "Library", "Faults"], dict[str, Any]]


def identity(entry: Entry) -> dict[str, Any]:
    """Describe a person as getidentity does."""
    return {
        "identity_id": entry.identity_id,
        "identity_name": entry.name,
        "user_type": entry.person_type.name.lower(),
        "permission_ids": entry.permission_ids,
        "ext_user_info": dict(entry.ext),
        "face_ids": [face.face_id for face in entry.faces],
        "register_image_ids": [face.image_id for face in entry.faces],
    }


def _faces(entry: Entry) -> dict[str, Any]:
    """Describe a person's faces as addface and deleteface do."""
    return {
        "identity_id": entry.identity_id,
        "total_face_cnt": len(entry.faces),
        "face_ids": [face.face_id for face in entry.faces],
        "register_image_ids": [face.image_id for face in entry.faces],
    }


def _text(body: dict[str, Any], key: str, default: str) -> str:
    """Return a text argument (default when absent or null), or raise INVALID_ARGUMENTS."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise LibraryError("INVALID_ARGUMENTS", key)
    return value


def _fields(body: dict[str, Any]) -> tuple[str, PersonType, list[str], dict[str, Any]]:
    """Return name, person type, permission ids and ext_user_info (defaults where absent)."""
    name = _text(body, "identity_name", DEFAULT_NAME)
    user_type = USER_TYPES.get(_text(body, "user_type", "employee").strip().lower())
    if user_type is None:
        raise LibraryError("INVALID_ARGUMENTS", "user_type")
    permission_ids = body.get("permission_ids", [])
    ext = body.get("ext_user_info", body.get("ext_info", {}))
    if not isinstance(permission_ids, list):
        raise LibraryError("INVALID_ARGUMENTS", "permission_ids")
    if not isinstance(ext, dict):
        raise LibraryError("INVALID_ARGUMENTS", "ext_user_info")
    return name, user_type, permission_ids, ext


def _picture(body: dict[str, Any]) -> bytes:
    """Return the picture a create or addface carries (register_image, base64)."""
    if "register_image" not in body:
        other = "register_feature" in body or "register_image_path" in body
        raise LibraryError("INVALID_ARGUMENTS" if other else "MISSING_ARGUMENTS", "register_image")
    return decode_base64(body["register_image"])


def _create(body: dict[str, Any], library: Library, faults: Faults) -> dict[str, Any]:
    """Add a person with one face (force_replace: replace one with the same id)."""
    identity_id = _text(body, "identity_id", "") or new_identity_id()
    name, person_type, permission_ids, ext = _fields(body)
    data = _picture(body)
    existing = library.get(identity_id)
    if existing is not None and body.get("force_replace") is True:
        library.delete(identity_id)
    try:
        library.check_new(identity_id, name, faults)
        face = library.read_face(data, body.get("fiqa_level", "high"), faults)
    except LibraryError:
        if existing is not None and identity_id not in library:
            library.add(existing)
        raise
    info = {"permission_ids": permission_ids}
    library.add(Entry(identity_id, name, person_type, [], info, ext, [face]))
    return {"identity_id": identity_id, "register_image_id": face.image_id, "face_id": face.face_id}


def _get(body: dict[str, Any], library: Library, _faults: Faults) -> dict[str, Any]:
    """Describe one person."""
    return identity(library.require(body.get("identity_id")))


def _whole(body: dict[str, Any], key: str, default: int, minimum: int) -> int:
    """Return a whole-number argument of at least minimum, or raise INVALID_ARGUMENTS."""
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise LibraryError("INVALID_ARGUMENTS", key)
    return value


def _matches(entry: Entry, filters: dict[str, Any]) -> bool:
    """Tell whether a person answers getidentities' filters (the name is fuzzy)."""
    if filters.get("identity_id") and entry.identity_id != filters["identity_id"]:
        return False
    if filters.get("identity_name") and str(filters["identity_name"]) not in entry.name:
        return False
    wanted = filters.get("permission_id_list")
    return not wanted or bool(set(wanted) & set(entry.permission_ids))


def _list(body: dict[str, Any], library: Library, faults: Faults) -> dict[str, Any]:
    """Give one page of the people that answer the filters, oldest first."""
    filters = body.get("filters") or {}
    if not isinstance(filters, dict):
        raise LibraryError("INVALID_ARGUMENTS", "filters")
    limit = _whole(body, "page_limit", DEFAULT_PAGE_LIMIT, 1)
    index = 0 if faults.library_ignore_paging else _whole(body, "page_index", 0, 0)
    if faults.library_page_cap > 0:
        limit = min(limit, faults.library_page_cap)
    people = library.people()
    if filters:
        people = [entry for entry in people if _matches(entry, filters)]
    page = people[index * limit : (index + 1) * limit]
    pagination = {"page_index": index, "page_limit": limit, "total_count": len(people)}
    return {"identities": [identity(entry) for entry in page], "pagination": pagination}


def _update(body: dict[str, Any], library: Library, _faults: Faults) -> dict[str, Any]:
    """Overwrite every field of a person; those not sent take their defaults."""
    entry = library.require(body.get("identity_id"))
    name, person_type, permission_ids, ext = _fields(body)
    library.check_name(name, entry.identity_id)
    entry.name, entry.person_type, entry.ext = name, person_type, ext
    entry.info = {**entry.info, "permission_ids": permission_ids}
    library.changed(entry)
    return identity(entry)


def _delete(body: dict[str, Any], library: Library, _faults: Faults) -> dict[str, Any]:
    """Delete people by id: those deleted and those not found."""
    ids = body.get("identity_ids")
    if ids is None:
        raise LibraryError("MISSING_ARGUMENTS", "identity_ids")
    if not isinstance(ids, list):
        raise LibraryError("INVALID_ARGUMENTS", "identity_ids")
    done, failed = [], []
    for identity_id in ids:
        if isinstance(identity_id, str) and identity_id in library:
            library.delete(identity_id)
            done.append(identity_id)
        else:
            failed.append(identity_id)
    return {"success_identity_ids": done, "failed_identity_ids": failed}


def _add_face(body: dict[str, Any], library: Library, faults: Faults) -> dict[str, Any]:
    """Give a person one more face; it is last in the lists."""
    entry = library.require(body.get("identity_id"))
    face = library.read_face(_picture(body), body.get("fiqa_level", "high"), faults)
    library.add_face(entry, face)
    return _faces(entry)


def _delete_face(body: dict[str, Any], library: Library, _faults: Faults) -> dict[str, Any]:
    """Delete one face of a person, by register_image_id (first) or face_id."""
    entry = library.require(body.get("identity_id"))
    image_id, face_id = body.get("register_image_id"), body.get("face_id")
    if not image_id and not face_id:
        raise LibraryError("MISSING_ARGUMENTS", "register_image_id")
    library.delete_face(entry, image_id, face_id)
    return _faces(entry)


HANDLERS: dict[str, Handler] = {
    "createidentity": _create,
    "getidentity": _get,
    "getidentities": _list,
    "deleteidentities": _delete,
    "addface": _add_face,
    "deleteface": _delete_face,
}


def _handler(verb: str, faults: Faults) -> Handler | None:
    """Return the handler of a verb, updateidentity in the spellings the box answers."""
    if verb in UPDATE_PATHS:
        answered = UPDATE_PATHS if faults.library_update_path == "both" else ()
        return _update if verb in answered or verb == faults.library_update_path else None
    return HANDLERS.get(verb)


def answer(request: RestRequest, box: BoxState) -> RestAnswer | None:
    """Answer a face-library call, or return None when the path is none of them."""
    if box.library is None or request.method != "POST" or not request.path.startswith(PREFIX):
        return None
    handler = _handler(request.path.removeprefix(PREFIX), box.faults)
    if handler is None:
        return None
    body = read_json(request, box.faults)
    if not isinstance(body, dict):
        return body
    try:
        return json_answer(handler(body, box.library, box.faults))
    except LibraryError as err:
        return error_answer(err.code, err.message, box.faults)
