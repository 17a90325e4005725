"""Generation 2.0's event history: getevents pages, their events, and the pictures kept for them.

api section 1 (2.0): POST /sophon/v2/face/getevents {filters, page_limit, page_index} answers
{events, pagination: {page_index, page_limit, total_count}}; section 2 (2.0): the face crop and
the scene photo by image id with getspotimage (the event's timestamp passed verbatim), the
registered photo with getregisterimage.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

from .coerce import as_dict, as_id, as_identity, as_str, as_text, describe
from .exceptions import FrameRejectedError, SophonNotSupportedError, SophonResponseError
from .generation_v2 import (
    DEVICE_TYPES,
    checked,
    face_attributes,
    fetch_spot_image,
    gone_or_failed,
    person_type_of,
)
from .models import DeviceType, HistoryPage, RecognitionEvent, canonical_device_id
from .plausibility import checked_score_either_scale, past_event_time
from .text import trim

if TYPE_CHECKING:
    from .generation import Rest
    from .models import HistoryPageRequest
    from .pictures import BoxPictures, PictureOnRequest

NAME = "2.0"
EVENTS_PATH = "/sophon/v2/face/getevents"
REGISTER_IMAGE_PATH = "/sophon/v2/face/getregisterimage/{}"


async def fetch_history_page(rest: Rest, request: HistoryPageRequest) -> HistoryPage:
    """Ask getevents for one page (the box's filters: time, devices, identity)."""
    query = request.query
    start, end = request.time_filters()
    filters: dict[str, Any] = {"datetime_gte": start}
    if end is not None:
        filters["datetime_lte"] = end
    if query.device_ids:
        filters["media_device_ids"] = id_forms(query.device_ids)
    if query.identity_id is not None:
        filters["identity_id"] = query.identity_id
    # The person type is filtered on this side only: boxes write "VIP" and "vip" (api 7.10),
    # and one that compares the letters as given would leave matches out.
    body = {"filters": filters, "page_limit": request.per_page, "page_index": request.page}
    answer = checked(await rest("POST", EVENTS_PATH, body))
    return HistoryPage.of(answer, "events", "page_limit")


def id_forms(device_ids: tuple[str, ...]) -> list[str]:
    """Return device ids in each form a box may keep them in: as given, dashed or not, any case.

    The box compares them as text, and one device's id is written otherwise in its device list,
    its pushes and its history (models.canonical_device_id); the answer is filtered again here.
    """
    forms: dict[str, None] = {}
    for device_id in device_ids:
        hex_id = canonical_device_id(device_id)
        variants = [trim(device_id), hex_id]
        with contextlib.suppress(ValueError):  # no UUID: no dashed form
            variants.append(str(uuid.UUID(hex=hex_id)))
        forms.update(dict.fromkeys([*variants, *(variant.upper() for variant in variants)]))
    return list(forms)


def parse_history_item(item: Any, rest: Rest, box: BoxPictures) -> RecognitionEvent:
    """Parse one getevents event (api section 1, 2.0); FrameRejectedError without device or time.

    Its time is the box's, unchecked (a past event is not judged against its receipt); its
    pictures are fetched from the box when first asked for.
    """
    if not isinstance(item, dict):
        raise FrameRejectedError("not_an_object", describe(item))
    device = as_dict(item.get("media_device_info")) or {}
    device_id = as_id(device.get("media_device_id")) or as_id(item.get("media_device_id"))
    if not device_id:
        raise FrameRejectedError("no_device_id", describe(item))
    stamp = item.get("timestamp")
    moment = past_event_time(stamp)
    problems: list[str] = []
    identity_id = as_identity(item.get("identity_id"), problems)
    person_type, type_raw = person_type_of(item.get("user_type"), identity_id, problems)
    score, score_raw = checked_score_either_scale(item.get("score"), problems)
    type_text = as_text(
        device.get("media_device_type") or item.get("media_device_type"), "device_type", problems
    )
    ip = device.get("media_device_ip") or item.get("media_device_ip")
    return RecognitionEvent(
        device_id=device_id,
        timestamp=moment,
        box_time=moment,
        identity_id=identity_id,
        identity_name=as_text(item.get("identity_name"), "identity_name", problems) or "",
        person_type=person_type,
        person_type_raw=type_raw,
        score=score,
        score_raw=score_raw,
        device_type=DEVICE_TYPES.get((type_text or "").lower(), DeviceType.UNKNOWN),
        device_type_raw=type_text,
        device_ip=as_text(ip, "device_ip", problems) or None,
        event_id=as_str(item.get("event_id")),
        face_attributes=face_attributes(item.get("recognize_face_attr"), problems),
        face_image=_kept(item.get("recognize_face_image_id"), as_str(stamp), rest, box),
        scene_on_request=_kept(item.get("spot_image_id"), as_str(stamp), rest, box),
        registered_image=_registered(item.get("register_image_id"), rest, box),
        problems=tuple(problems),
    )


def _kept(raw_id: Any, stamp: str | None, rest: Rest, box: BoxPictures) -> PictureOnRequest | None:
    """Return a face crop or scene photo to fetch with getspotimage, if the event names one."""
    image_id = as_str(raw_id)
    if not image_id or stamp is None:
        return None
    return box.on_request(image_id, lambda: fetch_spot_image(rest, image_id, stamp))


def _registered(raw_id: Any, rest: Rest, box: BoxPictures) -> PictureOnRequest | None:
    """Return the registered photo to fetch with getregisterimage, if the event names one."""
    image_id = as_str(raw_id)
    if not image_id:
        return None
    return box.on_request(image_id, lambda: fetch_registered_photo(rest, image_id))


async def fetch_registered_photo(rest: Rest, image_id: str) -> bytes:
    """Fetch a registered (library) photo by id with getregisterimage (api section 2, 2.0).

    JPEG bytes; SophonNotFoundError when the box has it no longer, else the box's error.
    """
    path = REGISTER_IMAGE_PATH.format(image_id)
    try:
        answer = await rest("GET", path, raw=True)
    except SophonNotSupportedError as err:
        raise gone_or_failed(err, f"registered photo {image_id}") from err
    if isinstance(answer, bytes):
        return answer
    checked(answer)
    raise SophonResponseError(f"registered photo {image_id} is no JPEG: {describe(answer)}")
