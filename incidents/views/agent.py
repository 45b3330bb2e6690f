"""The service desk's incident pages: queues, logging, the incident page and its actions.

The URLs of the modules beside this one (common, queue, editing, detail, actions,
autocomplete), mounted under /incidents/ by incidents/urls.py.

Thin views over incidents.selectors (reads, the one access gate) and incidents.services
(every write). Staff read (auditors too, without any control); agents, team leads and
administrators work incidents. Requesters have the portal and get 403 here.
"""

from django.urls import path

from .actions import (
    AttachmentDownloadView,
    IncidentAssignToMeView,
    IncidentAssignView,
    IncidentAttachView,
    IncidentCommentView,
    IncidentCommunicateView,
    IncidentMajorView,
    IncidentTransitionView,
)
from .autocomplete import CallerSearchView, CISearchView, DuplicatesView
from .detail import IncidentDetailView
from .editing import IncidentCreateView, IncidentUpdateView
from .queue import IncidentBulkView, IncidentListView, SavedFilterCreateView, SavedFilterDeleteView

urlpatterns = [
    path("", IncidentListView.as_view(), name="incident_list"),
    path("new/", IncidentCreateView.as_view(), name="incident_create"),
    path("bulk/", IncidentBulkView.as_view(), name="incident_bulk"),
    path("duplicates/", DuplicatesView.as_view(), name="incident_duplicates"),
    path("callers/", CallerSearchView.as_view(), name="incident_caller_search"),
    path("cis/", CISearchView.as_view(), name="incident_ci_search"),
    path("filters/", SavedFilterCreateView.as_view(), name="incident_saved_filter_create"),
    path("filters/<int:pk>/delete/", SavedFilterDeleteView.as_view(), name="incident_saved_filter_delete"),
    path("attachments/<int:pk>/", AttachmentDownloadView.as_view(), name="incident_attachment_download"),
    path("<int:pk>/", IncidentDetailView.as_view(), name="incident_detail"),
    path("<int:pk>/edit/", IncidentUpdateView.as_view(), name="incident_update"),
    path("<int:pk>/transition/", IncidentTransitionView.as_view(), name="incident_transition"),
    path("<int:pk>/assign/", IncidentAssignView.as_view(), name="incident_assign"),
    path("<int:pk>/assign-to-me/", IncidentAssignToMeView.as_view(), name="incident_assign_to_me"),
    path("<int:pk>/comment/", IncidentCommentView.as_view(), name="incident_comment"),
    path("<int:pk>/attachments/", IncidentAttachView.as_view(), name="incident_attach"),
    path("<int:pk>/major/", IncidentMajorView.as_view(), name="incident_major"),
    path("<int:pk>/communications/", IncidentCommunicateView.as_view(), name="incident_communicate"),
]
