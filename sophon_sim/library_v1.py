"""Speak generation 1.0's face library: /SophonFogSys/api/users and /groups (api section 3).

users: GET ?identity_id= or ?group_name=&skip_num=&limit= ({"data": {"identities_list": [...]}},
no total), POST (a person with info {name, type 1..5, ...}, group_name and reg_photo base64;
ignore_exist adds a face to one already there, support_single_face replaces the faces), PUT
(info and an optional reg_photo that adds a face) and DELETE with a JSON body ({identity_id} or
{identity_ids}). groups: GET (paged, with pagination), POST, DELETE. Errors are the 1.0 envelope
{"error": {"code": <HTTP status>, "message", "status"}}; the pages list no codes, so status
carries the 2.0 code's name (NO_FACE_ERROR, ...) unless library_errors is "message_only". What
the pages leave open is switchable (faults.py: library_put_info, library_skip_num, ...).
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from .generation import RestAnswer
from .library import Entry, LibraryError, decode_base64
from .roster import PersonType

if TYPE_CHECKING:
    from collections.abc import Callable

    from .faults import Faults
    from .generation import BoxState, RestRequest
    from .library import Library

USERS_PATH = "/SophonFogSys/api/users"
GROUPS_PATH = "/SophonFogSys/api/groups"
DEFAULT_LIMIT = 10
STATUSES = {"ID_NOT_FOUND": 404, "INTERNAL_ERROR": 500}
GENERIC = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 500: "INTERNAL"}
ARGUMENT_CODES = frozenset({"MISSING_ARGUMENTS", "INVALID_ARGUMENTS"})

type Handler = Callable[[RestRequest, "Library", "Faults"], dict[str, Any]]


def _error(err: LibraryError, faults: Faults) -> RestAnswer:
    """Answer a refusal in the 1.0 envelope, its code also the HTTP status."""
    code = STATUSES.get(err.code, 400)
    message = f"invalid argument: {err.message}" if err.code in ARGUMENT_CODES else err.message
    symbolic = faults.library_errors == "symbolic"
    status = err.code if symbolic else GENERIC[code]
    body = {"error": {"code": code, "message": message, "status": status}}
    return RestAnswer(code, json.dumps(body, ensure_ascii=False))


def _body(request: RestRequest) -> dict[str, Any]:
    """Return the JSON object a request carries."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as err:
        raise LibraryError("INVALID_ARGUMENTS", "the body must be JSON") from err
    if not isinstance(body, dict):
        raise LibraryError("INVALID_ARGUMENTS", "the body must be a JSON object")
    return body


def _count(text: str | None, key: str, default: int) -> int:
    """Return a whole-number query parameter (text), or raise INVALID_ARGUMENTS."""
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as err:
        raise LibraryError("INVALID_ARGUMENTS", key) from err
    if value < 0:
        raise LibraryError("INVALID_ARGUMENTS", key)
    return value


def _window(request: RestRequest, faults: Faults, page_cap: int = 0) -> tuple[int, int]:
    """Return the (start, limit) of the records skip_num and limit ask for."""
    skip = (
        0 if faults.library_ignore_paging else _count(request.query.get("skip_num"), "skip_num", 0)
    )
    limit = _count(request.query.get("limit"), "limit", DEFAULT_LIMIT)
    if page_cap > 0:
        limit = min(limit, page_cap)
    return (skip * limit if faults.library_skip_num == "pages" else skip), limit


def _person_type(info: dict[str, Any], default: PersonType | None) -> PersonType:
    """Return info's type (an int 1..5; default when absent), or raise INVALID_ARGUMENTS."""
    value = info.get("type")
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value not in set(PersonType):
        raise LibraryError("INVALID_ARGUMENTS", "info.type")
    return PersonType(value)


def _groups(value: Any, library: Library) -> list[str]:
    """Return the face-library groups group_name names (commas between), each one known."""
    if value is None or value == "":
        raise LibraryError("MISSING_ARGUMENTS", "group_name")
    if not isinstance(value, str):
        raise LibraryError("INVALID_ARGUMENTS", "group_name")
    groups = [name.strip() for name in value.split(",") if name.strip()]
    for name in groups:
        if name not in library.groups:
            raise LibraryError("ID_NOT_FOUND", f"group_name {name} not found")
    return groups


