"""Root URLs: the kernel's pages, then each app's pages and API as the app mounted them in its
`AppConfig.ready()` (`itsm.mounts`): the kernel names no process app."""

from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import mounts
from .views import account, auth, customers, health, home, people, search, teams

api_v1 = [
    path("", include(("itsm.api.urls", "itsm"), namespace="itsm")),
    *mounts.api_urlpatterns(),
]

accounts = [
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),  # POST only
    path("password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("preferences/", account.PreferencesView.as_view(), name="preferences"),
    path("language/", account.LanguageSwitchView.as_view(), name="language_switch"),
    path("tokens/", account.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", account.TokenRevokeView.as_view(), name="token_revoke"),
]

kernel_pages = [
    path("", home.HomeView.as_view(), name="home"),
    path("coming/", home.PendingProcessView.as_view(), name="process_pending"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("search/suggest/", search.SuggestView.as_view(), name="search_suggest"),
    path("people/search/", people.PeopleSearchView.as_view(), name="people_search"),
    path("teams/", teams.TeamListView.as_view(), name="team_list"),
    path("teams/new/", teams.TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/", teams.TeamDetailView.as_view(), name="team_detail"),
    path("teams/<int:pk>/edit/", teams.TeamUpdateView.as_view(), name="team_update"),
    path("customers/", customers.CustomerListView.as_view(), name="customer_list"),
    path("customers/new/", customers.CustomerCreateView.as_view(), name="customer_create"),
    path("customers/<int:pk>/", customers.CustomerDetailView.as_view(), name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.CustomerUpdateView.as_view(), name="customer_update"),
]

urlpatterns = [
    *kernel_pages,
    *mounts.page_urlpatterns(),
    path("accounts/", include(accounts)),
    path("health/", health.health, name="health"),
    path("favicon.ico", home.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
