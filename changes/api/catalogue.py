"""(Skeleton: filled in by its slice.)"""

urlpatterns = []


def register(router) -> None:
    """Register this slice's viewsets on the changes API router."""
