"""(Skeleton: filled in by its slice.)"""

urlpatterns = []
