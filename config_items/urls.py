"""Browser URLs of the CMDB, under /cmdb/ (the API is under /api/v1/cmdb/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.CIListView.as_view(), name="ci_list"),
    path("new/", views.CICreateView.as_view(), name="ci_create"),
    path("new/type-fields/", views.CIAttributeFieldsView.as_view(), name="ci_type_fields"),
    path("search/", views.CISearchView.as_view(), name="ci_search"),
    path("<int:pk>/", views.CIDetailView.as_view(), name="ci_detail"),
    path("<int:pk>/edit/", views.CIUpdateView.as_view(), name="ci_update"),
    path("<int:pk>/transition/", views.CITransitionView.as_view(), name="ci_transition"),
    path("<int:pk>/relationships/", views.RelationshipCreateView.as_view(), name="relationship_create"),
    path("relationships/<int:pk>/delete/", views.RelationshipDeleteView.as_view(), name="relationship_delete"),
    path("<int:pk>/baselines/", views.BaselineCreateView.as_view(), name="baseline_create"),
    path("baselines/<int:pk>/", views.BaselineDetailView.as_view(), name="baseline_detail"),
    path("baselines/<int:pk>/compare/", views.BaselineCompareView.as_view(), name="baseline_compare"),
    path("catalogue/", views.CatalogueView.as_view(), name="service_catalogue"),
    path("data-quality/", views.DataQualityView.as_view(), name="data_quality"),
    path("import/", views.ImportView.as_view(), name="ci_import"),
    path("types/", views.CITypeListView.as_view(), name="ci_type_list"),
    path("types/new/", views.CITypeCreateView.as_view(), name="ci_type_create"),
    path("types/<int:pk>/", views.CITypeDetailView.as_view(), name="ci_type_detail"),
    path("types/<int:pk>/edit/", views.CITypeUpdateView.as_view(), name="ci_type_update"),
    path("relationship-types/", views.RelationshipTypeListView.as_view(), name="relationship_type_list"),
    path("relationship-types/new/", views.RelationshipTypeCreateView.as_view(), name="relationship_type_create"),
    path("relationship-types/<int:pk>/edit/", views.RelationshipTypeUpdateView.as_view(),
         name="relationship_type_update"),
]
