"""Request bodies are read up to their limit and never cut: one byte more is a 413.

Werkzeug stops reading at ``max_content_length`` and, when the client did not declare a
length (``Transfer-Encoding: chunked``), hands over what it read as if it were the whole
body: an oversized upload was cut short and accepted. It also refused a body of exactly the
limit whenever a reader asked for more after the last byte. Here the stream reads at most
one byte past the limit; that byte proves the body too large. The limit is the request's
``max_content_length``: the app's ``MAX_CONTENT_LENGTH``, or the smaller one the JSON API
sets before it reads a body.
"""

from __future__ import annotations

from typing import IO, Any, cast

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

from osnova.http import nul


class BodyLimitStream(LimitedStream):
    """The body of a request, refused with a 413 as soon as it passes ``max_bytes``."""

    def __init__(self, stream: IO[bytes], max_bytes: int) -> None:
        super().__init__(stream, max_bytes + 1, is_max=True)
        self.max_bytes = max_bytes

    def readinto(self, buffer: bytearray) -> int | None:  # type: ignore[override]
        count = super().readinto(buffer)
        if self.tell() > self.max_bytes:
            raise RequestEntityTooLarge()
        return count


class BoundedRequest(Request):
    """Flask's request, whose body stream enforces ``max_content_length`` to the byte, and
    whose form and JSON body hold no NUL character (``http/nul.py``)."""

    _upload_files: list[IO[bytes]] | None = None

    @cached_property
    def stream(self) -> IO[bytes]:
        if self.shallow:
            raise RuntimeError("A shallow request cannot read its body.")
        limit = self.max_content_length
        # A server that sets wsgi.input_terminated (gunicorn does) ends the stream at the
        # end of the body, declared or chunked. Without it Werkzeug reads a declared length
        # only, and an undeclared body as empty: nothing is ever cut there.
        if limit is None or "wsgi.input_terminated" not in self.environ:
            return get_input_stream(self.environ, max_content_length=limit)
        declared = self.content_length
        if declared is not None and declared > limit:
            raise RequestEntityTooLarge()  # refused before a byte of it is read
        return cast(IO[bytes], BodyLimitStream(self.environ["wsgi.input"], limit))

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        file = super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )
        if self._upload_files is None:
            self._upload_files = []
        self._upload_files.append(file)
        return file

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except BaseException:
            # A form cut off mid-upload (too large, or the client went away) leaves the
            # files begun so far open: Werkzeug closes only those of a form it finished.
            for file in self._upload_files or ():
                file.close()
            raise
        nul.check_form(self.form, (file.filename for file in self.files.values()))

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        document = super().get_json(force=force, silent=silent, cache=cache)
        if document is not None:
            nul.check_json(self.get_data(cache=True) if cache else None, document)
        return document
