"""Input that used to answer 500 (issue 16, defect 4) and its classes: date-time filters with
offsets and instants out of bounds, deeply nested JSON, NUL characters and lone surrogates in
JSON (jsonb), in query strings and in CSV imports. Each class is a 400 with a clear message, or
an empty result for a search: never a server error. Property-based (hypothesis) over the date
filters and text fields of the API, the pages and the importers."""

import datetime as dt
import json

import django_filters
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsm.choices import Role
from itsm.inputs import IdField, InstantField
from tests.assertions import assert_nothing_written

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

DATE_FILTERS = [
    "/api/v1/incidents/?opened_after={}",
    "/api/v1/incidents/?opened_before={}",
    "/api/v1/incidents/?updated_after={}",
    "/api/v1/slas/timers/?breached_after={}",
    "/api/v1/slas/breaches/?breached_before={}",
]
PAGE_FILTERS = ["/incidents/?opened_after={}"]


@pytest.fixture
def worker(make_user):
    return make_user(Role.AGENT, Role.TEAM_LEAD, Role.ADMINISTRATOR, username="worker")


@pytest.fixture
def api(token_client, worker):
    client = token_client(worker)
    client.raise_request_exception = False
    return client


@pytest.fixture
def browser(client, worker):
    client.force_login(worker)
    client.raise_request_exception = False
    return client


def quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# --- date-time filters ------------------------------------------------------------------------

@pytest.mark.parametrize("template", DATE_FILTERS)
@pytest.mark.parametrize("instant", ["2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00-16:00",
                                     "2026-01-01T00:00:00+23:59", "9999-12-31T23:59:59-01:00",
                                     "0001-01-01T00:00:00+01:00"])
def test_an_instant_out_of_bounds_in_an_api_filter_is_a_400_naming_it(api, template, instant):
    response = api.get(template.format(quoted(instant)))

    assert response.status_code == 400, response.content[:300]
    name = template.split("?")[1].split("=")[0]
    assert response.json()["error"]["fields"][name][0] in (
        "The UTC offset must be between -15:59 and +15:59.", "The instant is out of range.")


def test_offsets_up_to_15_59_are_accepted_and_read_as_the_same_instant(api, worker):
    from tests.incidents.factories import make_incident

    make_incident(worker)
    assert api.get(f"/api/v1/incidents/?opened_after={quoted('2000-01-01T00:00:00+15:59')}").json()["count"] == 1
    assert api.get(f"/api/v1/incidents/?opened_after={quoted('2100-01-01T00:00:00-15:59')}").json()["count"] == 0


@pytest.mark.parametrize("template", PAGE_FILTERS)
def test_an_out_of_bounds_offset_in_a_page_filter_is_a_form_error(browser, worker, template):
    from tests.incidents.factories import make_incident

    make_incident(worker)
    response = browser.get(template.format(quoted("2026-01-01T00:00:00+16:00")))

    assert response.status_code == 200  # the list is empty, the filter form carries the error
    assert response.context["filter_errors"] == {
        "opened_after": ["The UTC offset must be between -15:59 and +15:59."]}
    assert "Opened from: The UTC offset must be between -15:59 and +15:59." in response.content.decode()


def test_every_date_time_filter_of_every_filterset_is_the_kernels():
    """The class: a FilterSet with Django's or django-filter's own date-time field would
    accept offsets and instants the database then fails on."""
    get_resolver().url_patterns  # noqa: B018  imports every URLconf, hence every view and filterset

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    offenders = []
    for filterset in set(subclasses(django_filters.FilterSet)):
        if filterset.__module__.startswith("django_filters"):
            continue
        for name, declared in filterset.base_filters.items():
            field_class = getattr(declared, "field_class", None)
            if field_class is None or not isinstance(field_class, type):
                continue
            from django import forms

            if issubclass(field_class, forms.DateTimeField) and not issubclass(field_class, InstantField):
                offenders.append(f"{filterset.__module__}.{filterset.__name__}.{name}")
            if isinstance(declared, django_filters.NumberFilter) and not issubclass(field_class, IdField):
                offenders.append(f"{filterset.__module__}.{filterset.__name__}.{name}")
    assert offenders == []


