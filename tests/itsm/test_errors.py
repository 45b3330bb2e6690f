"""One way to show a refusal: add_error_to_form on forms, messages_of as text."""

import pytest
from django import forms
from django.core.exceptions import ValidationError

from itsm.exceptions import DomainError, GuardFailed, NotPermitted, StaleRecord, messages_of
from itsm.forms import add_error_to_form
from itsm.records import StaleRecord as StaleRecordFromRecords


class NoteForm(forms.Form):
    title = forms.CharField()
    body = forms.CharField()


def bound_form():
    form = NoteForm({"title": "t", "body": "b"})
    assert form.is_valid()
    return form


class Row:
    version = 3

    def __str__(self):
        return "INC0000001"


def test_field_errors_land_on_their_fields_and_others_above_the_form():
    form = bound_form()

    add_error_to_form(form, ValidationError({"title": "Too short.", "owner": "Not a member."}))

    assert form.errors == {"title": ["Too short."], "__all__": ["Not a member."]}


def test_a_validation_error_without_fields_goes_above_the_form():
    form = bound_form()

    add_error_to_form(form, ValidationError("Closed incidents can no longer be changed."))

    assert form.non_field_errors() == ["Closed incidents can no longer be changed."]


def test_a_guard_shows_its_field_messages():
    form = bound_form()

    add_error_to_form(form, GuardFailed("Please complete the required fields.", fields={"body": "Required."}))

    assert form.errors == {"body": ["Required."]}


def test_a_stale_record_asks_to_reload_above_the_form():
    form = bound_form()

    add_error_to_form(form, StaleRecord(Row(), 2))

    assert form.non_field_errors() == [
        "INC0000001 was changed by someone else (version 3, you had 2). Reload it and apply your change again."]


def test_a_refused_permission_is_no_form_error():
    with pytest.raises(NotPermitted):
        add_error_to_form(bound_form(), NotPermitted())


def test_a_stale_record_is_a_domain_error_of_status_412_importable_from_records_too():
    assert issubclass(StaleRecord, DomainError) and StaleRecord is StaleRecordFromRecords
    assert (StaleRecord.status_code, StaleRecord.code) == (412, "stale")


def test_messages_of_names_the_fields_or_not():
    error = ValidationError({"title": "Too short.", "body": ["Empty.", "Rude."]})

    assert messages_of(error) == ["title: Too short.", "body: Empty.", "body: Rude."]
    assert messages_of(error, field_names=False) == ["Too short.", "Empty.", "Rude."]
    assert messages_of(GuardFailed("Complete it.", fields={"body": "Required."})) == ["Complete it.",
                                                                                      "body: Required."]
    assert messages_of(ValueError("odd")) == ["odd"]
