from rest_framework import routers, serializers

from itsm.api.serializers import StrictInputSerializer, UserBriefSerializer
from itsm.api.viewsets import ServiceModelViewSet, WorkflowActionsMixin
from itsm.models import Customer
from itsm.permissions import STAFF_ROLES

from . import services
from .models import WORKERS, Ticket


class TicketSerializer(serializers.ModelSerializer):
    created_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = Ticket
        fields = ["id", "number", "title", "state", "resolution_code", "customer", "version", "created_by",
                  "created_at", "updated_at"]


class TicketInputSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)


class TicketViewSet(WorkflowActionsMixin, ServiceModelViewSet):
    serializer_class = TicketSerializer
    input_serializer_class = TicketInputSerializer
    read_roles = STAFF_ROLES
    write_roles = WORKERS
    filterset_fields = ["state", "customer"]
    ordering_fields = ["number", "created_at", "id"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return Ticket.objects.select_related("created_by")

    def perform_service_create(self, data):
        return services.ticket_create(actor=self.request.user, data=data)

    def perform_service_update(self, obj, data, expected_version):
        return services.ticket_update(actor=self.request.user, ticket=obj, data=data,
                                      expected_version=expected_version)


router = routers.DefaultRouter()
router.register("tickets", TicketViewSet, basename="ticket")
urlpatterns = router.urls
