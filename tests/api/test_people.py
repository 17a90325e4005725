"""The client's face-library calls over loopback, against the simulator, in both generations."""

from __future__ import annotations

import io

import aiohttp
import pytest
from PIL import Image

from custom_components.sophon.api import (
    BoxClient,
    NewPerson,
    PersonType,
    SophonDuplicateError,
    SophonLibraryError,
    SophonLibraryFullError,
    SophonLowQualityError,
    SophonNoFaceError,
    SophonNotSupportedError,
    SophonPersonNotFoundError,
    SophonPictureTooLargeError,
    SophonPictureUnreadableError,
    prepare_picture,
)
from custom_components.sophon.api.library_errors import library_error
from sophon_sim import ROSTER, BoxSimulator
from sophon_sim import PersonType as SimPersonType
from tests.api.conftest import client_of

TOM = next(person for person in ROSTER if person.name == "Tom")


@pytest.fixture
async def simulator(each_generation: BoxSimulator) -> BoxSimulator:
    """Run a box of each generation."""
    return each_generation


@pytest.fixture
def client(simulator: BoxSimulator, session: aiohttp.ClientSession) -> BoxClient:
    """Return a client of the box."""
    return client_of(simulator, session)


def face(simulator: BoxSimulator, marker: int) -> bytes:
    """Return a face crop the box draws for a marker."""
    return simulator._bank.face(marker).data


def plain_photo() -> bytes:
    """Return a JPEG without a face."""
    out = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").save(out, "JPEG")
    return out.getvalue()


def tiny(data: bytes) -> bytes:
    """Return a picture scaled down to 40 px a side."""
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).resize((40, 40)).save(out, "JPEG")
    return out.getvalue()


async def test_list_gives_every_person_once(client: BoxClient, simulator: BoxSimulator) -> None:
    listed = await client.async_list_people()
    assert listed.complete
    assert {p.identity_id for p in listed.people} == {
        p.identity_id for p in simulator.roster if p.registered
    }
    tom = next(p for p in listed.people if p.identity_id == TOM.identity_id)
    assert (tom.name, tom.person_type) == ("Tom", PersonType.VISITOR)
    assert tom.registered_image_id == TOM.image_id