@pytest.mark.parametrize("url", [
    "/api/v1/cmdb/cis/export/?service=-1.2241073507964574e%2B247",
    "/api/v1/cmdb/cis/?service=92621908976809219861774336",
    "/api/v1/incidents/?parent=92621908976809219861774336",
    "/api/v1/slas/timers/?service=0.5",
    "/api/v1/slas/reports/attainment/?service=92621908976809219861774336",
])
def test_a_number_out_of_a_columns_range_is_a_400(api, url):
    response = api.get(url)

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]["fields"]) == [url.split("?")[1].split("=")[0]]


offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
instants = st.builds(lambda date, time, offset: f"{date.isoformat()}T{time.isoformat()}{offset}",
                     st.dates(), st.times(), st.one_of(st.just(""), st.just("Z"), offsets))


@FUZZ
@given(value=st.one_of(instants, st.text(max_size=40)), template=st.sampled_from(DATE_FILTERS + PAGE_FILTERS))
def test_no_date_filter_value_is_a_server_error(api, browser, value, template):
    client = browser if template in PAGE_FILTERS else api
    response = client.get(template.format(quoted(value)))

    assert response.status_code in (200, 400), (value, response.status_code)


def test_business_time_questions_out_of_range_are_400s(api):
    from slas.models import Calendar

    calendar = Calendar.objects.get(name="24×7")
    beyond = api.post(f"/api/v1/slas/calendars/{calendar.pk}/add/",
                      {"start": "9999-12-31T23:00:00Z", "duration": "9999 00:00:00"}, format="json")
    too_long = api.post(f"/api/v1/slas/calendars/{calendar.pk}/between/",
                        {"start": "0002-01-01T00:00:00Z", "end": "9998-12-31T23:59:59Z"}, format="json")
    far_offset = api.post(f"/api/v1/slas/calendars/{calendar.pk}/between/",
                          {"start": "2026-01-01T00:00:00+16:00", "end": "2026-01-02T00:00:00Z"}, format="json")

    assert beyond.status_code == 400
    assert beyond.json()["error"]["fields"] == {"duration": ["The instant would be after the year 9999."]}
    assert too_long.status_code == 400
    assert too_long.json()["error"]["fields"] == {"end": ["At most 3660 days after the start."]}
    assert far_offset.status_code == 200  # converted to UTC on input: an instant like any other


@FUZZ
@given(start=instants, end=instants, duration=st.timedeltas(min_value=dt.timedelta(0)))
def test_no_business_time_question_is_a_server_error(api, start, end, duration):
    from slas.models import Calendar

    calendar = Calendar.objects.get(name="24×7")
    for question, body in [("add", {"start": start, "duration": str(duration)}), ("between", {"start": start,
                                                                                              "end": end})]:
        response = api.post(f"/api/v1/slas/calendars/{calendar.pk}/{question}/", body, format="json")
        assert response.status_code in (200, 400), (question, body, response.content[:200])


# --- nesting ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api/v1/incidents/", "/api/v1/cmdb/cis/", "/api/v1/customers/",
                                 "/api/v1/incidents/import/"])
