"""The people picker's search (Tom Select, itsm/widgets.py): active accounts by name, username
or e-mail, for the forms that choose people (a team's lead and members, a service's owner)."""

from django.db.models import Q
from django.http import JsonResponse
from django.views.generic import View

from .. import selectors
from ..forms import person_label
from ..permissions import STAFF_ROLES
from .mixins import RoleRequiredMixin

SEARCH_RESULTS = 20  # a page of matches; Tom Select asks again as one types on
SEARCH_WORDS = 4


class PeopleSearchView(RoleRequiredMixin, View):
    """{"results": [{"value": id, "text": "Full Name (username)"}]}: staff only, at most
    SEARCH_RESULTS a query, every word of the query matching a name, the username or e-mail."""

    read_roles = STAFF_ROLES

    def get(self, request):
        people = selectors.user_list(request.user).prefetch_related(None)  # rows, not users
        for word in request.GET.get("q", "").split()[:SEARCH_WORDS]:
            people = people.filter(Q(username__icontains=word) | Q(first_name__icontains=word)
                                   | Q(last_name__icontains=word) | Q(email__icontains=word))
        rows = people.order_by("first_name", "last_name", "username", "pk").values_list(
            "pk", "first_name", "last_name", "username")[:SEARCH_RESULTS]
        return JsonResponse({"results": [{"value": pk, "text": person_label(*names)} for pk, *names in rows]})
