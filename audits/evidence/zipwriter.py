"""Writing a bundle's ZIP one file at a time, each streamed: rows are encoded and compressed as
they come, and every file's SHA-256, size and row count are taken on the way for the manifest.
Nothing holds a whole file in memory."""

import hashlib
import json
import shutil
import zipfile
from collections.abc import Callable, Iterable

from django.core.serializers.json import DjangoJSONEncoder

COPY_BUFFER = 1 << 20


class Encoder(DjangoJSONEncoder):
    """Dates, durations, decimals and UUIDs as Django writes them; anything else (a model
    instance in a report) as its text."""

    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def json_line(row) -> bytes:
    return (json.dumps(row, cls=Encoder, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


class ZipWriter:
    def __init__(self, path, *, on_row: Callable[[], None] = lambda: None):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.files: list[dict] = []  # the manifest's list: one small dict per file
        self.on_row = on_row

    def _entry(self, name: str, chunks: Iterable[bytes], rows: int | None = None) -> dict:
        digest, size, count = hashlib.sha256(), 0, 0
        with self.zip.open(name, "w", force_zip64=True) as handle:
            for chunk in chunks:
                handle.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                count += 1
        info = {"name": name, "sha256": digest.hexdigest(), "size": size}
        if rows is not None:
            info["rows"] = count
        self.files.append(info)
        return info

    def write_rows(self, name: str, rows: Iterable[dict]) -> dict:
        """A JSON-lines file, one row per line, streamed from `rows`."""

        def lines():
            for row in rows:
                self.on_row()
                yield json_line(row)

        return self._entry(name, lines(), rows=0)

    def write_json(self, name: str, value) -> dict:
        return self._entry(name, [json.dumps(value, cls=Encoder, ensure_ascii=False, sort_keys=True,
                                             indent=1).encode("utf-8")])

    def write_stream(self, name: str, stream) -> dict:
        """A file copied in 1 MiB pieces (attached files)."""
        return self._entry(name, iter(lambda: stream.read(COPY_BUFFER), b""))

    def write_unlisted(self, name: str, data: bytes) -> None:
        """The manifest and its signature: in the ZIP, not in the manifest's list."""
        self.zip.writestr(name, data)

    def close(self) -> None:
        self.zip.close()


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        shutil.copyfileobj(handle, _Sink(digest), COPY_BUFFER)
    return digest.hexdigest()


class _Sink:
    def __init__(self, digest):
        self.digest = digest

    def write(self, data):
        self.digest.update(data)
