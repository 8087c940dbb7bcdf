"""A test-only email backend for the real-worker tests: Django's file backend, made
slow so that a SIGKILL lands mid-send, and keeping a journal of each send so the
test knows where the kill landed.

Each message is written as: journal "begin", sleep NPP_TEST_EMAIL_DELAY_BEFORE,
write and flush the message, journal "written", sleep NPP_TEST_EMAIL_DELAY_AFTER.
A process killed after "written" and before the task recorded the send is the one
window in which a second send (a duplicate) is allowed.
"""

from __future__ import annotations

import os
import time

from django.core.mail.backends.filebased import EmailBackend as FileBackend


def journal(event: str, message_id: str) -> None:
    path = os.environ.get("NPP_TEST_MAIL_JOURNAL")
    if not path:
        return
    line = f"{time.time():.6f} {os.getpid()} {event} {message_id}\n".encode()
    # One write(2) per line on an O_APPEND file: lines from processes never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


class EmailBackend(FileBackend):
    def write_message(self, message) -> None:
        message_id = message.extra_headers.get("Message-ID", "?")
        journal("begin", message_id)
        time.sleep(float(os.environ.get("NPP_TEST_EMAIL_DELAY_BEFORE", "0")))
        super().write_message(message)
        self.stream.flush()
        os.fsync(self.stream.fileno())
        journal("written", message_id)
        time.sleep(float(os.environ.get("NPP_TEST_EMAIL_DELAY_AFTER", "0")))