async def test_ten_thousand_people_are_listed_in_pages(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    simulator.library.add_generated(10_000 - len(simulator.library))
    listed = await client.async_list_people()
    assert listed.complete
    assert len(listed.people) == 10_000
    cut = await client.async_list_people(max_people=250)
    assert (len(cut.people), cut.complete) == (250, False)


async def test_a_stranger_registered_from_its_face_is_recognized(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    first = await simulator.push_event(person_type=SimPersonType.STRANGER)
    crop = simulator.images_of(first["event_id"])["face"]
    picture = prepare_picture(crop, max_side=100)
    person = await client.async_create_person(
        NewPerson(name="Ringer", person_type=PersonType.VISITOR, jpeg=picture)
    )
    assert person.person_type is PersonType.VISITOR
    assert len(person.face_ids) == 1
    again = await simulator.push_event(face_of=first["event_id"])
    assert again["identity_id"] == person.identity_id
    assert again["identity_name"] == "Ringer"


async def test_set_type_keeps_every_other_field(client: BoxClient, simulator: BoxSimulator) -> None:
    before = simulator.library.get(TOM.identity_id)
    assert before is not None
    info, ext = dict(before.info), dict(before.ext)
    person = await client.async_set_person_type(TOM.identity_id, PersonType.VIP)
    assert (person.name, person.person_type) == ("Tom", PersonType.VIP)
    after = simulator.library.get(TOM.identity_id)
    assert after is not None
    assert after.info == info
    assert after.ext == ext
    assert after.groups == ["visitors"]
    frame = await simulator.push_event(person=TOM)
    assert frame["identity_id"] == TOM.identity_id


@pytest.mark.parametrize("spelling", ["updateidentity", "updateidenity"])
async def test_v2_update_falls_back_to_the_other_spelling(
    session: aiohttp.ClientSession, spelling: str
) -> None:
    async with BoxSimulator(devices=1, generation="2.0", host="127.0.0.1", seed=3) as box:
        box.faults.library_update_path = spelling
        client = client_of(box, session)
        person = await client.async_set_person_type(TOM.identity_id, PersonType.BLACKLIST)
        assert person.person_type is PersonType.BLACKLIST
        assert client._people._calls["2.0"].update_verb == spelling  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("faults", "value"),
    [
        ("library_put_info", "keep"),
        ("library_skip_num", "pages"),
        ("library_group_name", "string"),
        ("library_reg_photo", True),
        ("library_errors", "message_only"),
        ("library_page_cap", 3),
    ],
)
async def test_v1_traps_are_tolerated(
    session: aiohttp.ClientSession, faults: str, value: object
) -> None:
    async with BoxSimulator(devices=1, generation="1.0", host="127.0.0.1", seed=3) as box:
        setattr(box.faults, faults, value)
        box.library.add_generated(250)
        client = client_of(box, session)
        listed = await client.async_list_people()
        assert len(listed.people) == len(box.library)
        assert listed.complete
        person = await client.async_set_person_type(TOM.identity_id, PersonType.VIP)
        assert (person.name, person.groups) == ("Tom", ("visitors",))
        with pytest.raises(SophonNoFaceError):
            await client.async_add_face(TOM.identity_id, plain_photo())


async def test_v2_smaller_pages_than_asked_are_followed(session: aiohttp.ClientSession) -> None:
    async with BoxSimulator(devices=1, generation="2.0", host="127.0.0.1", seed=3) as box:
        box.faults.library_page_cap = 7
        box.library.add_generated(100)
        listed = await client_of(box, session).async_list_people()
        assert len(listed.people) == len(box.library)
        assert listed.complete


@pytest.mark.parametrize("generation", ["1.0", "2.0"])
@pytest.mark.parametrize("page_cap", [0, 10])
async def test_a_box_that_ignores_paging_gives_an_incomplete_listing(
    session: aiohttp.ClientSession, generation: str, page_cap: int
) -> None:
    """Every page the first: what was read is given, but not as the whole library (a follower
    of someone past the first page must not take them for deleted)."""
    async with BoxSimulator(devices=1, generation=generation, host="127.0.0.1", seed=3) as box:
        box.faults.library_ignore_paging = True
        box.faults.library_page_cap = page_cap
        box.library.add_generated(350)
        listed = await client_of(box, session).async_list_people()
        assert 0 < len(listed.people) < len(box.library)
        assert not listed.complete


async def test_ten_thousand_people_in_pages_of_ten_are_listed_whole(
    session: aiohttp.ClientSession,
) -> None:
    async with BoxSimulator(devices=1, generation="2.0", host="127.0.0.1", seed=3) as box:
        box.faults.library_page_cap = 10
        box.library.add_generated(10_000)
        listed = await client_of(box, session).async_list_people()
        assert len(listed.people) == len(box.library)
        assert listed.complete


async def test_faces_are_added_and_deleted(client: BoxClient, simulator: BoxSimulator) -> None:
    person = await client.async_add_face(TOM.identity_id, face(simulator, 31337))
    assert len(person.face_ids) == 2
    assert (await simulator.push_event(face=31337))["identity_id"] == TOM.identity_id
    if simulator.generation == "1.0":
        with pytest.raises(SophonNotSupportedError):
            await client.async_delete_face(TOM.identity_id, person.face_ids[-1])
        return
    after = await client.async_delete_face(TOM.identity_id, person.image_ids[-1])
    assert after.face_ids == person.face_ids[:1]
    assert (await simulator.push_event(face=31337))["identity_id"] == ""


async def test_delete_person(client: BoxClient, simulator: BoxSimulator) -> None:
    await client.async_delete_person(TOM.identity_id)
    assert TOM.identity_id not in simulator.library
    with pytest.raises(SophonPersonNotFoundError):
        await client.async_get_person(TOM.identity_id)
    with pytest.raises(SophonPersonNotFoundError):
        await client.async_delete_person(TOM.identity_id)


async def test_group_is_chosen_on_v1(session: aiohttp.ClientSession) -> None:
    async with BoxSimulator(devices=1, generation="1.0", host="127.0.0.1", seed=3) as box:
        client = client_of(box, session)
        new = NewPerson(
            name="A", person_type=PersonType.EMPLOYEE, jpeg=face(box, 1), identity_id="a1"
        )
        assert (await client.async_create_person(new)).groups == ("default_group",)
        new = NewPerson(name="B", person_type=PersonType.VIP, jpeg=face(box, 2), group="vip")
        assert (await client.async_create_person(new)).groups == ("vip",)


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("plain", SophonNoFaceError),
        ("tiny", SophonLowQualityError),
        ("large", SophonPictureTooLargeError),
        ("garbage", SophonPictureUnreadableError),
        ("same_id", SophonDuplicateError),
        ("same_name", SophonDuplicateError),
        ("full", SophonLibraryFullError),
    ],
)
async def test_each_refusal_is_its_own_exception(
    client: BoxClient, simulator: BoxSimulator, case: str, error: type[SophonLibraryError]
) -> None:
    picture, name, identity_id = face(simulator, 5), "New", "n1"
    if case == "plain":
        picture = plain_photo()
    elif case == "tiny":
        picture = tiny(picture)
    elif case == "large":
        simulator.library.max_picture_bytes = 100
    elif case == "garbage":
        picture = b"not a picture"
    elif case == "same_id":
        identity_id = TOM.identity_id
    elif case == "same_name":
        name = "Tom"
    else:
        simulator.library.capacity = len(simulator.library)
    new = NewPerson(
        name=name, person_type=PersonType.VISITOR, jpeg=picture, identity_id=identity_id
    )
    with pytest.raises(error) as raised:
        await client.async_create_person(new)
    if case == "tiny":
        assert raised.value.checks == ("face_size",)  # type: ignore[attr-defined]
    if error is SophonDuplicateError:
        assert raised.value.field == ("name" if case == "same_name" else "identity_id")  # type: ignore[attr-defined]


