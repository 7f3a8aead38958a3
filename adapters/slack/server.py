"""Running the Slack app: HTTP on --host/--port (POST /slack/events) or Socket Mode.

HTTP is served by waitress, a production WSGI server (HTTP/1.1 keep-alive, a fixed pool of
request threads, bounded request sizes), rather than the standard library's wsgiref, which
its own documentation says is not for production: HTTP/1.0 only, a new connection and a new
thread for every request.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import waitress
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)
# Request threads only verify, ack and hand the work on (lanes.py), so they are rarely busy
# for long; 16 keeps acks prompt while Slack sends a burst.
HTTP_THREADS = 16
MAX_BODY = 1 << 20  # Slack payloads are a few KB; refuse anything over 1 MB


class HttpServer:
    """A waitress server for one bolt app, run on a thread and stoppable from another."""

    def __init__(self, app: Any, host: str, port: int, threads: int = HTTP_THREADS) -> None:
        self._server: Any = waitress.create_server(
            SlackRequestHandler(app), host=host, port=port, threads=threads, ident="shipbot",
            max_request_body_size=MAX_BODY)
        self.port = int(self._server.effective_port)
        self._thread: threading.Thread | None = None

    def start(self) -> HttpServer:
        """Serve on a daemon thread."""
        self._thread = threading.Thread(target=self._server.run, name="slack-http", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listener and every connection, then let running requests finish."""
        server = self._server

        def close_all() -> None:  # runs on the server's own loop thread
            for channel in list(server._map.values()):
                if channel is not server.trigger:
                    channel.close()
            server.trigger.close()

        if self._thread is not None and self._thread.is_alive():
            server.trigger.pull_trigger(close_all)
            self._thread.join(timeout)
        else:
            server.close()
        server.task_dispatcher.shutdown(timeout=timeout)


def serve_http_in_thread(adapter: SlackAdapter, host: str, port: int) -> HttpServer:
    """Serve commands, events and interactions at POST /slack/events (and /slack/install,
    /slack/oauth_redirect when the OAuth flow is configured); call stop() to end."""
    return HttpServer(adapter.app, host, port).start()


def socket_mode(adapter: SlackAdapter, app_token: str) -> SocketModeHandler:
    """A Socket Mode handler (no public URL needed); call connect() to start it."""
    return SocketModeHandler(adapter.app, app_token=app_token, web_client=adapter.app.client)
