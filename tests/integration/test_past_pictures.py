"""The store of past recognitions' pictures: bounded in count and bytes, least recent out first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from custom_components.sophon.api import Jpeg, Picture, RecognitionEvent
from custom_components.sophon.box_memory import RecognitionRef
from custom_components.sophon.past_pictures import PastPictures
from custom_components.sophon.pictures import ImageKind

FACE, SCENE = ImageKind.FACE, ImageKind.SCENE
MOMENT = datetime(2026, 11, 26, 8, 42, 13, 123456, tzinfo=UTC)


class Counted(Picture):
    """A picture that counts its fetches and gives content (None: gone)."""

    def __init__(self, content: bytes | None) -> None:
        super().__init__()
        self.content = content
        self.fetches = 0

    @property
    def size(self) -> int:
        return 0

    async def async_content(self) -> bytes | None:
        self.fetches += 1
        await asyncio.sleep(0)  # as a fetch would: another may ask meanwhile
        return self.content


def event(event_id: str, face: Picture | None, scene: Picture | None = None) -> RecognitionEvent:
    """Return a past recognition with these pictures (the scene as kept by the box)."""
    return RecognitionEvent(
        device_id="gate",
        timestamp=MOMENT,
        event_id=event_id,
        face_image=face,
        scene_on_request=scene,
    )


def ref(event_id: str, entry_id: str = "entry") -> RecognitionRef:
    return RecognitionRef.of(entry_id, "device", event(event_id, None))


async def never() -> RecognitionEvent | None:
    raise AssertionError("the box was asked")


async def test_pictures_are_held_least_recent_out_first_by_count() -> None:
    store = PastPictures(max_count=2)
    for name in ("a", "b", "c"):
        store.remember(ref(name), event(name, Jpeg.of(name.encode())))
        assert await store.async_content(ref(name), FACE, never) == name.encode()
    assert await store.async_content(ref("b"), FACE, never) == b"b"  # b is now the most recent
    store.remember(ref("d"), event("d", Jpeg.of(b"d")))
    assert await store.async_content(ref("d"), FACE, never) == b"d"
    assert len(store) == 2
    assert store.knows(ref("b"))
    assert not store.knows(ref("c"))


async def test_pictures_are_held_up_to_a_number_of_bytes_but_the_last_one() -> None:
    store = PastPictures(max_bytes=10)
    for name, size in (("a", 4), ("b", 4), ("c", 4), ("huge", 50)):
        store.remember(ref(name), event(name, Jpeg.of(b"x" * size)))
        await store.async_content(ref(name), FACE, never)
        assert store.size <= 10 or len(store) == 1
    assert (len(store), store.size) == (1, 50)


async def test_a_picture_is_fetched_once_and_one_gone_is_not_asked_again() -> None:
    store = PastPictures()
    face, scene = Counted(b"face"), Counted(None)
    store.remember(ref("a"), event("a", face, scene))
    for _ in range(2):
        assert await store.async_content(ref("a"), FACE, never) == b"face"
        assert await store.async_content(ref("a"), SCENE, never) is None
    assert (face.fetches, scene.fetches) == (1, 2)  # a failed picture says when to try again


async def test_a_recognition_not_known_is_found_again() -> None:
    store = PastPictures()
    asked: list[str] = []

    async def find() -> RecognitionEvent | None:
        asked.append("a")
        return event("a", Jpeg.of(b"face"))

    async def gone() -> RecognitionEvent | None:
        return None

    assert await store.async_content(ref("a"), SCENE, find) is None  # it has no scene
    assert await store.async_content(ref("a"), FACE, never) == b"face"
    assert await store.async_content(ref("b"), FACE, gone) is None
    assert asked == ["a"]


async def test_the_pictures_waiting_are_bounded_and_a_box_forgotten() -> None:
    store = PastPictures(max_waiting=2)
    for name in ("a", "b", "c"):
        store.remember(ref(name, "one" if name != "c" else "two"), event(name, Jpeg.of(b"x")))
    assert not store.knows(ref("a", "one"))
    await store.async_content(ref("b", "one"), FACE, never)
    store.forget("one")
    assert (len(store), store.size) == (0, 0)
    assert store.knows(ref("c", "two"))
    store.forget("two")
    assert not store.knows(ref("c", "two"))


@pytest.mark.parametrize("event_id", ["1764146533.123456", "a/b+c=d", "事件", ""])
def test_a_reference_reads_back_what_it_wrote(event_id: str) -> None:
    written = RecognitionRef.of("entry", "device", event(event_id, None))
    device_id, moment, token = written.path.split("/")
    assert RecognitionRef.parse("entry", device_id, moment, token) == written
    assert written.moment == MOMENT
    assert written.matches(event(event_id, None))


@pytest.mark.parametrize(("moment", "token"), [("noon", "-"), ("1", "!!"), ("1", "_w")])
def test_a_reference_that_was_never_written_is_refused(moment: str, token: str) -> None:
    with pytest.raises(ValueError, match=r"^not an? "):
        RecognitionRef.parse("entry", "device", moment, token)


async def test_two_asking_at_once_hold_the_picture_once() -> None:
    store = PastPictures()
    store.remember(ref("a"), event("a", Counted(b"face")))
    both = await asyncio.gather(*(store.async_content(ref("a"), FACE, never) for _ in range(2)))
    assert both == [b"face", b"face"]
    assert (len(store), store.size) == (1, 4)
