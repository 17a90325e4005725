"""The box's face library over loopback HTTP: 1.0 users and groups, 2.0 identities, faces."""

from __future__ import annotations

import base64
import io
from http import HTTPStatus
from typing import Any

import aiohttp
import pytest
from PIL import Image

from sophon_sim import ROSTER, BoxSimulator, PersonType
from sophon_sim.imagery import read_marker_of
from tests.conftest import LOOPBACK
from tests.sim.conftest import V2

USERS = "/SophonFogSys/api/users"
GROUPS = "/SophonFogSys/api/groups"
JSON = "application/json"
TOM = next(person for person in ROSTER if person.name == "Tom")
TYPE_WORDS = {"visitor": 2, "vip": 5, "blacklist": 3, "employee": 1}


def scaled(data: bytes, factor: float = 0.5, form: str = "JPEG") -> bytes:
    """Return a picture scaled by factor and encoded again (as a client prepares an upload)."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    size = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
    out = io.BytesIO()
    image.resize(size, Image.Resampling.LANCZOS).save(out, form, quality=80)
    return out.getvalue()


def plain_photo(side: int = 200, grey: int = 128) -> bytes:
    """Return a JPEG with no face in it (a gradient)."""
    image = Image.linear_gradient("L").resize((side, side)).point(lambda v: v // 2 + grey // 2)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG")
    return out.getvalue()


class People:
    """Call a box's people API in its generation, in generation-neutral terms."""

    def __init__(self, session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
        """Call sim through session."""
        self.session, self.sim = session, sim
        self.v1 = sim.generation == "1.0"

    async def call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Send one request; return the status and the JSON answer."""
        url = f"http://{LOOPBACK}:{self.sim.rest_port}{path}"
        async with self.session.request(method, url, json=body, params=params) as response:
            if response.status == HTTPStatus.NOT_FOUND and response.content_type != JSON:
                return response.status, None
            return response.status, await response.json(content_type=None)

    async def post(self, verb: str, body: dict[str, Any]) -> Any:
        """Call a 2.0 verb; return its answer."""
        return (await self.call("POST", f"{V2}/{verb}", body))[1]

    async def create(
        self, identity_id: str, name: str, person_type: str, picture: bytes, **extra: Any
    ) -> Any:
        """Register a person with one picture; return the answer."""
        photo = base64.b64encode(picture).decode()
        if self.v1:
            info = {"name": name, "type": TYPE_WORDS[person_type]}
            body = {"identity_id": identity_id, "group_name": "visitors", "reg_photo": photo}
            return (await self.call("POST", USERS, body | {"info": info} | extra))[1]
        body = {"identity_id": identity_id, "identity_name": name, "user_type": person_type}
        return await self.post("createidentity", body | {"register_image": photo} | extra)

    async def set_type(self, identity_id: str, person_type: str) -> Any:
        """Change a person's type, sending every other field as it is (read-modify-write)."""
        if self.v1:
            info = dict(self.sim.library.get(identity_id).v1_info())  # type: ignore[union-attr]
            info["type"] = TYPE_WORDS[person_type]
            return (await self.call("PUT", USERS, {"identity_id": identity_id, "info": info}))[1]
        current = await self.post("getidentity", {"identity_id": identity_id})
        return await self.post("updateidentity", current | {"user_type": person_type})

    async def delete(self, identity_id: str) -> Any:
        """Delete a person."""
        if self.v1:
            return (await self.call("DELETE", USERS, {"identity_id": identity_id}))[1]
        return await self.post("deleteidentities", {"identity_ids": [identity_id]})

    def error_code(self, answer: Any) -> str:
        """Return the symbolic code of an error answer."""
        return str(answer["error"]["status" if self.v1 else "code"])


@pytest.fixture
def people(session: aiohttp.ClientSession, sim: BoxSimulator) -> People:
    """Return the people API of the test's box."""
    return People(session, sim)


def who(sim: BoxSimulator, frame: dict[str, Any]) -> tuple[str, str]:
    """Return a pushed frame's identity id and person type, in either generation."""
    if sim.generation == "1.0":
        return frame["identity_id"], PersonType(frame["ext_data"]["person_type"]).name.lower()
    return frame["identity_id"], frame["user_type"]


async def test_the_roster_seeds_the_library(sim: BoxSimulator) -> None:
    registered = [person for person in ROSTER if person.registered]
    assert [entry.identity_id for entry in sim.library.people()] == [
        person.identity_id for person in registered
    ]
    frame = await sim.push_event(person=TOM)
    assert frame["identity_id"] == TOM.identity_id
    assert frame["identity_name"] == "Tom"


async def test_a_registered_stranger_is_recognized_as_the_new_person(
    sim: BoxSimulator, people: People
) -> None:
    first = await sim.push_event(person_type=PersonType.STRANGER)
    assert first["identity_id"] == ""
    face = sim.images_of(first["event_id"])["face"]
    answer = await people.create("88000001", "Ringer", "visitor", scaled(face))
    assert "error" not in answer
    again = await sim.push_event(face_of=first["event_id"])
    assert who(sim, again) == ("88000001", "visitor")
    assert again["identity_name"] == "Ringer"
    same = await sim.push_event(face=scaled(face, 0.4, "PNG"))
    assert who(sim, same) == ("88000001", "visitor")


async def test_a_deleted_person_comes_back_as_a_stranger(sim: BoxSimulator, people: People) -> None:
    await people.delete(TOM.identity_id)
    assert TOM.identity_id not in sim.library
    frame = await sim.push_event(person=TOM)
    assert who(sim, frame) == ("", "stranger")
    assert read_marker_of(sim.images_of(frame["event_id"])["face"]) == sim.library.marker_of(TOM)
    assert all(person.identity_id != TOM.identity_id for person in sim.roster)


async def test_a_type_change_shows_in_the_next_recognition(
    sim: BoxSimulator, people: People
) -> None:
    answer = await people.set_type(TOM.identity_id, "blacklist")
    assert "error" not in answer
    frame = await sim.push_event(person=TOM)
    assert who(sim, frame) == (TOM.identity_id, "blacklist")
    assert frame["identity_name"] == "Tom"
    blacklisted = {p.identity_id for p in sim.roster if p.person_type is PersonType.BLACKLIST}
    assert TOM.identity_id in blacklisted


async def test_random_recognitions_come_from_the_library(sim: BoxSimulator) -> None:
    sim.library.add_generated(5)
    for person in list(sim.roster):
        if person.registered and not person.identity_id.startswith("9"):
            sim.library.delete(person.identity_id)
    frames = [await sim.push_event(person_type=PersonType.VIP) for _ in range(5)]
    assert {frame["identity_id"] for frame in frames} == {"90000002"}


async def test_the_registered_photo_is_the_picture_uploaded(
    sim: BoxSimulator, people: People
) -> None:
    face = scaled(sim._bank.face(12345).data, 0.75)
    await people.create("88000002", "Photo", "vip", face)
    entry = sim.library.get("88000002")
    assert entry is not None
    assert sim.library.photo(entry.image_id) == face
    frame = await sim.push_event(face=12345)
    assert sim.images_of(frame["event_id"])["registered"] == face


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("plain_photo", "NO_FACE_ERROR"),
        ("tiny_face", "LOW_QUALITY_ERROR"),
        ("too_many_bytes", "IMAGE_SIZE_TOO_LARGE_ERROR"),
        ("not_a_picture", "IMAGE_DECODE_ERROR"),
        ("same_id", "ID_REPEAT_ERROR"),
        ("same_name", "NAME_REPEAT_ERROR"),
        ("library_full", "GROUP_LEN_ERROR"),
    ],
)
async def test_each_refusal_has_its_code(
    sim: BoxSimulator, people: People, case: str, code: str
) -> None:
    face = sim._bank.face(777).data
    identity_id, name, picture = "88000003", "Newcomer", face
    if case == "plain_photo":
        picture = plain_photo()
    elif case == "tiny_face":
        picture = scaled(face, 0.3)
    elif case == "too_many_bytes":
        sim.library.max_picture_bytes = len(face) - 1
    elif case == "not_a_picture":
        picture = b"GIF89a not really"
    elif case == "same_id":
        identity_id = TOM.identity_id
    elif case == "same_name":
        name = "Tom"
    else:
        sim.library.capacity = len(sim.library)
    answer = await people.create(identity_id, name, "visitor", picture)
    assert people.error_code(answer) == code
    assert "88000003" not in sim.library
    if code == "LOW_QUALITY_ERROR":
        assert "face_size" in answer["error"]["message"]