def _group_name(entry: Entry, faults: Faults) -> list[str] | str:
    """Return a person's groups as the box gives them: a list, or text with commas."""
    return ",".join(entry.groups) if faults.library_group_name == "string" else list(entry.groups)


def _item(entry: Entry, library: Library, faults: Faults) -> dict[str, Any]:
    """Describe a person as GET users does."""
    photo = library.photo(entry.image_id) if faults.library_reg_photo else None
    return {
        "identity_id": entry.identity_id,
        "reg_photo": "" if photo is None else base64.b64encode(photo).decode("ascii"),
        "group_name": _group_name(entry, faults),
        "info": entry.v1_info(),
    }


def _get_users(request: RestRequest, library: Library, faults: Faults) -> dict[str, Any]:
    """List one person (identity_id) or a page of a group's people (group_name)."""
    identity_id, group = request.query.get("identity_id"), request.query.get("group_name")
    if identity_id:
        people = [library.require(identity_id)]
    elif group:
        start, limit = _window(request, faults, faults.library_page_cap)
        people = library.in_group(_groups(group, library)[0])[start : start + limit]
    else:
        raise LibraryError("MISSING_ARGUMENTS", "identity_id or group_name")
    return {"identities_list": [_item(entry, library, faults) for entry in people]}


def _info(body: dict[str, Any]) -> dict[str, Any]:
    """Return the info object a request carries."""
    info = body.get("info")
    if info is None:
        raise LibraryError("MISSING_ARGUMENTS", "info")
    if not isinstance(info, dict):
        raise LibraryError("INVALID_ARGUMENTS", "info")
    return info


def _name(info: dict[str, Any], default: str | None) -> str:
    """Return info's name (default when absent), or raise."""
    name = info.get("name", default)
    if name is None:
        raise LibraryError("MISSING_ARGUMENTS", "info.name")
    if not isinstance(name, str):
        raise LibraryError("INVALID_ARGUMENTS", "info.name")
    return name


def _extras(info: dict[str, Any]) -> dict[str, Any]:
    """Return the info keys kept beside name and type."""
    return {key: value for key, value in info.items() if key not in ("name", "type")}


def _post_users(request: RestRequest, library: Library, faults: Faults) -> dict[str, Any]:
    """Add a person (ignore_exist: update one already there and add the face)."""
    body = _body(request)
    identity_id = body.get("identity_id")
    if not isinstance(identity_id, str) or not identity_id:
        raise LibraryError("MISSING_ARGUMENTS" if not identity_id else "INVALID_ARGUMENTS", "id")
    info, groups = _info(body), _groups(body.get("group_name"), library)
    name, person_type = _name(info, None), _person_type(info, PersonType.EMPLOYEE)
    if body.get("import_mode") is True:
        raise LibraryError("INVALID_ARGUMENTS", "import_mode (features) is not supported")
    existing = library.get(identity_id) if body.get("ignore_exist") is True else None
    if existing is None:
        library.check_new(identity_id, name, faults)
    else:
        library.check_name(name, identity_id)
    face = None
    if body.get("need_bring_pic", True) is not False:
        if "reg_photo" not in body:
            raise LibraryError("MISSING_ARGUMENTS", "reg_photo")
        face = library.read_face(decode_base64(body["reg_photo"]), body.get("fiqa_level"), faults)
    if existing is None:
        entry = library.add(Entry(identity_id, name, person_type, groups, _extras(info), {}, []))
    else:
        entry = existing
        entry.name, entry.person_type = name, person_type
        entry.info = {**entry.info, **_extras(info)}
        entry.groups += [group for group in groups if group not in entry.groups]
        library.changed(entry)
    if face is not None:
        library.add_face(entry, face, only=body.get("support_single_face") is True)
    return {
        "identity_id": identity_id,
        "reg_photo": body.get("reg_photo", ""),
        "group_name": list(entry.groups),
        "info": entry.v1_info(),
    }


