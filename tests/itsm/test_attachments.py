"""Kernel attachments: files are checked on the way in, stored under MEDIA_ROOT with a random
name, journaled, and served as downloads only."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from itsm.attachments import attachment_add, attachment_response, attachments_of
from itsm.models import DomainEvent
from tests.assertions import assert_nothing_written
from tests.kernel_app.factories import make_ticket

pytestmark = pytest.mark.django_db


def upload(name="log.txt", content=b"error at 10:00\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_an_attachment_is_stored_journaled_and_listed(agent, settings):
    ticket = make_ticket(agent)

    attachment = attachment_add(record=ticket, actor=agent, upload=upload("../../etc/passwd.txt"))

    assert attachment.filename == "passwd.txt"
    assert attachment.size == 15 and len(attachment.sha256) == 64
    assert str(settings.MEDIA_ROOT) in attachment.file.path
    assert "passwd" not in attachment.file.name  # the name on disk is random
    assert list(attachments_of(ticket)) == [attachment]
    assert DomainEvent.objects.filter(name="ticket.attachment_added").count() == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("script.exe", b"MZ", "not accepted"),
    ("noextension", b"x", "not accepted"),
    ("empty.txt", b"", "empty"),
])
def test_refused_files_store_nothing(agent, name, content, message):
    ticket = make_ticket(agent)
    file = upload(name, content)

    with assert_nothing_written(), pytest.raises(ValidationError) as error:
        attachment_add(record=ticket, actor=agent, upload=file)

    assert message in error.value.message_dict["file"][0]


def test_files_over_the_limit_are_refused(agent, settings):
    settings.ATTACHMENT_MAX_BYTES = 10

    with pytest.raises(ValidationError) as error:
        attachment_add(record=make_ticket(agent), actor=agent, upload=upload(content=b"x" * 11))

    assert "the limit is 10\xa0bytes" in error.value.message_dict["file"][0]


def test_downloads_are_never_rendered_inline(agent):
    attachment = attachment_add(record=make_ticket(agent), actor=agent, upload=upload("page.txt"))

    response = attachment_response(attachment)

    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"error at 10:00\n"