def test_deeply_nested_json_is_a_400(api, url):
    body = "[" * 100_000 + "]" * 100_000  # 0.2 MB

    with assert_nothing_written():
        response = api.post(url, data=body, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["error"]["message"]


def test_json_nested_within_the_limit_reaches_the_serializer(api):
    nested = {"a": 1}
    for _ in range(40):
        nested = {"a": nested}
    response = api.post("/api/v1/cmdb/cis/", {"name": "x", "ci_type": "server", "attributes": nested}, format="json")

    assert response.status_code == 400
    assert "nested deeper" not in json.dumps(response.json())


# --- NUL characters and lone surrogates -------------------------------------------------------

@pytest.mark.parametrize("bad", ["\x00", "\ud800", "a\udfffb"])
def test_bad_characters_in_a_jsonb_field_are_a_400_naming_the_path(api, bad):
    body = json.dumps({"name": "web-1", "ci_type": "server", "attributes": {"hostname": f"web{bad}1"}})

    with assert_nothing_written():
        response = api.post("/api/v1/cmdb/cis/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["attributes.hostname"]


def test_a_bad_character_in_a_key_is_a_400(api):
    body = json.dumps({"name": "web-1", "ci_type": "server", "attributes": {"host\x00name": "web-1"}})

    response = api.post("/api/v1/cmdb/cis/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"attributes.hostname": [
        "Field names may not hold null or surrogate characters."]}


@FUZZ
@given(text=st.text(max_size=30))
def test_no_text_in_a_json_body_is_a_server_error(api, text):
    for url, body in [
        ("/api/v1/cmdb/cis/", {"name": text or "x", "ci_type": "server", "attributes": {"hostname": text}}),
        ("/api/v1/incidents/", {"short_description": text, "description": text, "contact_name": text}),
        ("/api/v1/customers/", {"code": text, "name": text}),
    ]:
        response = api.post(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code in (201, 400), (url, text, response.content[:200])


@FUZZ
@given(text=st.text(max_size=20))
def test_no_search_text_is_a_server_error(api, browser, text):
    for client, url in [(api, "/api/v1/search/?q="), (browser, "/search/suggest/?q="), (browser, "/search/?q="),
                        (browser, "/cmdb/search/?q="), (browser, "/people/search/?q="),
                        (api, "/api/v1/incidents/?q="), (api, "/api/v1/cmdb/cis/?q=")]:
        response = client.get(url + quoted(text))
        assert response.status_code in (200, 302, 400), (url, text, response.status_code)


@pytest.mark.parametrize("url", ["/api/v1/search/?q=mail%00", "/cmdb/search/?q=%00%00%00", "/people/search/?q=%00",
                                 "/api/v1/incidents/?q=%00", "/api/v1/incidents/?external_id=a%00b"])
def test_a_nul_in_a_query_is_dropped(api, browser, url):
    client = api if url.startswith("/api/") else browser

    response = client.get(url)

    assert response.status_code == 200


def test_a_nul_in_a_cmdb_csv_import_is_a_400_naming_the_line(api):
    upload = SimpleUploadedFile("cis.csv", b"name,type,attr:hostname\nweb-1,server,web\x001\n", "text/csv")

    with assert_nothing_written():
        response = api.post("/api/v1/cmdb/cis/import/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "file": ["Line 2: null characters and lone surrogates are not allowed."]}


def test_a_nul_in_an_incident_csv_import_is_a_400_naming_the_line(api):
    text = "external_id,short_description,opened_at\nX-1,Mail\x00down,2026-01-01T00:00:00Z\n"
    upload = SimpleUploadedFile("old.csv", text.encode(), "text/csv")

    with assert_nothing_written():
        response = api.post("/api/v1/incidents/import/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "file": ["Line 2: null characters and lone surrogates are not allowed."]}


def test_an_incident_import_as_json_refuses_bad_characters_per_line(api):
    rows = [{"external_id": "X-1", "short_description": "ok", "opened_at": "2026-01-01T00:00:00Z"},
            {"external_id": "X-2", "short_description": "bad\ud800", "opened_at": "2026-01-01T00:00:00+16:00"}]
    upload = SimpleUploadedFile("old.json", json.dumps(rows).encode(), "application/json")

    with assert_nothing_written():
        response = api.post("/api/v1/incidents/import/", {"file": upload}, format="multipart")

    assert response.status_code == 400
    assert "line 2.short_description" in response.json()["error"]["fields"]
