import zipfile

from django.core.management.base import BaseCommand, CommandError

from audits.evidence import keys, offline


class Command(BaseCommand):
    help = ("Verify an evidence bundle offline: the manifest's signature (by this installation's key unless "
            "--public-key or --any-key), every file's SHA-256, the audit-trail segment's chain and anchors. "
            "Exit status 1 when it does not verify.")

    def add_arguments(self, parser):
        parser.add_argument("bundle", help="the bundle's ZIP file")
        parser.add_argument("--public-key", help="the signer's public key (base64); default: this installation's")
        parser.add_argument("--any-key", action="store_true",
                            help="accept the key the bundle names (a bundle of another installation)")

    def handle(self, *args, **options):
        expected = None if options["any_key"] else (options["public_key"] or keys.public_key_text())
        try:
            problems, summary = offline.verify(options["bundle"], expected)
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise CommandError(f"{options['bundle']}: cannot be read as an evidence bundle ({exc})") from exc
        for problem in problems:
            self.stderr.write(f"FAIL {problem}")
        if problems:
            raise CommandError(f"{options['bundle']} does not verify ({len(problems)} problem(s)).", returncode=1)
        self.stdout.write(f"{options['bundle']} verifies: {summary['files']} files, "
                          f"{summary['trail_entries']} trail entries, signed by {summary['public_key']}.")
