"""The embedded default's message broker: kombu's filesystem transport, made crash-safe.

kombu writes a message file in place (open, then write): a worker could take a file that was
still empty, and a process killed in the middle of a write left it empty for good. Either
stopped the worker ("Unrecoverable error: JSONDecodeError"), at every start after. Here a
message is written under a name no reader picks up and renamed into place once complete
(atomic within one folder), and a reader sets an unreadable file aside with a warning.
Production runs on Redis and does not use this.
"""

import logging
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

log = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"  # readers take only "<stamp>_<id>.<queue>.msg"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        # The name kombu gives a message: the folder sorts them oldest first.
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        while True:  # ends with a message, or Empty once no file of the queue is left
            try:
                return super()._get(queue)
            except ValueError:  # the file's text is not a message (kombu has removed it)
                log.warning("skipped an unreadable message file in queue %s (a write cut short)", queue)


class FilesystemTransport(filesystem.Transport):
    Channel = Channel
