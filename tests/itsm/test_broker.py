"""The embedded default's broker survives a message file cut short (a writer killed mid-write)."""

import os

from kombu import Connection

from itsm.broker import PARTIAL_SUFFIX


def connect(folder):
    control = folder.parent / f"{folder.name}-control"  # kombu's exchange tables (else ./control)
    control.mkdir(exist_ok=True)
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "processed_folder": str(folder),
               "control_folder": str(control)}
    return Connection("filesystem://", transport="itsm.broker:FilesystemTransport", transport_options=options)


def test_an_empty_message_file_is_skipped_and_the_next_message_delivered(tmp_path):
    with connect(tmp_path) as connection:
        queue = connection.SimpleQueue("tasks")
        (tmp_path / "1_cut-short.tasks.msg").write_bytes(b"")  # what a killed writer left behind
        queue.put({"n": 1})

        assert queue.get(timeout=1).payload == {"n": 1}
        queue.close()


def test_a_message_appears_only_complete(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def replace(source, target):
        seen.append(sorted(os.listdir(tmp_path)))  # the folder just before the rename
        real_replace(source, target)

    monkeypatch.setattr("itsm.broker.os.replace", replace)
    with connect(tmp_path) as connection:
        # A queue name of its own: kombu remembers declared queues per process, not per folder.
        connection.SimpleQueue("complete").put({"n": 1})

    files = [name for name in seen[0] if name.endswith("complete.msg") or name.endswith(PARTIAL_SUFFIX)]
    assert files and all(name.endswith(PARTIAL_SUFFIX) for name in files)  # readers take *.complete.msg only
    assert [name for name in os.listdir(tmp_path) if name.endswith(".complete.msg")]
