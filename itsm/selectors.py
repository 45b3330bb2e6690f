"""Kernel reads shared by views, API and reports."""

from django.db.models import Count, Prefetch

from .models import ApiToken, Customer, Team, User


def customer_list(user):
    return Customer.objects.all()


def team_list(user):
    return (
        Team.objects.select_related("lead", "on_duty_manager")
        .annotate(member_count=Count("members", distinct=True))
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("username")))
    )


def user_list(user):
    return User.objects.filter(is_active=True).prefetch_related("groups")


def token_list_for(user):
    if user is None:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at")
