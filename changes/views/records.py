"""The change pages of the records slice, mounted at /changes/: the list with its queues and
saved filters, raising and editing, the change page and its actions, the pickers of its forms.

Thin views over changes.selectors (reads, the one access gate) and changes.services (every
write). Staff read (auditors too, without any control); change workers (agents, team leads,
problem and change managers, CAB members, administrators) raise and work changes; the
workflow's decisions are the change managers' and the implementer's (the services say so).
Requesters get 403.
"""

from django.urls import path

from .records_actions import (
    ChangeAttachmentDownloadView,
    ChangeAttachView,
    ChangeCommentView,
    ChangeLinkIncidentsView,
    ChangeLinkProblemsView,
    ChangeTransitionView,
    ChangeUnlinkIncidentView,
    ChangeUnlinkProblemView,
    IncidentSearchView,
    ProblemSearchView,
)
from .records_detail import ChangeDetailView
from .records_editing import ChangeCreateView, ChangeUpdateView
from .records_list import ChangeListView, ChangeSavedFilterCreateView, ChangeSavedFilterDeleteView

urlpatterns = [
    path("", ChangeListView.as_view(), name="change_list"),
    path("filters/", ChangeSavedFilterCreateView.as_view(), name="change_saved_filter_create"),
    path("filters/<int:pk>/delete/", ChangeSavedFilterDeleteView.as_view(), name="change_saved_filter_delete"),
    path("new/", ChangeCreateView.as_view(), name="change_create"),
    path("problem-search/", ProblemSearchView.as_view(), name="change_problem_search"),
    path("incident-search/", IncidentSearchView.as_view(), name="change_incident_search"),
    path("attachments/<int:pk>/", ChangeAttachmentDownloadView.as_view(), name="change_attachment_download"),
    path("<int:pk>/", ChangeDetailView.as_view(), name="change_detail"),
    path("<int:pk>/edit/", ChangeUpdateView.as_view(), name="change_update"),
    path("<int:pk>/transition/", ChangeTransitionView.as_view(), name="change_transition"),
    path("<int:pk>/comment/", ChangeCommentView.as_view(), name="change_comment"),
    path("<int:pk>/attachments/", ChangeAttachView.as_view(), name="change_attach"),
    path("<int:pk>/problems/", ChangeLinkProblemsView.as_view(), name="change_link_problems"),
    path("<int:pk>/problems/unlink/", ChangeUnlinkProblemView.as_view(), name="change_unlink_problem"),
    path("<int:pk>/incidents/", ChangeLinkIncidentsView.as_view(), name="change_link_incidents"),
    path("<int:pk>/incidents/unlink/", ChangeUnlinkIncidentView.as_view(), name="change_unlink_incident"),
]
