"""List the misbehaviours a simulated box can be switched into."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .health import ODD_FORMS

REST_SHAPES = ("v5", "bare_list", "data_list", "devices", "result", "alt_keys")
# The forms in which frames can give a device id other than the device list's (id_form).
ID_FORMS = ("", "hex", "upper", "padded", "nul_padded")
# How fetching a 2.0 scene photo can fail (scene_fetch): passing trouble, or "it is gone".
SCENE_FETCH_FAULTS = (
    "",
    "timeout",
    "reset",
    "status_500",
    "internal_error",
    "not_found",
    "gone_in_envelope",
    "get_refused",
)
# Frames in another encoding than UTF-8 (legacy_encoding), device lists too (rest_encoding).
FRAME_ENCODINGS = ("", "gbk_text", "gbk_binary", "gb18030_binary", "utf16_binary")
REST_ENCODINGS = ("", "gbk", "gb18030", "utf16")
# Pictures' base64 as other encoders write it (base64_variant; "rotate": each in turn).
BASE64_VARIANTS = (
    "",
    "rotate",
    "mime",
    "urlsafe",
    "unpadded",
    "leading_space",
    "jpg_uri",
    "octet_uri",
    "upper_uri",
)
# How a box turns a push client away right after its subscription (refuse_push); the close
# codes and reasons are in sophon_sim.server.REFUSAL_CLOSES.
REFUSALS = ("", "max_clients", "try_later", "no_reason", "dirty_reason")
# The order of the event-history query's answers (history_order).
HISTORY_ORDERS = ("newest_first", "oldest_first", "unordered")
# How the event-history list query fails (history_query).
HISTORY_QUERY_FAULTS = (
    "",
    "error",
    "status_500",
    "timeout",
    "reset",
    "empty_body",
    "no_events",
)
# The face library (issue 17): what an upload is refused with whatever the picture
# (library_reject); how 1.0 PUT users treats info keys it is not sent (library_put_info); what
# 1.0 skip_num counts (library_skip_num); which spelling of 2.0 updateidentity is answered
# (library_update_path); how 1.0 gives group_name (library_group_name); how 1.0 names its
# library errors (library_errors).
LIBRARY_REJECTS = ("", "no_face", "low_quality", "too_large", "decode", "full", "internal")
LIBRARY_PUT_INFO = ("replace", "keep")
LIBRARY_SKIP_NUM = ("records", "pages")
LIBRARY_UPDATE_PATHS = ("both", "updateidentity", "updateidenity")
LIBRARY_GROUP_NAMES = ("list", "string")
LIBRARY_ERRORS = ("symbolic", "message_only")
# How the box's health calls fail (health_call; health_calls names which, all when empty).
HEALTH_CALL_FAULTS = ("", "error", "status_500", "timeout", "empty_body")
# The switches that take one of a few words, and the words.
CHOICES = {
    "rest_shape": REST_SHAPES,
    "id_form": ID_FORMS,
    "scene_fetch": SCENE_FETCH_FAULTS,
    "legacy_encoding": FRAME_ENCODINGS,
    "rest_encoding": REST_ENCODINGS,
    "base64_variant": BASE64_VARIANTS,
    "refuse_push": REFUSALS,
    "history_order": HISTORY_ORDERS,
    "history_query": HISTORY_QUERY_FAULTS,
    "library_reject": LIBRARY_REJECTS,
    "library_put_info": LIBRARY_PUT_INFO,
    "library_skip_num": LIBRARY_SKIP_NUM,
    "library_update_path": LIBRARY_UPDATE_PATHS,
    "library_group_name": LIBRARY_GROUP_NAMES,
    "library_errors": LIBRARY_ERRORS,
    "health_call": HEALTH_CALL_FAULTS,
    "health_odd": ODD_FORMS,
}
# What a choice switch named without a value means (the others: off).
BARE_CHOICES = {
    "base64_variant": "rotate",
    "refuse_push": "max_clients",
    "history_query": "error",
    "health_call": "error",
}


@dataclass
class Faults:
    """Hold every fault switch; all are off by default and may be flipped at any time."""

    # Device list (REST).
    rest_shape: str = "v5"
    rest_status: int | None = None
    rest_garbage: bool = False
    rest_no_ids: bool = False
    rest_delay: float = 0.0
    # Device list, 2.0 only: the {"error": {...}} envelope; error codes typed int (e.g. 1001).
    init_error: bool = False
    error_code_int: bool = False
    # System port: answer 500 to everything; or answer no serial number (404); or no box time
    # (404, as older firmware does).
    version_down: bool = False
    no_serial: bool = False
    no_time: bool = False
    # Frames name each device in another form than the device list: "hex" (no dashes), "upper"
    # (upper case), "padded" (surrounded by spaces), "nul_padded" (NULs after it, as C writers do).
    id_form: str = ""
    # 2.0 scene photo fetches (getevent, getspotimage) fail: "timeout" (no answer for 10 s),
    # "reset" (connection closed), "status_500", "internal_error" (INTERNAL_ERROR envelope),
    # "not_found" (ID_NOT_FOUND: the box no longer has it), "gone_in_envelope" (getspotimage
    # answers HTTP 200 with ID_NOT_FOUND), "get_refused" (getspotimage answers GET with 405 and
    # serves the photo to POST, as the vendor's indexes say).
    scene_fetch: str = ""
    # Event content.
    numbers_as_strings: bool = False
    device_type_int: bool = False
    omit_person_type: bool = False
    person_type_out_of_range: bool = False
    timestamp_seconds: bool = False
    null_fields: bool = False
    wrong_types: bool = False
    extension_top_level: bool = False
    unknown_fields: bool = False
    unknown_device: bool = False
    bad_base64: bool = False
    non_jpeg_image: bool = False
    greeter_mode: bool = False
    drop_event_id: bool = False
    huge_frame_bytes: int = 0
    # Event content, 2.0 only (protocol-v2.md section 4).
    v1_leftovers: bool = False
    bare_base64_images: bool = False
    empty_images: bool = False
    png_data_uri: bool = False
    user_type_case: bool = False
    user_type_unknown: bool = False
    score_out_of_range: bool = False
    null_attributes: bool = False
    no_attributes: bool = False
    # Field input (sophon_sim.oddities), rotating through several forms per switch. Text:
    # names with controls, padding, BOM, bidi marks, NFD (dirty_text); a 300-code-point emoji
    # name (long_names). Values: NaN, Infinity, -Infinity scores (nan_score); scores on the
    # wrong scale (score_scale_wrong); a clock clock_offset s off (events and the box time
    # call), or a bad one (bad_clock); event times in the box's local wall time sent as UTC,
    # -timezone h off, while the box time call stays right (events_local_time).
    dirty_text: bool = False
    long_names: bool = False
    nan_score: bool = False
    score_scale_wrong: bool = False
    clock_offset: float = 0.0
    bad_clock: bool = False
    events_local_time: bool = False
    base64_variant: str = ""
    # Framing of frames and REST answers: a UTF-8 BOM, trailing NULs, another encoding.
    bom: bool = False
    nul_padding: bool = False
    legacy_encoding: str = ""
    rest_encoding: str = ""
    # Framing and connection.
    binary_frames: bool = False
    invalid_json_every: int = 0
    silent: bool = False
    # Over hours and days (issue 13). no_pong: pings go unanswered, yet events are pushed and
    # the close handshake is answered (silent does neither). stale: a stuck process: pings are
    # answered, the connection stays open, nothing is pushed. forget_after: s after a
    # connection's subscription the box forgets it: no more events (pings answered, the
    # connection stays open) until a new subscription; 0: never. refuse_push: right after a
    # subscription the box closes that connection: "max_clients" (1008 "max clients"),
    # "try_later" (1013 "try again later"), "no_reason" (4000, no reason), "dirty_reason" (1008,
    # a reason with an ANSI escape, a NUL and a line break). newest_client_only: a
    # subscription makes the box close every older subscribed connection (1008 "replaced by
    # a newer client").
    no_pong: bool = False
    stale: bool = False
    forget_after: float = 0.0
    refuse_push: str = ""
    newest_client_only: bool = False
    # The event history (1.0 GET /SophonFace/api/events, 2.0 POST getevents), where the vendor
    # leaves choices open. history_order: "newest_first", "oldest_first" or "unordered" (a fixed
    # scramble, the same on every page). history_page_cap: the most events a page gives whatever
    # was asked, the pagination then telling that size (0: as asked). history_filter_ms:
    # datetime_gte/lte are read as ms (the 2.0 table) instead of s. history_answer_ms: each
    # event's timestamp is given as int ms instead of float s (the image calls then take it).
    # history_query: the list query fails: "error" (the generation's error envelope: 2.0
    # INTERNAL_ERROR with HTTP 200, 1.0 code 500 "INTERNAL" with HTTP 500), "status_500" (an HTML
    # page), "timeout" (no answer for 10 s), "reset" (connection closed), "empty_body" (HTTP 200,
    # nothing in it), "no_events" (a well-formed answer without events, total_count 0).
    history_order: str = "newest_first"
    history_page_cap: int = 0
    history_filter_ms: bool = False
    history_answer_ms: bool = False
    history_query: str = ""
    # The face library (1.0 /SophonFogSys/api/users and groups, 2.0 identities), where the
    # vendor leaves choices open. library_reject: every picture uploaded is refused: "no_face"
    # (NO_FACE_ERROR), "low_quality" (LOW_QUALITY_ERROR naming headpose and clarity), then
    # "too_large", "decode" (IMAGE_SIZE_TOO_LARGE_ERROR, IMAGE_DECODE_ERROR), also "full"
    # (GROUP_LEN_ERROR on adding a person), "internal" (INTERNAL_ERROR). library_put_info: 1.0 PUT
    # users "replace"s info with what it is sent (name "" and type 1 when not sent,
    # permission_ids ["0"]) or "keep"s the keys not sent. library_skip_num: 1.0 skip_num counts
    # "records" or "pages". library_update_path: 2.0 answers "both" spellings of updateidentity,
    # or only the one named (the other is a 404). library_group_name: 1.0 gives a person's
    # group_name as a "list" or a comma-separated "string". library_reg_photo: 1.0 lists carry
    # each person's photo as base64 in reg_photo (instead of ""). library_page_cap: the most
    # people a page gives whatever was asked (0: as asked). library_ignore_paging: every page is
    # the first, whatever page_index (2.0) or skip_num (1.0) asks. library_errors: 1.0 errors
    # name their kind in status ("symbolic": the 2.0 codes, e.g. NO_FACE_ERROR) or in words only
    # ("message_only": status INVALID_ARGUMENT, NOT_FOUND or INTERNAL).
    library_reject: str = ""
    library_put_info: str = "replace"
    library_skip_num: str = "records"
    library_update_path: str = "both"
    library_group_name: str = "list"
    library_reg_photo: bool = False
    library_page_cap: int = 0
    library_ignore_paging: bool = False
    library_errors: str = "symbolic"
    # The box's health (sophon_sim.health). health_call: the health calls named in
    # health_calls (comma-separated: cpu, temperature, memory, storage, external_disk, uptime,
    # picture_store; all when empty) fail: "error" (the generation's error envelope),
    # "status_500" (an HTML page), "timeout" (no answer for 10 s), "empty_body". health_odd:
    # every health value comes in one odd form (sophon_sim.health.ODD_FORMS).
    # no_external_disk: no external disk is mounted. picture_store_down: the picture store
    # says it cannot be written (available false). hdd_storage_refused: 2.0 getstorage refuses
    # {"device": "hdd"} (INVALID_ARGUMENTS); the hard disk is then on getexternaldisk only.
    health_call: str = ""
    health_calls: str = ""
    health_odd: str = ""
    no_external_disk: bool = False
    picture_store_down: bool = False
    hdd_storage_refused: bool = False

    def reset(self) -> None:
        """Switch every fault off again."""
        for item in fields(self):
            setattr(self, item.name, getattr(Faults, item.name))

    def set(self, name: str, value: str | None = None) -> None:
        """Set one switch from text (as given on the command line)."""
        if name not in {item.name for item in fields(self)}:
            raise ValueError(f"unknown fault {name!r}")
        current = getattr(Faults, name)
        if name in CHOICES:
            value = BARE_CHOICES.get(name, "") if value is None else value
            if value not in CHOICES[name]:
                raise ValueError(f"{name} must be one of {', '.join(filter(None, CHOICES[name]))}")
            setattr(self, name, value)
        elif isinstance(current, bool):
            setattr(self, name, value is None or value.lower() in ("1", "true", "yes", "on"))
        elif isinstance(current, float):
            setattr(self, name, float(value or 0))
        else:
            setattr(self, name, int(value) if value else None if name == "rest_status" else 0)
