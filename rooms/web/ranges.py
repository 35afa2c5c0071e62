"""A file from storage as an HTTP answer that can be sought: one `Range` (206), or the whole file (200).

Django's FileResponse answers no ranges, and under ASGI it reads a file whole
into memory on the thread the chat's database calls share before sending a
byte. When no nginx sits in front (X-Accel-Redirect) or no bucket serves the
file (a signed URL), daphne sends attachments itself, and a video or a voice
note can only be sought if the server answers `Range: bytes=…` (RFC 9110 §14).
Hand-written because neither Django nor a kept library does this for a
Django storage file: one range is answered; several (rare; browsers ask for
one) get the whole file, which the RFC allows; a range past the end is 416.
The bytes are read in chunks on a worker thread of their own, never the chat's.
"""

import re

from asgiref.sync import sync_to_async
from django.http import HttpResponse, StreamingHttpResponse

CHUNK_BYTES = 256 * 1024
# bytes=first-last, bytes=first-, bytes=-suffix; at most 19 digits (larger than any file; int() stays cheap).
_ONE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d{0,19})\s*-\s*(\d{0,19})\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The range asks for no byte the file has: 416."""


def requested_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte (inclusive) that `header` asks of a file of `size` bytes; None for the whole file.

    None when there is no header, it is not one well-formed byte range (the RFC lets a
    server ignore it), or it names several. Unsatisfiable when it starts past the end.
    """
    match = _ONE_RANGE.match(header or "")
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # the last `last` bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    if last != "" and int(last) < start:
        return None  # not a valid range: ignored, the whole file
    if start >= size:
        raise Unsatisfiable
    return start, size - 1 if last == "" else min(int(last), size - 1)


class _Body:
    """`length` bytes of an open file from `start`, read off the chat's thread; close() closes the file.

    StreamingHttpResponse calls its content's close() once the response is sent, or abandoned.
    """

    def __init__(self, handle, start: int, length: int):
        self.handle, self.start, self.length = handle, start, length

    def _read(self, offset: int, count: int) -> bytes:
        self.handle.seek(offset)
        return self.handle.read(count)

    async def __aiter__(self):
        read = sync_to_async(self._read, thread_sensitive=False)
        offset, left = self.start, self.length
        while left > 0:
            chunk = await read(offset, min(CHUNK_BYTES, left))
            if not chunk:
                break
            yield chunk
            offset += len(chunk)
            left -= len(chunk)

    def close(self) -> None:
        self.handle.close()


def file_response(request, handle, *, content_type: str, etag: str) -> HttpResponse | StreamingHttpResponse:
    """`handle` (an open storage file) as 200, 206 or 416 for `request`'s Range; `etag` names this file's bytes.

    chatsite's files never change once stored (a new upload is a new name), so the ETag is
    the name, and If-Range with any other validator gets the whole file.
    """
    handle.seek(0, 2)
    size = handle.tell()
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        header = ""
    try:
        wanted = requested_range(header, size)
    except Unsatisfiable:
        handle.close()
        response = HttpResponse(status=416, content_type="text/plain; charset=utf-8")
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = wanted if wanted is not None else (0, size - 1)
    length = end - start + 1 if size else 0
    body = _Body(handle, start, 0 if request.method == "HEAD" else length)
    response = StreamingHttpResponse(body, content_type=content_type, status=206 if wanted is not None else 200)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if wanted is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response
