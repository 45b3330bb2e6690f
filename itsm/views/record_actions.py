"""What every record page's POST actions share (incidents, problems...): on success back to the
record's page with a message, on refusal the page again with the form, its errors and the input
kept. An app's action view sets `detail_url_name`, `record` (the record of the URL) and
`render_page(status=, open_panel=, **forms)` (its page view), then adds a comment or an
attachment through its own service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from ..exceptions import DomainError
from ..forms import add_error_to_form


class RecordActionMixin:
    """Needs, from the view: `detail_url_name`, `record` and `render_page`."""

    detail_url_name = ""

    def get(self, request, *args, **kwargs):
        return self.http_method_not_allowed(request)

    def done(self, message=""):
        if message:
            messages.success(self.request, message)
        return redirect(reverse(self.detail_url_name, args=[self.record.pk]))

    def refuse(self, form, exc, panel, name):
        add_error_to_form(form, exc)
        return self.render_page(status=400, open_panel=panel, **{name: form})


class CommentActionMixin(RecordActionMixin):
    """POST body, internal: the view's `comment(body, internal)` calls the app's comment service."""

    comment_form_class = None

    def post(self, request, *args, **kwargs):
        form = self.comment_form_class(request.POST)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="comment", comment_form=form)
        try:
            self.comment(form.cleaned_data["body"], form.cleaned_data["internal"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "comment", "comment_form")
        return self.done(_("Work note added.") if form.cleaned_data["internal"] else _("Comment added."))


class AttachActionMixin(RecordActionMixin):
    """POST file: the view's `attach(upload)` calls the app's attachment service and returns the
    attachment."""

    attachment_form_class = None

    def post(self, request, *args, **kwargs):
        form = self.attachment_form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(status=400, open_panel="attachments", attachment_form=form)
        try:
            attachment = self.attach(form.cleaned_data["file"])
        except (ValidationError, DomainError) as exc:
            return self.refuse(form, exc, "attachments", "attachment_form")
        return self.done(_("Attached %(name)s.") % {"name": attachment.filename})
