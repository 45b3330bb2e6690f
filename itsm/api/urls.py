from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import search, views

router = DefaultRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("teams", views.TeamViewSet, basename="team")
router.register("tokens", views.ApiTokenViewSet, basename="token")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("", include(router.urls)),
]
