"""A photo or scan uploaded through any form is stored as its pixels only: no JPEG
comment, EXIF, XMP, IPTC or ICC block, no PNG text, EXIF, ICC or private chunk. The
stored copy is taken back through the download view and read segment by segment."""

from __future__ import annotations

import pytest

from tests.documents import endpoints
from tests.documents.metadata_images import (
    COLOUR,
    MARKER,
    SIZE,
    jpeg_metadata,
    jpeg_with_metadata,
    pixels,
    png_metadata,
    png_with_metadata,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(physician, patient, coordinator, case_in):
    return endpoints.People(physician, patient, coordinator, case_in)


def test_the_samples_carry_every_kind_of_metadata():
    # The checks below would prove nothing if the samples carried nothing.
    kinds = {entry.split(":")[0] for entry in jpeg_metadata(jpeg_with_metadata())}
    assert kinds == {"COM", "APP1", "APP2", "APP13"}
    kinds = {entry.split(":")[0] for entry in png_metadata(png_with_metadata())}
    assert kinds == {"tEXt", "zTXt", "iTXt", "eXIf", "iCCP", "tIME", "prVt"}


def _close(colour: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 3 for a, b in zip(colour, expected, strict=True))


@pytest.mark.parametrize("endpoint", endpoints.ENDPOINTS)
def test_a_jpeg_is_stored_without_comments_or_metadata(people, endpoint):
    document = endpoints.upload_through(endpoint, jpeg_with_metadata(), "photo.jpg", people)

    stored = endpoints.download(document, endpoints.uploader(endpoint, people))

    assert document.content_type == "image/jpeg"
    assert jpeg_metadata(stored) == []
    assert MARKER.encode() not in stored
    assert b"<script" not in stored
    size, colour = pixels(stored)
    assert size == SIZE and _close(colour, COLOUR)


@pytest.mark.parametrize("endpoint", endpoints.ENDPOINTS)
def test_a_png_is_stored_without_text_or_metadata_chunks(people, endpoint):
    document = endpoints.upload_through(endpoint, png_with_metadata(), "scan.png", people)

    stored = endpoints.download(document, endpoints.uploader(endpoint, people))

    assert document.content_type == "image/png"
    assert png_metadata(stored) == []
    assert MARKER.encode() not in stored
    assert pixels(stored) == (SIZE, COLOUR)
