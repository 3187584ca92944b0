"""gunicorn settings for Rehearse: ``gunicorn -c deploy/gunicorn.conf.py "app:create_app()"``.

Every value can be overridden on the command line or through GUNICORN_* variables
read here (bench/load.py passes its own bind address and worker count).
"""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Synchronous workers, one per core: a request is CPU-bound Python plus short database calls.
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 2)))
worker_class = "sync"
# Above SQLITE_BUSY_TIMEOUT_MS (20 s, config.py) so a waiting SQLite write gets its 503 page, not a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Import the app once in the master: workers fork with its code and templates' modules already loaded,
# and the objects frozen below are shared copy-on-write between workers.
preload_app = True
# Recycle workers now and then (with jitter so they do not restart together) to bound slow leaks.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = 1000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
control_socket_disable = True  # gunicorn 27 would otherwise create a control socket in the home folder


def when_ready(server):
    """Move everything loaded at start-up out of the cyclic collector's reach before workers fork.

    The app holds ~190,000 long-lived objects after start-up (models, templates,
    translations); without this each full collection walks them all, a few
    milliseconds now and then in the middle of a request, and touching their GC
    headers unshares the forked workers' memory pages.
    """
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    """Freeze again in the worker, so objects created while forking are not scanned either."""
    gc.freeze()


def post_worker_init(worker):
    """Drop database connections inherited from the master (preload_app): each worker opens its own."""
    app = worker.wsgi
    try:
        from app.extensions import db

        with app.app_context():
            db.engine.dispose(close=False)
    except Exception:  # noqa: BLE001 - a non-Rehearse app object or no engine yet: nothing to dispose
        pass
