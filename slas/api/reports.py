"""(placeholder: filled by its slice)"""

urlpatterns = []
