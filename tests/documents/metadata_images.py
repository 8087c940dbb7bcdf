"""Photos and scans carrying every kind of metadata a phone, scanner or attacker
writes, and readers of the segments (JPEG) and chunks (PNG) a stored copy keeps.

Each metadata block carries a payload with MARKER in it, so a leftover block is
found even if it hides under an unexpected name.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

MARKER = "npp-private-metadata"
HTML_COMMENT = f"<html><script>alert('{MARKER}')</script></html>"
PRIVATE_TEXT = f"Patient phone +91 98450 00000 {MARKER}"
SIZE = (64, 48)
COLOUR = (20, 120, 200)


def _exif() -> bytes:
    data = Image.Exif()
    data[0x010F] = f"SecretCameraMaker {MARKER}"  # Make
    data[0x0131] = f"LocationLeakingApp {MARKER}"  # Software
    data[0x8825] = {1: "N", 2: (12.0, 58.0, 20.0), 3: "E", 4: (77.0, 35.0, 40.0)}  # GPS
    return data.tobytes()


def _xmp() -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="{MARKER}"/>'
        "</rdf:RDF></x:xmpmeta>"
    ).encode()


def _icc() -> bytes:
    # Not a colour profile a library would trust: only its bytes travel here.
    return b"\x00\x00\x01\x00lcms\x02\x10\x00\x00mntrRGB XYZ " + MARKER.encode() * 4


def _app13_iptc() -> bytes:
    """An APP13 (Photoshop 3.0 / IPTC) segment with a caption."""
    caption = MARKER.encode()
    iptc = b"\x1c\x02\x78" + struct.pack(">H", len(caption)) + caption  # 2:120 caption
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00"
    resource += struct.pack(">I", len(iptc)) + iptc + (b"\x00" if len(iptc) % 2 else b"")
    body = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def jpeg_with_metadata() -> bytes:
    """A JPEG with two comments (an HTML payload and private text), EXIF with GPS,
    XMP, an ICC profile and IPTC (APP13)."""
    out = io.BytesIO()
    Image.new("RGB", SIZE, COLOUR).save(
        out,
        format="JPEG",
        comment=HTML_COMMENT.encode(),
        exif=_exif(),
        xmp=_xmp(),
        icc_profile=_icc(),
    )
    data = out.getvalue()
    # A second comment and the IPTC block, right after the start-of-image marker.
    second_comment = PRIVATE_TEXT.encode()
    com = b"\xff\xfe" + struct.pack(">H", len(second_comment) + 2) + second_comment
    return data[:2] + _app13_iptc() + com + data[2:]


def png_with_metadata() -> bytes:
    """A PNG with tEXt, zTXt and iTXt (XMP) chunks, eXIf, an ICC profile, a
    timestamp and a private chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", HTML_COMMENT)
    info.add_text("Author", PRIVATE_TEXT, zip=True)  # zTXt
    info.add_itxt("XML:com.adobe.xmp", _xmp().decode(), zip=False)
    info.add(b"tIME", struct.pack(">HBBBBB", 2026, 1, 2, 3, 4, 5))
    info.add(b"prVt", MARKER.encode())  # a private ancillary chunk
    out = io.BytesIO()
    Image.new("RGB", SIZE, COLOUR).save(
        out, format="PNG", pnginfo=info, exif=_exif(), icc_profile=_icc()
    )
    return out.getvalue()


# --- What a stored copy keeps -----------------------------------------------------------

# Segments a plain baseline or progressive JPEG needs to show its pixels.
JPEG_PIXEL_SEGMENTS = {0xDB, 0xC4, 0xDD, 0xDA} | {
    marker for marker in range(0xC0, 0xD0) if marker not in (0xC4, 0xC8, 0xCC)
}
PNG_PIXEL_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, body) of each segment before the image data (SOS ends the header)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, offset = [], 2
    while offset < len(data):
        assert data[offset] == 0xFF, f"no marker at {offset}"
        marker = data[offset + 1]
        length = struct.unpack(">H", data[offset + 2 : offset + 4])[0]
        segments.append((marker, data[offset + 4 : offset + 2 + length]))
        if marker == 0xDA:
            break
        offset += 2 + length
    return segments


def jpeg_metadata(data: bytes) -> list[str]:
    """Every segment of `data` that is not pixels: comments, APPn blocks (a bare
    JFIF header, which holds only the pixel density, excepted)."""
    left = []
    for marker, body in jpeg_segments(data):
        if marker in JPEG_PIXEL_SEGMENTS:
            continue
        if marker == 0xE0 and body.startswith(b"JFIF\x00") and len(body) == 14:
            continue
        name = "COM" if marker == 0xFE else f"APP{marker - 0xE0}" if marker >= 0xE0 else ""
        left.append(f"{name or hex(marker)}: {body[:40]!r}")
    return left


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, offset = [], 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        crc = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])[0]
        assert crc == zlib.crc32(kind + body), f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
    return chunks


def png_metadata(data: bytes) -> list[str]:
    return [
        f"{kind.decode()}: {body[:40]!r}"
        for kind, body in png_chunks(data)
        if kind not in PNG_PIXEL_CHUNKS
    ]


def pixels(data: bytes) -> tuple[tuple[int, int], tuple[int, ...]]:
    """The size and the colour at the centre of an image (what a reader sees)."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        return rgb.size, rgb.getpixel((rgb.width // 2, rgb.height // 2))
