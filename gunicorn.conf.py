"""gunicorn settings for production. gunicorn reads ./gunicorn.conf.py by itself, so
`gunicorn itsm.wsgi` from the repository root (Procfile, Dockerfile, systemd) uses them.

Threads suit this application: requests mostly wait on PostgreSQL, and each thread holds
one database connection, so workers x threads must stay below PostgreSQL's max_connections
(divided by the number of web hosts, leaving room for Celery workers).
"""

import os

bind = f"{os.environ.get('BIND_ADDRESS', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request that takes longer than this is a bug or an overload; the worker is restarted.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that slow memory growth never accumulates.
max_requests = 2000
max_requests_jitter = 200
# No preload_app: `kill -HUP <master>` then reloads new code without dropping requests.

accesslog = "-"
# %(U)s is the path without the query string: search terms and tokens passed in a query
# never reach the logs. %(M)s is the duration in milliseconds.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
# %(h)s is the client's address behind PROXY_COUNT proxies (itsm/client_address.py), not the proxy's.
logger_class = "itsm.gunicorn_logging.AccessLogger"
errorlog = "-"

# Managed with signals (HUP: reload, TERM: graceful stop). The control socket would sit at one
# path per user ($HOME/.gunicorn/gunicorn.ctl), shared by every gunicorn of that user on the
# host, and $HOME is not writable for the image's user.
control_socket_disable = True
