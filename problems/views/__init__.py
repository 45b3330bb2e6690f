"""The problem pages: list, logging and editing, the problem page and its actions, the
problem manager's work view, and the problem panel of the incident page.

Thin views over problems.selectors (reads, the one access gate) and problems.services (every
write). Staff read (auditors too, without any control); problem workers (agents, team leads,
problem managers, administrators) work problems; the workflow's decisions are the problem
managers'. Requesters get 403.
"""

from django.urls import path

from .actions import (
    ProblemAttachmentDownloadView,
    ProblemAttachView,
    ProblemCommentView,
    ProblemLinkIncidentsView,
    ProblemTaskCreateView,
    ProblemTaskFinishView,
    ProblemTransitionView,
    ProblemUnlinkIncidentView,
)
from .detail import ProblemDetailView
from .editing import ProblemCreateView, ProblemUpdateView
from .incident_side import (
    IncidentLinkProblemView,
    IncidentSearchView,
    IncidentWaiveProblemView,
    ProblemFromIncidentsView,
)
from .list import ProblemListView, ProblemSavedFilterCreateView, ProblemSavedFilterDeleteView
from .manager import ProblemManagerView

urlpatterns = [
    path("", ProblemListView.as_view(), name="problem_list"),
    path("filters/", ProblemSavedFilterCreateView.as_view(), name="problem_saved_filter_create"),
    path("filters/<int:pk>/delete/", ProblemSavedFilterDeleteView.as_view(), name="problem_saved_filter_delete"),
    path("new/", ProblemCreateView.as_view(), name="problem_create"),
    path("from-incidents/", ProblemFromIncidentsView.as_view(), name="problem_from_incidents"),
    path("manager/", ProblemManagerView.as_view(), name="problem_manager"),
    path("incident-search/", IncidentSearchView.as_view(), name="problem_incident_search"),
    path("incidents/<int:pk>/link/", IncidentLinkProblemView.as_view(), name="problem_incident_link"),
    path("incidents/<int:pk>/waive/", IncidentWaiveProblemView.as_view(), name="problem_incident_waive"),
    path("incident-links/<int:pk>/delete/", ProblemUnlinkIncidentView.as_view(), name="problem_incident_unlink"),
    path("tasks/<int:pk>/finish/", ProblemTaskFinishView.as_view(), name="problem_task_finish"),
    path("attachments/<int:pk>/", ProblemAttachmentDownloadView.as_view(), name="problem_attachment_download"),
    path("<int:pk>/", ProblemDetailView.as_view(), name="problem_detail"),
    path("<int:pk>/edit/", ProblemUpdateView.as_view(), name="problem_update"),
    path("<int:pk>/transition/", ProblemTransitionView.as_view(), name="problem_transition"),
    path("<int:pk>/comment/", ProblemCommentView.as_view(), name="problem_comment"),
    path("<int:pk>/attachments/", ProblemAttachView.as_view(), name="problem_attach"),
    path("<int:pk>/incidents/", ProblemLinkIncidentsView.as_view(), name="problem_link_incidents"),
    path("<int:pk>/tasks/", ProblemTaskCreateView.as_view(), name="problem_task_create"),
]
