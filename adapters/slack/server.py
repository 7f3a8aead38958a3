"""Running the Slack app: HTTP on --host/--port (POST /slack/events) or Socket Mode."""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

from adapters.slack.app import SlackAdapter

log = logging.getLogger(__name__)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per request, so a slow listener never blocks the next request."""

    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to the logger at debug level, not to stderr."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        log.debug("slack http: " + format, *args)


def http_server(adapter: SlackAdapter, host: str, port: int) -> WSGIServer:
    """A bound server taking commands, events and interactions at POST /slack/events
    (and /slack/install, /slack/oauth_redirect when the OAuth flow is configured)."""
    return make_server(host, port, SlackRequestHandler(adapter.app),
                       server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def serve_http_in_thread(adapter: SlackAdapter, host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """Start the HTTP server on a daemon thread; returns the server (call shutdown() to stop)."""
    server = http_server(adapter, host, port)
    thread = threading.Thread(target=server.serve_forever, name="slack-http", daemon=True)
    thread.start()
    return server, thread


def socket_mode(adapter: SlackAdapter, app_token: str) -> SocketModeHandler:
    """A Socket Mode handler (no public URL needed); call connect() to start it."""
    return SocketModeHandler(adapter.app, app_token=app_token, web_client=adapter.app.client)