def _put_users(request: RestRequest, library: Library, faults: Faults) -> dict[str, Any]:
    """Change a person's info (as library_put_info says) and add the face reg_photo carries."""
    body = _body(request)
    entry, info = library.require(body.get("identity_id")), _info(body)
    keep = faults.library_put_info == "keep"
    name = _name(info, entry.name if keep else "")
    person_type = _person_type(info, entry.person_type if keep else PersonType.EMPLOYEE)
    library.check_name(name, entry.identity_id)
    face = None
    if body.get("reg_photo"):
        face = library.read_face(decode_base64(body["reg_photo"]), body.get("fiqa_level"), faults)
    extras = _extras(info)
    entry.name, entry.person_type = name, person_type
    entry.info = {**entry.info, **extras} if keep else {"permission_ids": ["0"], **extras}
    library.changed(entry)
    if face is not None:
        library.add_face(entry, face)
    return {
        "identity_id": entry.identity_id,
        "image_id": entry.image_id,
        "group_name": list(entry.groups),
        "info": entry.v1_info(),
    }


def _delete_users(request: RestRequest, library: Library, _faults: Faults) -> dict[str, Any]:
    """Delete one person ({identity_id}) or several ({identity_ids}), with their faces."""
    body = _body(request)
    ids = body.get("identity_ids")
    if isinstance(ids, list):
        done = [i for i in ids if isinstance(i, str) and i in library]
        for identity_id in done:
            library.delete(identity_id)
        return {"identity_ids": done, "message": "delete success"}
    entry = library.delete(library.require(body.get("identity_id")).identity_id)
    return {"identity_id": entry.identity_id, "group_name": entry.groups, "message": "success"}


def _get_groups(request: RestRequest, library: Library, faults: Faults) -> dict[str, Any]:
    """List the face-library groups, paged, with a pagination block."""
    wanted = request.query.get("group_name")
    names = [name for name in library.groups if not wanted or name == wanted]
    start, limit = _window(request, faults)
    items = [
        {
            "group_id": name,
            "groupname": name,
            "name": name,
            "description": library.groups[name],
            "version": 1,
        }
        for name in names[start : start + limit]
    ]
    pages = -(-len(names) // limit) if limit else 0
    pagination = {"skip_num": start, "limit": limit, "num_pages": pages, "total_count": len(names)}
    return {"groups_list": items, "pagination": pagination}


def _post_groups(request: RestRequest, library: Library, _faults: Faults) -> dict[str, Any]:
    """Add a face-library group."""
    body = _body(request)
    name, description = body.get("group_name"), body.get("description")
    if not isinstance(name, str) or not name or "," in name:
        raise LibraryError("INVALID_ARGUMENTS", "group_name")
    if not isinstance(description, str):
        raise LibraryError("MISSING_ARGUMENTS", "description")
    if name in library.groups:
        raise LibraryError("ID_REPEAT_ERROR", f"group {name} already exist")
    library.groups[name] = description
    return {"info": {"name": name, "description": description}}


def _delete_groups(request: RestRequest, library: Library, _faults: Faults) -> dict[str, Any]:
    """Delete a group; its people are unbound (user_recursive_delete: deleted too)."""
    body = _body(request)
    name = body.get("group_name")
    if not isinstance(name, str) or name not in library.groups:
        raise LibraryError("ID_NOT_FOUND", f"group_name {name} not found")
    for entry in library.in_group(name):
        if body.get("user_recursive_delete") is True:
            library.delete(entry.identity_id)
        else:
            entry.groups.remove(name)
            library.changed(entry)
    del library.groups[name]
    return {"group_name": name, "message": "delete success"}


HANDLERS: dict[tuple[str, str], Handler] = {
    ("GET", USERS_PATH): _get_users,
    ("POST", USERS_PATH): _post_users,
    ("PUT", USERS_PATH): _put_users,
    ("DELETE", USERS_PATH): _delete_users,
    ("GET", GROUPS_PATH): _get_groups,
    ("POST", GROUPS_PATH): _post_groups,
    ("DELETE", GROUPS_PATH): _delete_groups,
}


def answer(request: RestRequest, box: BoxState) -> RestAnswer | None:
    """Answer a face-library call, or return None when the path is none of them."""
    handler = HANDLERS.get((request.method, request.path))
    if handler is None or box.library is None:
        return None
    try:
        data = handler(request, box.library, box.faults)
    except LibraryError as err:
        return _error(err, box.faults)
    return RestAnswer(200, json.dumps({"data": data}, ensure_ascii=False))
