"""Logging filters that keep expected refusals to one line.

Kept free of models and apps, so the logging configuration can load it first.
"""

import logging


class RefusalWithoutTraceback(logging.Filter):
    """A request Django refused as too big (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent).

    Django answers 400 and logs it at ERROR with the exception's traceback, as
    if it were a fault; it is a client's mistake, and chatsite has answered it.
    The record becomes one WARNING line without the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            record.msg = f"{record.getMessage()} (refused with 400)"
            record.args = ()
            record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class HealthAnswer(logging.Filter):
    """/healthz answering 503: the answer a load balancer polls for, not a fault.

    Django logs every 5xx response at ERROR ("Service Unavailable: /healthz");
    the health check has already logged which part failed, as a warning
    (rooms/web/health.py). That record becomes a WARNING too. A page answered
    503 because the database is away (rooms/web/outage.py marks its request) is
    not logged again: the outage has its one warning already. Any other passes untouched.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if getattr(request, "database_outage", False):
            return False
        if getattr(record, "status_code", None) == 503 and getattr(request, "path", None) == "/healthz":
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class UnparsableBody(logging.Filter):
    """A multipart body Django cannot parse (no boundary, a broken one): answered 400, logged as one line.

    Django logs it on django.request at WARNING with the parser's traceback; it is a
    client's mistake. (Twisted used to parse every multipart body first and drop such a
    request itself; chatsite leaves bodies to Django now: rooms/ws/daphne.py.)
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and type(error).__name__ == "MultiPartParserError":
            record.msg = f"{record.getMessage()}: {error} (refused with 400)"
            record.args = ()
            record.exc_info = record.exc_text = None
        return True
