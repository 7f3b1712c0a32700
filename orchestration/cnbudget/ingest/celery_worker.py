"""The Celery app of cnbudget's extraction workers:

    CNBUDGET_CELERY_BROKER=redis://127.0.0.1:6379/0 \\
        celery -A cnbudget.ingest.celery_worker worker --concurrency 1

It runs the task Dagster's celery executor sends (one step of a run: a document's
extraction). Importing this module, in the worker's main process, imports camelot and
the ingest job once: the processes that extract are forked from it and start ready.
"""

from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from cnbudget.ingest.celery_cluster import app_args
from cnbudget.ingest.job import ingest_documents_on_celery

app = make_app(app_args())  # the broker of CNBUDGET_CELERY_BROKER, or a one-line error
execute_plan = create_task(app)

import camelot  # noqa: E402,F401 - imported now for its import time

ingest_documents_on_celery()
