"""Generation 1.0's event history: events pages, their events, and the pictures kept for them.

api section 1 (1.0): GET /SophonFace/api/events?per_page&page&datetime_gte&... answers
{data: [...], pagination: {num_pages, page, per_page, total_count}}; section 2 (1.0): the face
crop and the scene photo by image id from event_images/<id>?datetime=<the event's timestamp>,
the registered photo from images/<id>. How a GET carries a list (`streams`: device ids) is not
documented, so the devices are filtered on this side only.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .coerce import as_dict, as_id, as_identity, as_str, as_text, describe
from .exceptions import (
    FrameRejectedError,
    SophonNotFoundError,
    SophonNotSupportedError,
    SophonResponseError,
)
from .generation_v1 import identity_info_of, person_type_of
from .generation_v2 import face_attributes
from .models import HistoryPage, PersonType, RecognitionEvent
from .plausibility import checked_score_either_scale, past_event_time

if TYPE_CHECKING:
    from .generation import Rest
    from .models import HistoryPageRequest
    from .pictures import BoxPictures, PictureOnRequest

NAME = "1.0"
EVENTS_PATH = "/SophonFace/api/events"
EVENT_IMAGE_PATH = "/SophonFace/api/event_images/{}"
IMAGE_PATH = "/SophonFace/api/images/{}"
# The 1.0 person type codes (api section 1), for the userType filter.
PERSON_TYPE_CODES = {
    PersonType.EMPLOYEE: 1,
    PersonType.VISITOR: 2,
    PersonType.BLACKLIST: 3,
    PersonType.STRANGER: 4,
    PersonType.VIP: 5,
}


async def fetch_history_page(rest: Rest, request: HistoryPageRequest) -> HistoryPage:
    """Ask GET events for one page (the box's filters: time, identity, person type)."""
    query = request.query
    start, end = request.time_filters()
    params = {"per_page": str(request.per_page), "page": str(request.page)}
    params["datetime_gte"] = str(start)
    if end is not None:
        params["datetime_lte"] = str(end)
    if query.identity_id is not None:
        params["identity_id"] = query.identity_id
    if query.person_type in PERSON_TYPE_CODES:
        params["userType"] = str(PERSON_TYPE_CODES[query.person_type])
    answer = _checked(await rest("GET", EVENTS_PATH, params=params))
    return HistoryPage.of(answer, "data", "per_page")


def parse_history_item(item: Any, rest: Rest, box: BoxPictures) -> RecognitionEvent:
    """Parse one events item (api section 1, 1.0); FrameRejectedError without device or time.

    Its time is the box's, unchecked (a past event is not judged against its receipt); its
    pictures are fetched from the box when first asked for.
    """
    if not isinstance(item, dict):
        raise FrameRejectedError("not_an_object", describe(item))
    common = as_dict(item.get("common")) or {}
    endpoint = as_dict(common.get("ep_info")) or {}
    device_id = as_id(endpoint.get("device_id"))
    if not device_id:
        raise FrameRejectedError("no_device_id", describe(item))
    stamp = item.get("timestamp")
    moment = past_event_time(stamp)
    problems: list[str] = []
    identity_id = as_identity(common.get("identity_id"), problems)
    person_type, code = person_type_of(common.get("person_type"), identity_id, problems)
    score, score_raw = checked_score_either_scale(common.get("score"), problems)
    info = identity_info_of(common.get("identity_info"), problems)
    return RecognitionEvent(
        device_id=device_id,
        timestamp=moment,
        box_time=moment,
        identity_id=identity_id,
        identity_name=as_text(common.get("identity_name"), "identity_name", problems) or "",
        identity_info=info,
        person_type=person_type,
        person_type_code=code,
        score=score,
        score_raw=score_raw,
        group_name=as_text(common.get("group_name"), "group_name", problems),
        # The query's endpoint types (photo, rtsp, card) are not the push's device types.
        device_type_raw=as_text(endpoint.get("ep_type"), "device_type_raw", problems),
        device_ip=as_text(endpoint.get("ep_ip"), "device_ip", problems) or None,
        event_id=as_str(item.get("_id")),
        face_attributes=face_attributes(common.get("recognize_face_attr"), problems),
        face_image=_kept(common.get("recognize_face_pic_id"), as_str(stamp), rest, box),
        scene_on_request=_kept(common.get("spot_pic_id"), as_str(stamp), rest, box),
        registered_image=_registered(info.get("image_id"), rest, box),
        problems=tuple(problems),
    )


def _kept(raw_id: Any, stamp: str | None, rest: Rest, box: BoxPictures) -> PictureOnRequest | None:
    """Return a face crop or scene photo to fetch from event_images, if the event names one."""
    image_id = as_str(raw_id)
    if not image_id or stamp is None:
        return None
    path, params = EVENT_IMAGE_PATH.format(image_id), {"datetime": stamp}
    return box.on_request(image_id, lambda: _fetch_image(rest, path, params, image_id))


def _registered(raw_id: Any, rest: Rest, box: BoxPictures) -> PictureOnRequest | None:
    """Return the registered photo to fetch from images/<id>, if the event names one."""
    image_id = as_str(raw_id)
    if not image_id:
        return None
    return box.on_request(image_id, lambda: fetch_registered_photo(rest, image_id))


async def fetch_registered_photo(rest: Rest, image_id: str) -> bytes:
    """Fetch a registered (library) photo by id from images/<id> (api section 2, 1.0).

    JPEG bytes; SophonNotFoundError when the box has it no longer.
    """
    return await _fetch_image(rest, IMAGE_PATH.format(image_id), None, image_id)


async def _fetch_image(
    rest: Rest, path: str, params: dict[str, str] | None, image_id: str
) -> bytes:
    """Fetch a kept picture: JPEG bytes; SophonNotFoundError when the box has it no longer."""
    try:
        answer = await rest("GET", path, params=params, raw=True)
    except SophonNotSupportedError as err:
        if err.status == HTTPStatus.NOT_FOUND:
            raise SophonNotFoundError(f"picture {image_id} is gone") from err
        raise
    if isinstance(answer, bytes):
        return answer
    _checked(answer)
    raise SophonResponseError(f"picture {image_id} is no JPEG: {describe(answer)}")


def _checked(answer: Any) -> dict[str, Any]:
    """Return an answer object, or raise for the 1.0 error envelope (api section 0)."""
    if not isinstance(answer, dict):
        raise SophonResponseError(f"expected an object, got {describe(answer)}")
    error = answer.get("error")
    if isinstance(error, dict):
        code, status = as_str(error.get("code")) or "?", as_str(error.get("status")) or ""
        message = describe(as_str(error.get("message")) or "")
        if code == "404" or status.upper() == "NOT_FOUND":
            raise SophonNotFoundError(f"the box answered {code} {status}: {message}")
        raise SophonResponseError(f"the box answered error {code} {status}: {message}")
    return answer
