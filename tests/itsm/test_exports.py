"""The CSV export helper every list page uses."""

import csv
import io
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from itsm.exports import Column, csv_response, neutralise


def rows_of(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize(("text", "cell"), [
    ("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("a=1", "a=1"), ("", ""), ("中文", "中文"),
])
def test_neutralise(text, cell):
    assert neutralise(text) == cell


def test_cells_are_formatted_for_people_and_numbers_stay_numbers():
    columns = [
        Column("Count", "count"), Column("Flag", "flag"), Column("When", "when"), Column("Lead", "lead.name"),
        Column("Computed", lambda row: f"={row.count}"),
    ]
    row = SimpleNamespace(count=-3, flag=False, when=datetime(2026, 1, 1, 0, 0, tzinfo=UTC), lead=None)

    with timezone.override("Asia/Shanghai"):
        response = csv_response([row], columns, "x.csv")

    assert rows_of(response) == [["Count", "Flag", "When", "Lead", "Computed"],
                                 ["-3", "No", "2026-01-01T08:00:00+08:00", "", "'=-3"]]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
