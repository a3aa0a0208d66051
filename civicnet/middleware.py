import logging
import time

from core import request_id as request_id_context

logger = logging.getLogger("civicnet.request")


class RequestLogMiddleware:
    """Logs one structured line per request and hands the request id back in a header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        token = request_id_context.activate(request.headers.get("X-Request-ID"))
        request_id = request_id_context.current()
        try:
            response = self.get_response(request)
        finally:
            request_id_context.deactivate(token)
        response["X-Request-ID"] = request_id
        if not logger.isEnabledFor(logging.INFO):
            return response
        user = getattr(request, "user", None)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response
