"""gunicorn's settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (docs/deploy.md).

Every value comes from the environment, with defaults for one 2-core host behind a reverse proxy on the same host.
"""

import multiprocessing
import os

#: Where the reverse proxy reaches the app; a Unix socket ("unix:/run/aftercare/web.sock") works as well.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: Processes: twice the cores plus one by default (gunicorn's own advice); WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
#: Threads per process: requests wait on PostgreSQL more than they compute, so a few threads each help.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
#: A request taking longer than this is cut off and its worker replaced (PDFs of long agreements take seconds).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
#: Workers are replaced after this many requests (with jitter, not all at once), so a slow leak never grows.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200

#: The access log on stdout (journald keeps it), each line with its request id (the X-Request-ID the app
#: answers with) and the time taken in microseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus request_id=%({x-request-id}o)s ref="%(f)s" ua="%(a)s"'
#: The proxy's address, whose X-Forwarded-Proto and X-Forwarded-For gunicorn believes (the scheme of links).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips
#: Every worker imports the app itself: a code upgrade then needs only `systemctl reload aftercare-web`.
preload_app = False


def child_exit(server, worker):
    """A worker gone: its multiprocess metrics files are marked dead, so gauges do not count it any more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