@pytest.mark.parametrize(
    ("reject", "code"),
    [
        ("no_face", "NO_FACE_ERROR"),
        ("low_quality", "LOW_QUALITY_ERROR"),
        ("too_large", "IMAGE_SIZE_TOO_LARGE_ERROR"),
        ("decode", "IMAGE_DECODE_ERROR"),
        ("full", "GROUP_LEN_ERROR"),
        ("internal", "INTERNAL_ERROR"),
    ],
)
async def test_the_reject_switch_refuses_any_picture(
    sim: BoxSimulator, people: People, reject: str, code: str
) -> None:
    sim.faults.library_reject = reject
    answer = await people.create("88000004", "Anyone", "visitor", sim._bank.face(5).data)
    assert people.error_code(answer) == code
    if reject == "low_quality":
        assert "headpose" in answer["error"]["message"]
        assert "clarity" in answer["error"]["message"]


async def test_quality_checks_can_be_skipped(sim: BoxSimulator, people: People) -> None:
    small = scaled(sim._bank.face(9).data, 0.3)
    answer = await people.create("88000005", "Small", "visitor", small, fiqa_level="no")
    assert "error" not in answer
    assert "88000005" in sim.library


async def test_ten_thousand_people_list_by_pages(sim: BoxSimulator, people: People) -> None:
    sim.library.add_generated(10_000 - len(sim.library))
    assert len(sim.library) == 10_000
    if people.v1:
        params = {"group_name": "default_group", "skip_num": "9000", "limit": "100"}
        _status, answer = await people.call("GET", USERS, params=params)
        items = answer["data"]["identities_list"]
        assert len(items) == 100
        assert items[0]["info"]["name"].startswith("Person ")
    else:
        body = {"page_limit": 100, "page_index": 99}
        answer = await people.post("getidentities", body)
        assert answer["pagination"]["total_count"] == 10_000
        assert len(answer["identities"]) == 100
        assert answer["identities"][-1]["identity_name"] == "Person 09989"


