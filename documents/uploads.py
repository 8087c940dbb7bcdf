"""Django upload handler that keeps files in memory and stops at the size limit."""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class LimitedMemoryUploadHandler(FileUploadHandler):
    """Counts bytes as they arrive and abandons the request past NPP_UPLOAD_MAX_BYTES,
    marking `request.upload_too_large` so the view can say why. Nothing is written
    to disk at any point."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > settings.NPP_UPLOAD_MAX_BYTES:
            self.buffer = BytesIO()
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
