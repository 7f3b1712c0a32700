"""Celery extraction workers on loopback, for the tests and `make bench`: a Redis broker
(Debian's redis-server) and worker processes started as an operator starts them
(`celery -A cnbudget.ingest.celery_worker worker`), each in its own process group, all
of it stopped on exit."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REDIS_SERVER = "redis-server"
CELERY = str(Path(sys.executable).with_name("celery"))
START_TIMEOUT_SECONDS = 180  # workers import camelot and Dagster first; the machine may be busy
STOP_TIMEOUT_SECONDS = 30


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Worker:
    name: str  # its Celery hostname
    process: subprocess.Popen
    log: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


@dataclass
class CeleryWorkers:
    """`with CeleryWorkers(folder) as workers:` a broker and `count` workers of one
    process each, handing off under `folder`; they extract into `cache_dir` (the test
    session's extraction cache, so a corpus the session extracted already costs them its
    staging only), else each into its own."""

    folder: Path
    count: int = 2
    visibility_timeout: int | None = None  # seconds; None: cnbudget's default
    writer: str | None = None  # the one worker that also takes loading steps (queue duckdb_writer)
    writer_warehouse: Path | None = None
    cache_dir: Path | None = None
    workers: list[Worker] = field(default_factory=list)
    broker: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_loopback_port()
        self.broker_url = f"redis://127.0.0.1:{self.port}/0"
        self.handoff_url = f"file://{self.folder / 'handoff'}"

    def settings(self) -> dict[str, str]:
        """The settings a load (and each worker) needs to extract on these workers."""
        found = {"CNBUDGET_CELERY_BROKER": self.broker_url, "CNBUDGET_HANDOFF_URL": self.handoff_url}
        if self.visibility_timeout is not None:
            found["CNBUDGET_CELERY_VISIBILITY_TIMEOUT"] = str(self.visibility_timeout)
        return found

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.settings()}

    def __enter__(self) -> CeleryWorkers:
        if not shutil.which(REDIS_SERVER):
            raise RuntimeError("redis-server is not installed: `make test` installs it (apt-get install redis-server)")
        try:
            self._start_broker()
            for number in range(1, self.count + 1):
                self._start_worker(f"worker{number}")
            self._wait_for_workers()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start_broker(self) -> None:
        log = (self.folder / "redis.log").open("w")
        self.broker = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.broker.poll() is not None:
                    raise RuntimeError(f"redis-server did not start: {(self.folder / 'redis.log').read_text()}")
                time.sleep(0.1)

    def _start_worker(self, name: str) -> None:
        env = {**self.environment(), "CNBUDGET_CACHE_DIR": str(self.cache_dir or self.folder / f"cache-{name}")}
        queues = "dagster"
        if name == self.writer:
            queues += ",duckdb_writer"
            env["CNBUDGET_WAREHOUSE"] = str(self.writer_warehouse)
        log = self.folder / f"{name}.log"
        process = subprocess.Popen(
            [CELERY, "-A", "cnbudget.ingest.celery_worker", "worker", "--concurrency", "1", "--queues", queues,
             "--hostname", f"{name}@cnbudget-tests", "--loglevel", "INFO"],
            env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.workers.append(Worker(f"{name}@cnbudget-tests", process, log))

    def control(self):
        from cnbudget.ingest.celery_cluster import control

        return control(self.broker_url)

    def _wait_for_workers(self) -> None:
        control = self.control()
        expected = {w.name for w in self.workers}
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            dead = [w for w in self.workers if not w.alive]
            if dead:
                raise RuntimeError(f"{dead[0].name} exited: {dead[0].log.read_text()[-3000:]}")
            answered = {name for reply in control.ping(timeout=1.0) or [] for name in reply}
            if expected <= answered:
                return
        raise RuntimeError(f"the workers did not answer within {START_TIMEOUT_SECONDS} s")

    def active(self) -> dict[str, list[dict]]:
        """Per worker, the tasks it is running (each with the pid of the process running it)."""
        return self.control().inspect(timeout=1.0).active() or {}

    def worker(self, name: str) -> Worker:
        return next(w for w in self.workers if w.name == name)

    def kill(self, worker: Worker) -> None:
        """SIGKILL the whole worker: its main process and the process extracting."""
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait()

    def stop(self) -> None:
        """Stop every process this started: workers first (warm shutdown), then the broker."""
        for worker in self.workers:
            if worker.alive:
                os.killpg(worker.process.pid, signal.SIGTERM)
        for process in [w.process for w in self.workers] + ([self.broker] if self.broker else []):
            if process is self.broker and process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # A worker's extracting process is in its group: make sure none outlives it.
        for process in [w.process for w in self.workers]:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
