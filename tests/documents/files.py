"""Sample files for upload tests, made on the fly."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from PIL import Image

from documents.pdf_minimal import minimal_pdf


def png(width: int = 40, height: int = 30, *, exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCameraMaker"  # Make
        kwargs["exif"] = data.tobytes()
    image.save(out, format="PNG", **kwargs)
    return out.getvalue()


def jpeg(*, gps_exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (64, 48), (20, 120, 200))
    kwargs = {}
    if gps_exif:
        data = Image.Exif()
        data[0x010F] = "SecretCameraMaker"
        data[0x0131] = "LocationLeakingApp"
        kwargs["exif"] = data.tobytes()
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 60000, height: int = 60000) -> bytes:
    """A few hundred bytes that claim 3.6 gigapixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def pdf(text: str = "Prescription") -> bytes:
    return minimal_pdf(text)


def pdf_with_javascript() -> bytes:
    document = pikepdf.Pdf.new()
    document.add_blank_page()
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    document.Root.OpenAction = document.make_indirect(action)
    document.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("x"), action]))
    )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_html_polyglot() -> bytes:
    return (
        b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n"
        + minimal_pdf("polyglot")[len(b"%PDF-1.4\n") :]
    )


CORRUPT_PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf at all\n"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
TEMPERATURE_CSV = b"timestamp,temperature_c\n2026-11-20T10:00:00,22.5\n2026-11-20T10:15:00,23.1\n"
