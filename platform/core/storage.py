"""Private file storage: outside the web root, generated names, served only through views."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages


class PrivateFileStorage(FileSystemStorage):
    """Local files under PRIVATE_MEDIA_ROOT, read from settings at each use (tests move it)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("base_url", None)
        super().__init__(**kwargs)

    @property
    def base_location(self):  # type: ignore[override]
        return str(self._location or settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("private files are served through views that check ownership")


def private_storage() -> Storage:
    """The storage for private originals and generated media (a callable keeps migrations clean)."""
    return storages["private"]


class FileContent(Protocol):
    content: bytes
    extension: str


@contextmanager
def stored_private_file(file: FileContent | None, *, folder: str) -> Iterator[str | None]:
    """Store ``file`` under a generated name; delete it again if the block fails.

    Used around the transaction that records the file, so a refused or rolled-back change
    leaves no file behind. Yields the stored name (None when there is no file).
    """
    if file is None:
        yield None
        return
    storage = private_storage()
    name = storage.save(f"{folder}/{uuid.uuid4().hex}{file.extension}", ContentFile(file.content))
    try:
        yield name
    except BaseException:
        storage.delete(name)
        raise
