"""The CMDB in the browser: thin views over config_items.selectors and config_items.services.

Staff read the CMDB; team leads and administrators (CMDB_WRITERS) change CIs, relationships
and baselines; administrators define CI types and relationship types. One module per part;
config_items.urls and others import the views from here.
"""

from .baselines import BaselineCompareView, BaselineCreateView, BaselineDetailView, snapshot_rows
from .catalogue import CatalogueView, DataQualityView, ImportView
from .ci_types import (
    CITypeCreateView,
    CITypeDetailView,
    CITypeListView,
    CITypeUpdateView,
    RelationshipTypeCreateView,
    RelationshipTypeListView,
    RelationshipTypeUpdateView,
)
from .cis import (
    CIAttributeFieldsView,
    CICreateView,
    CIDetailView,
    CIListView,
    CISearchView,
    CITransitionView,
    CIUpdateView,
    RelationshipCreateView,
    RelationshipDeleteView,
)
from .common import CIGateMixin, CMDBMixin, status_colour

__all__ = [
    "BaselineCompareView", "BaselineCreateView", "BaselineDetailView", "CIAttributeFieldsView", "CICreateView",
    "CIDetailView", "CIGateMixin", "CIListView", "CISearchView", "CITransitionView", "CITypeCreateView",
    "CITypeDetailView", "CITypeListView", "CITypeUpdateView", "CIUpdateView", "CMDBMixin", "CatalogueView",
    "DataQualityView", "ImportView", "RelationshipCreateView", "RelationshipDeleteView",
    "RelationshipTypeCreateView", "RelationshipTypeListView", "RelationshipTypeUpdateView", "snapshot_rows",
    "status_colour",
]
