from django.core.management.base import BaseCommand

from changes.services.detection_start import unauthorised_baseline


class Command(BaseCommand):
    help = ("Start unauthorised-change detection from now: CMDB history written so far is not read "
            "(after a bulk import, for example). Exceptions found already are kept.")

    def handle(self, *args, **options):
        for name, history_id in unauthorised_baseline().items():
            self.stdout.write(f"{name}: detection reads history after row {history_id}")
