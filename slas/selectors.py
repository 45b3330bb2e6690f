"""Reads of service level management shared by views, API and reports. Staff read
everything (auditors included); requesters see none of it."""

from django.http import Http404

from itsm.permissions import STAFF_ROLES, may

from .models import Calendar, Timer


def calendar_list(user):
    if not may(user, STAFF_ROLES):
        return Calendar.objects.none()
    return Calendar.objects.prefetch_related("days")


def calendar_get_for_user(user, pk) -> Calendar:
    try:
        return calendar_list(user).get(pk=pk)
    except (Calendar.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def timer_list(user):
    if not may(user, STAFF_ROLES):
        return Timer.objects.none()
    return Timer.objects.select_related("target", "calendar_version")
