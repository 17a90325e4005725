"""List the misbehaviours a simulated box can be switched into."""

from __future__ import annotations

from dataclasses import dataclass, fields

REST_SHAPES = ("v5", "bare_list", "data_list", "devices", "result", "alt_keys")


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
    # Firmware version port: answer 500.
    version_down: bool = False
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
    # Framing and connection.
    binary_frames: bool = False
    invalid_json_every: int = 0
    silent: bool = False

    def reset(self) -> None:
        """Switch every fault off again."""
        for item in fields(self):
            setattr(self, item.name, getattr(Faults, item.name))

    def set(self, name: str, value: str | None = None) -> None:
        """Set one switch from text (as given on the command line)."""
        if name not in {item.name for item in fields(self)}:
            raise ValueError(f"unknown fault {name!r}")
        current = getattr(Faults, name)
        if name == "rest_shape":
            if value not in REST_SHAPES:
                raise ValueError(f"rest_shape must be one of {', '.join(REST_SHAPES)}")
            self.rest_shape = value
        elif isinstance(current, bool):
            setattr(self, name, value is None or value.lower() in ("1", "true", "yes", "on"))
        elif name == "rest_delay":
            self.rest_delay = float(value or 0)
        else:
            setattr(self, name, int(value) if value else None if name == "rest_status" else 0)
