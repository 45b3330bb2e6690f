"""Helpers of the forms: the duplicates hint (htmx) and the pickers' searches (Tom Select):
JSON, staff only, at most SEARCH_RESULTS matches a query."""


from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.views.generic import View

from config_items import selectors as cmdb_selectors
from itsm.models import User

from .. import selectors
from .common import IncidentMixin

SEARCH_RESULTS = 20


class DuplicatesView(IncidentMixin, View):
    """Open incidents on the chosen service or CIs: the logging form's hint panel."""

    def get(self, request):
        service = request.GET.get("service", "")
        cis = [v for v in request.GET.getlist("cis") if v.isdigit()]
        exclude = request.GET.get("exclude", "")
        rows = list(selectors.possible_duplicates(
            service_id=int(service) if service.isdigit() else None, ci_ids=[int(v) for v in cis],
            exclude_pk=int(exclude) if exclude.isdigit() else None))
        return render(request, "incidents/_duplicates.html", {"duplicates": rows,
                                                               "asked": bool(service.isdigit() or cis)})


class CallerSearchView(IncidentMixin, View):
    """Autocomplete of callers: {"results": [{"value": id, "text": "Name (username) email"}]}."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        people = User.objects.filter(is_active=True)
        for word in query.split()[:4]:
            people = people.filter(Q(username__icontains=word) | Q(first_name__icontains=word)
                                   | Q(last_name__icontains=word) | Q(email__icontains=word))
        rows = people.order_by("first_name", "last_name", "username").values(
            "pk", "username", "first_name", "last_name", "email")[:SEARCH_RESULTS]
        results = []
        for row in rows:
            name = f"{row['first_name']} {row['last_name']}".strip()
            text = f"{name} ({row['username']})" if name else row["username"]
            results.append({"value": row["pk"], "text": f"{text} {row['email']}".strip()})
        return JsonResponse({"results": results})


class CISearchView(IncidentMixin, View):
    """Autocomplete of CIs (`?service=1`: services only) for the logging form."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        cis = cmdb_selectors.ci_list(request.user)
        if request.GET.get("service") == "1":
            cis = cis.filter(ci_type__is_service=True)
        if query:
            cis = cis.filter(Q(name__icontains=query) | Q(number__icontains=query))
        rows = cis.order_by("name", "pk").values("pk", "number", "name", "ci_type__name")[:SEARCH_RESULTS]
        return JsonResponse({"results": [
            {"value": row["pk"], "text": f"{row['number']} {row['name']} ({row['ci_type__name']})"} for row in rows
        ]})