@pytest.mark.parametrize("error_code_int", [False, True])
async def test_low_quality_lists_the_failed_checks(
    client: BoxClient, simulator: BoxSimulator, error_code_int: bool
) -> None:
    await client.async_get_devices()  # error_code_int turns the device list into an error
    simulator.faults.library_reject = "low_quality"
    simulator.faults.error_code_int = error_code_int and simulator.generation == "2.0"
    with pytest.raises(SophonLowQualityError) as raised:
        await client.async_add_face(TOM.identity_id, face(simulator, 8))
    assert raised.value.checks == ("headpose", "clarity")


async def test_a_stranger_type_is_refused_before_asking(client: BoxClient) -> None:
    with pytest.raises(ValueError, match="stranger"):
        await client.async_set_person_type(TOM.identity_id, PersonType.STRANGER)


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("no face found in the picture", SophonNoFaceError),
        ("face not found in the picture", SophonNoFaceError),
        ("Face was not detected", SophonNoFaceError),
        ("the face library is full (50000)", SophonLibraryFullError),
        ("group full", SophonLibraryFullError),
        ("identity_id 42 not found", SophonPersonNotFoundError),
        ("the picture cannot be decoded", SophonPictureUnreadableError),
        ("uploaded successfully but not saved", SophonLibraryError),
        ("full name taken by another user", SophonLibraryError),
        ("internal error", SophonLibraryError),
    ],
)
def test_a_1_0_refusal_in_words_only_is_read_by_whole_words(
    message: str, kind: type[SophonLibraryError]
) -> None:
    error = library_error({"code": 500, "status": "INTERNAL", "message": message})
    assert type(error) is kind
