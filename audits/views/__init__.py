"""The auditor's pages: the trail and its verification (trail), evidence bundles (evidence),
samples (samples), external auditors' access (access)."""

from .access import AuditorAccessView, AuditorListView
from .evidence import BundleDownloadView, BundleListView, BundleProgressView
from .samples import SampleDetailView, SampleItemView, SampleListView
from .trail import TrailView, VerifyView

__all__ = ["AuditorAccessView", "AuditorListView", "BundleDownloadView", "BundleListView", "BundleProgressView",
           "SampleDetailView", "SampleItemView", "SampleListView", "TrailView", "VerifyView"]