# Generation 1.0


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_needs_a_known_face_library_group(sim: BoxSimulator, people: People) -> None:
    face = base64.b64encode(sim._bank.face(3).data).decode()
    body = {"identity_id": "x1", "reg_photo": face, "info": {"name": "X", "type": 1}}
    status, answer = await people.call("POST", USERS, body)
    assert (status, answer["error"]["status"]) == (400, "MISSING_ARGUMENTS")
    status, answer = await people.call("POST", USERS, body | {"group_name": "nowhere"})
    assert (status, answer["error"]["status"]) == (404, "ID_NOT_FOUND")
    _status, answer = await people.call("POST", GROUPS, {"group_name": "door", "description": ""})
    assert answer["data"]["info"] == {"name": "door", "description": ""}
    status, answer = await people.call("POST", USERS, body | {"group_name": "door,vip"})
    assert status == 200
    assert answer["data"]["group_name"] == ["door", "vip"]


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_groups_list_with_pagination(people: People) -> None:
    _status, answer = await people.call("GET", GROUPS, params={"limit": "2"})
    assert len(answer["data"]["groups_list"]) == 2
    assert answer["data"]["pagination"]["total_count"] == 5


@pytest.mark.parametrize("generation", ["1.0"])
@pytest.mark.parametrize(("mode", "kept"), [("replace", False), ("keep", True)])
async def test_v1_put_replaces_or_keeps_info_it_is_not_sent(
    sim: BoxSimulator, people: People, mode: str, kept: bool
) -> None:
    sim.faults.library_put_info = mode
    body = {"identity_id": TOM.identity_id, "info": {"type": 5}}
    _status, answer = await people.call("PUT", USERS, body)
    info = answer["data"]["info"]
    assert info["type"] == 5
    assert (info["name"] == "Tom") is kept
    assert (info.get("user_id") == TOM.info["user_id"]) is kept
    assert (info["permission_ids"] == ["0"]) is not kept


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_skip_num_counts_records_or_pages(sim: BoxSimulator, people: People) -> None:
    params = {"group_name": "default_group", "skip_num": "1", "limit": "2"}
    ids = [entry.identity_id for entry in sim.library.in_group("default_group")]
    _status, answer = await people.call("GET", USERS, params=params)
    assert [item["identity_id"] for item in answer["data"]["identities_list"]] == ids[1:3]
    sim.faults.library_skip_num = "pages"
    _status, answer = await people.call("GET", USERS, params=params)
    assert [item["identity_id"] for item in answer["data"]["identities_list"]] == ids[2:4]


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_list_traps_are_switchable(sim: BoxSimulator, people: People) -> None:
    sim.faults.library_group_name = "string"
    sim.faults.library_reg_photo = True
    _status, answer = await people.call("GET", USERS, params={"identity_id": TOM.identity_id})
    (item,) = answer["data"]["identities_list"]
    assert item["group_name"] == "visitors"
    assert base64.b64decode(item["reg_photo"]) == sim.library.photo(item["info"]["image_id"])


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_ignore_exist_adds_a_face(sim: BoxSimulator, people: People) -> None:
    face = sim._bank.face(4242).data
    answer = await people.create(TOM.identity_id, "Tom", "visitor", face, ignore_exist=True)
    assert len(answer["data"]["info"]["face_ids"]) == 2
    frame = await sim.push_event(face=4242)
    assert frame["identity_id"] == TOM.identity_id


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_errors_in_words_only(sim: BoxSimulator, people: People) -> None:
    sim.faults.library_errors = "message_only"
    answer = await people.create("x2", "X", "visitor", plain_photo())
    assert answer["error"]["status"] == "INVALID_ARGUMENT"
    assert "no face" in answer["error"]["message"]


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_delete_takes_a_list(sim: BoxSimulator, people: People) -> None:
    body = {"identity_ids": [TOM.identity_id, "missing"]}
    _status, answer = await people.call("DELETE", USERS, body)
    assert answer["data"]["identity_ids"] == [TOM.identity_id]
    status, answer = await people.call("DELETE", USERS, {"identity_id": TOM.identity_id})
    assert status == 404


