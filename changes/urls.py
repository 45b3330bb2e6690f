"""The change management pages, mounted at /changes/ (ChangesConfig.ready). Each slice has its
own module of views and urlpatterns; fixed prefixes come before the change pages' `<int:pk>/`."""

from .views import approvals, cab, calendar, catalogue, cmdb, records, reports, schedule

urlpatterns = [
    *catalogue.urlpatterns,  # settings: categories, standard-change templates, risk questionnaire
    *approvals.urlpatterns,  # approval rules, decisions, one-click links, awaiting my approval
    *cab.urlpatterns,  # CAB boards and meetings
    *schedule.urlpatterns,  # blackout and maintenance windows, conflicts
    *calendar.urlpatterns,  # the change calendar and its iCalendar feed
    *cmdb.urlpatterns,  # proposed CI changes, unauthorised changes
    *reports.urlpatterns,  # change reports
    *records.urlpatterns,  # list, raise, the change page and its actions
]
