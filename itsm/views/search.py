"""The header's global search (itsm.search): a record number opens the record, other text
lists hits of every type the user may read. Staff only: requesters follow their own incidents
in the portal, which has its own list."""

from django.shortcuts import redirect
from django.views.generic import TemplateView

from .. import search
from ..permissions import STAFF_ROLES
from .mixins import RoleRequiredMixin


class SearchView(RoleRequiredMixin, TemplateView):
    template_name = "itsm/search/results.html"
    read_roles = STAFF_ROLES
    limit = search.HITS_PER_TYPE

    def get(self, request, *args, **kwargs):
        text = request.GET.get("q", "").strip()[:200]
        record, number_type = search.find_record(request.user, text)
        if record is not None and not self.suggestions:
            return redirect(record.url)
        context = self.get_context_data(
            q=text, record=record, number_type=number_type, too_short=0 < len(text) < search.MIN_TEXT,
            results=search.search(request.user, text, limit=self.limit), min_text=search.MIN_TEXT,
            prefixes=search.prefixes(),
        )
        return self.render_to_response(context)

    suggestions = False


class SuggestView(SearchView):
    """What the search box offers as you type (htmx, debounced): the record a number names and
    a few hits per type; Enter still opens the full results page."""

    template_name = "itsm/search/suggestions.html"
    limit = 3
    suggestions = True