# Generation 2.0


@pytest.mark.parametrize("generation", ["2.0"])
async def test_v2_update_overwrites_every_field(sim: BoxSimulator, people: People) -> None:
    await people.post(
        "updateidentity",
        {"identity_id": TOM.identity_id, "user_type": "vip", "ext_user_info": {"room": "1"}},
    )
    answer = await people.post("getidentity", {"identity_id": TOM.identity_id})
    assert answer["identity_name"] == "佚名"
    assert answer["user_type"] == "vip"
    assert answer["permission_ids"] == []
    assert answer["ext_user_info"] == {"room": "1"}


@pytest.mark.parametrize("generation", ["2.0"])
@pytest.mark.parametrize("spelling", ["updateidentity", "updateidenity"])
async def test_v2_update_answers_the_spelling_switched_on(
    sim: BoxSimulator, people: People, spelling: str
) -> None:
    sim.faults.library_update_path = spelling
    body = {"identity_id": TOM.identity_id, "identity_name": "Tom", "user_type": "visitor"}
    for verb in ("updateidentity", "updateidenity"):
        status, _answer = await people.call("POST", f"{V2}/{verb}", body)
        assert (status == 200) is (verb == spelling)


@pytest.mark.parametrize("generation", ["2.0"])
async def test_v2_faces_are_added_and_deleted(sim: BoxSimulator, people: People) -> None:
    face = base64.b64encode(sim._bank.face(99).data).decode()
    body = {"identity_id": TOM.identity_id, "register_image": "data:image/jpeg;base64," + face}
    added = await people.post("addface", body)
    assert added["total_face_cnt"] == 2
    assert who(sim, await sim.push_event(face=99)) == (TOM.identity_id, "visitor")
    body = {"identity_id": TOM.identity_id, "register_image_id": added["register_image_ids"][-1]}
    deleted = await people.post("deleteface", body)
    assert deleted["total_face_cnt"] == 1
    assert who(sim, await sim.push_event(face=99)) == ("", "stranger")


@pytest.mark.parametrize("generation", ["2.0"])
async def test_v2_create_without_an_id_gets_one(sim: BoxSimulator, people: People) -> None:
    face = base64.b64encode(sim._bank.face(7).data).decode()
    answer = await people.post("createidentity", {"register_image": face})
    assert answer["identity_id"] in sim.library
    record = await people.post("getidentity", {"identity_id": answer["identity_id"]})
    assert record["identity_name"] == "佚名"
    assert record["register_image_ids"] == [answer["register_image_id"]]
    url = f"http://{LOOPBACK}:{sim.rest_port}{V2}/getregisterimage/{answer['register_image_id']}"
    async with people.session.get(url) as response:
        assert await response.read() == sim._bank.face(7).data


@pytest.mark.parametrize("generation", ["2.0"])
async def test_v2_errors_name_the_argument(sim: BoxSimulator, people: People) -> None:
    answer = await people.post("createidentity", {"identity_name": "Nobody"})
    assert answer["error"] == {"code": "MISSING_ARGUMENTS", "message": "register_image"}
    answer = await people.post("getidentity", {"identity_id": "missing"})
    assert answer["error"]["code"] == "ID_NOT_FOUND"
    answer = await people.post("deleteidentities", {"identity_ids": ["missing"]})
    assert answer == {"success_identity_ids": [], "failed_identity_ids": ["missing"]}
    sim.faults.library_page_cap = 3
    answer = await people.post("getidentities", {"page_limit": 10})
    assert answer["pagination"]["page_limit"] == 3
    assert len(answer["identities"]) == 3
