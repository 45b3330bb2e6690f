"""CSV import of CIs and relationships: through the services, line-numbered refusals,
dry runs and all-or-nothing imports, and the management commands."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from config_items.importing import import_cis, import_relationships
from config_items.models import ConfigurationItem, Relationship
from itsm.exceptions import NotPermitted
from itsm.models import NumberSequence
from tests.assertions import assert_nothing_written
from tests.config_items.factories import cmdb_writer, link, make_ci
from tests.factories import CustomerFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

CIS = """name,type,status,environment,owner_team,customers,description,source,external_id,attr:hostname,attr:cpu_count,attr:engine
web-1,server,live,production,Platform,acme;globex,Front end,vcenter,vm-1,web-1,4,
orders-db,database,,staging,,,,,,,,postgresql
broken,server,,,,,,,,,many,
"""


@pytest.fixture
def writer():
    return cmdb_writer()


@pytest.fixture
def reference_data():
    TeamFactory(name="Platform")
    CustomerFactory(code="acme")
    CustomerFactory(code="globex")


def run(text, **options):
    return import_cis(actor=options.pop("actor"), file=io.StringIO(text), **options)


def test_good_rows_go_in_and_a_bad_row_is_rejected_with_its_line(writer, reference_data):
    report = run(CIS, actor=writer)

    assert (report.created, report.rejected, report.written) == (2, 1, True)
    assert [(r.line, r.action) for r in report.rows] == [(2, "created"), (3, "created"), (4, "rejected")]
    assert report.rows[2].errors == ["attributes.hostname: Host name is required.",
                                     "attributes.cpu_count: CPUs: enter a whole number"]
    web = ConfigurationItem.objects.get(name="web-1")
    assert (web.status, web.owner_team.name, web.attributes) == ("live", "Platform", {"hostname": "web-1", "cpu_count": 4})
    assert sorted(c.code for c in web.customers.all()) == ["acme", "globex"]
    assert web.history.earliest("history_id").history_change_reason == "imported"
    assert ConfigurationItem.objects.get(name="orders-db").environment == "staging"


def test_an_atomic_import_with_a_bad_row_writes_nothing(writer, reference_data):
    with assert_nothing_written():
        report = run(CIS, actor=writer, atomic=True)

    assert (report.created, report.rejected, report.written) == (2, 1, False)


def test_a_dry_run_reports_every_row_and_writes_nothing_not_even_numbers(writer, reference_data):
    with assert_nothing_written():
        report = run(CIS, actor=writer, dry_run=True)

    assert [r.action for r in report.rows] == ["created", "created", "rejected"]
    assert report.rows[0].number.startswith("CI")
    assert not NumberSequence.objects.filter(prefix="CI").exists()


def test_importing_the_same_file_again_changes_nothing_and_edits_update(writer, reference_data):
    good = "\n".join(CIS.splitlines()[:3]) + "\n"
    run(good, actor=writer)

    again = run(good, actor=writer)
    edited = run(good.replace("Front end", "Front end (new)"), actor=writer)

    assert [r.action for r in again.rows] == ["unchanged", "created"]  # a row without a key is new again
    assert edited.rows[0].action == "updated"
    web = ConfigurationItem.objects.get(external_id="vm-1")
    assert (web.description, web.version) == ("Front end (new)", 2)


def test_rows_update_by_number_keeping_attributes_without_a_column(writer):
    server = make_ci(writer, type_slug="server", attributes={"hostname": "h1", "os": "Debian"})

    report = run(f"number,name,type,attr:cpu_count\n{server.number},renamed,server,8\n", actor=writer)
    unchanged = run(f"number,name,type,attr:cpu_count\n{server.number},renamed,server,8\n", actor=writer)

    assert [r.action for r in report.rows] == ["updated"]
    assert [r.action for r in unchanged.rows] == ["unchanged"]
    server.refresh_from_db()
    assert (server.name, server.attributes) == ("renamed", {"hostname": "h1", "os": "Debian", "cpu_count": 8})


@pytest.mark.parametrize(("row", "message"), [
    ("x,printer,,", "type: Unknown CI type “printer”."),
    ("x,server,,nobody", "owner_team: Unknown team “nobody”."),
    ("x,server,gone,", "status: Unknown status “gone”"),
])
def test_unknown_references_are_named(writer, row, message):
    report = run(f"name,type,status,owner_team,attr:hostname\n{row},h\n", actor=writer)

    assert report.rows[0].action == "rejected"
    assert report.rows[0].errors[0].startswith(message)


def test_a_wrong_header_refuses_the_file(writer):
    with assert_nothing_written(), pytest.raises(ValidationError) as refused:
        run("name,kind,colour\nx,y,z\n", actor=writer)

    assert "unknown columns: kind, colour" in refused.value.message_dict["file"][0]
    assert "missing columns: type" in refused.value.message_dict["file"][0]


def test_agents_cannot_import():
    agent = UserFactory(roles=["agent"])

    with assert_nothing_written(), pytest.raises(NotPermitted):
        run(CIS, actor=agent)


def test_relationships_by_number_or_external_key(writer):
    app = make_ci(writer, name="app")
    host = make_ci(writer, type_slug="server", source="vcenter", external_id="vm-9", attributes={"hostname": "h"})
    link(app, host, actor=writer, type_slug="runs-on")
    db = make_ci(writer, type_slug="database", name="db")
    text = (f"source,type,target\n{app.number},runs-on,vcenter:vm-9\n{app.number},depends-on,{db.number}\n"
            f"{app.number},depends-on,CI9999999\n{db.number},depends-on,{db.number}\n")

    report = import_relationships(actor=writer, file=io.StringIO(text))

    assert [(r.line, r.action) for r in report.rows] == [(2, "unchanged"), (3, "created"), (4, "rejected"),
                                                         (5, "rejected")]
    assert report.rows[2].errors == ["target: There is no CI “CI9999999”."]
    assert report.rows[3].errors == ["target: A CI cannot depend on itself."]
    assert Relationship.objects.count() == 2


def test_the_command_exits_non_zero_with_a_line_per_rejected_row(tmp_path, writer, reference_data, capsys):
    path = tmp_path / "cis.csv"
    path.write_text(CIS, encoding="utf-8")

    with assert_nothing_written(), pytest.raises(CommandError, match="1 rows rejected"):
        call_command("import_cis", str(path), "--atomic", "--as", writer.username)

    err = capsys.readouterr().err
    assert f"{path}:4: rejected: attributes.hostname: Host name is required." in err


def test_the_command_imports_as_the_system_user(tmp_path, reference_data, capsys):
    path = tmp_path / "cis.csv"
    path.write_text("\n".join(CIS.splitlines()[:3]) + "\n", encoding="utf-8")

    call_command("import_cis", str(path))

    assert "2 created, 0 updated, 0 unchanged, 0 rejected; the changes were written." in capsys.readouterr().out
    assert {ci.created_by.username for ci in ConfigurationItem.objects.all()} == {"system"}


def test_the_relationship_command_dry_run(tmp_path, writer, capsys):
    app, db = make_ci(writer), make_ci(writer)
    path = tmp_path / "rels.csv"
    path.write_text(f"source,type,target\n{app.number},depends-on,{db.number}\n", encoding="utf-8")

    call_command("import_relationships", str(path), "--dry-run")

    assert "1 created" in capsys.readouterr().out
    assert Relationship.objects.count() == 0


def test_a_second_row_about_a_new_ci_updates_the_one_the_first_row_created(writer):
    text = ("source,external_id,name,type,attr:hostname,attr:os\n"
            "vcenter,vm-5,web-5,server,web-5,Debian\nvcenter,vm-5,web-5,server,web-5,Ubuntu\n")

    report = run(text, actor=writer)

    assert [r.action for r in report.rows] == ["created", "updated"]
    assert ConfigurationItem.objects.get().attributes == {"hostname": "web-5", "os": "Ubuntu"}


def test_rows_keep_their_order_and_lines_across_batches(writer, monkeypatch):
    from config_items import importing

    monkeypatch.setattr(importing._NewCIBatch, "SIZE", 2)
    rows = "".join(f"s{n},server,s{n}\n" if n != 3 else "bad,server,\n" for n in range(5))

    report = run("name,type,attr:hostname\n" + rows, actor=writer)

    assert [(r.line, r.action) for r in report.rows] == [(2, "created"), (3, "created"), (4, "created"),
                                                         (5, "rejected"), (6, "created")]
    assert sorted(ConfigurationItem.objects.values_list("name", flat=True)) == ["s0", "s1", "s2", "s4"]


def test_relationships_across_batches_keep_their_lines_and_repeated_rows_are_unchanged(writer, monkeypatch):
    from config_items import importing

    monkeypatch.setattr(importing._NewLinkBatch, "SIZE", 2)
    a, b, c = make_ci(writer, name="a"), make_ci(writer, name="b"), make_ci(writer, name="c")
    text = (f"source,type,target\n{a.number},depends-on,{b.number}\n{b.number},depends-on,{c.number}\n"
            f"{c.number},depends-on,{c.number}\n{a.number},depends-on,{b.number}\n{a.number},runs-on,{c.number}\n")

    report = import_relationships(actor=writer, file=io.StringIO(text))

    assert [(r.line, r.action) for r in report.rows] == [(2, "created"), (3, "created"), (4, "rejected"),
                                                         (5, "unchanged"), (6, "created")]
    assert Relationship.objects.count() == 3
    assert report.written is True
