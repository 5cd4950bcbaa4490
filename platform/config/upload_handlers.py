"""Request bodies spooled to disk without a name, so a killed worker leaves nothing behind.

Django writes an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a *named* temporary file and
deletes it when the request ends; a web worker killed mid-request (a server timeout, SIGKILL,
the out-of-memory killer) never gets there, and the file stays. Here the spool is an anonymous
file (``tempfile.TemporaryFile``: O_TMPFILE, or unlinked at once), which the kernel frees with
the last descriptor, however the process ends. Nothing in the project needs an upload's path:
services read the stream, and the examination sandbox gets the descriptor.
"""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class AnonymousUploadedFile(UploadedFile):
    """An upload spooled to a temporary file that has no name on disk."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        spool = tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)
        super().__init__(spool, name, content_type, size, charset, content_type_extra)


class AnonymousFileUploadHandler(TemporaryFileUploadHandler):
    """Streams a large upload into an :class:`AnonymousUploadedFile`."""

    def new_file(self, *args, **kwargs):
        super(TemporaryFileUploadHandler, self).new_file(*args, **kwargs)
        self.file = AnonymousUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def upload_interrupted(self):
        if hasattr(self, "file"):
            self.file.close()  # the kernel frees an unnamed file with its last descriptor
