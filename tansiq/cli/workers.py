"""Several server processes on one port (`TANSIQ_WORKERS`): one Python process uses one core.

The parent binds the socket and starts the workers, each a whole server with its own feed hub;
the kernel spreads new connections between them. They share nothing but the database: writes
queue on the database's lock file, and each hub reads the events the others wrote from the log
(every `TANSIQ_FEED_POLL_SECONDS`), so every subscriber still gets every event, once and in
order. The workers run in their own process group, so Ctrl-C (or SIGTERM to the parent) reaches
each of them exactly once, through the parent; a worker that dies is replaced.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.context import SpawnProcess
from types import FrameType

from tansiq.config import Settings

logger = logging.getLogger("tansiq.workers")
STOP_TIMEOUT_S = 15.0

multiprocessing.allow_connection_pickling()  # lets the listening socket go to spawned workers


def _worker(host: str, port: int, sock: socket.socket) -> None:
    os.setpgid(0, 0)  # the parent alone decides when we stop (see module docstring)
    from tansiq.cli.main import serve_on

    serve_on(Settings(), host, port, sockets=[sock])


def run_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    _ = settings.signing_key  # create the key file once, before workers race to create it
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    spawn = multiprocessing.get_context("spawn")

    def start() -> SpawnProcess:
        proc = spawn.Process(target=_worker, args=(host, port, sock), daemon=False)
        proc.start()
        return proc

    stopping = False

    def stop(_sig: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs = [start() for _ in range(workers)]
    try:
        while not stopping:
            time.sleep(0.2)
            for i, proc in enumerate(procs):
                if not proc.is_alive() and not stopping:
                    logger.error(
                        "worker %s exited with %s; starting another", proc.pid, proc.exitcode
                    )
                    procs[i] = start()
    finally:
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGINT)  # each finishes its feeds' closing messages
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
