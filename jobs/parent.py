"""`python -m jobs run --exit-with-parent`: the sidecar stops when its parent process dies."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL_S = 1.0


def exit_with_parent() -> None:
    """Send ourselves SIGTERM (the scheduler's graceful stop) when the parent dies.

    Linux: the kernel delivers it (PR_SET_PDEATHSIG), even if the parent was SIGKILLed. Also,
    everywhere: a daemon thread watching for re-parenting, which covers other systems and a
    parent that died before prctl took effect."""
    parent = os.getppid()
    if sys.platform == "linux":
        _set_death_signal(signal.SIGTERM)
    watcher = threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True)
    watcher.start()


def _set_death_signal(signum: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d): watching the parent pid only",
                    ctypes.get_errno())  # fmt: skip


def _watch(parent: int) -> None:
    stopped = threading.Event()
    while not stopped.wait(WATCH_INTERVAL_S):
        if os.getppid() != parent:
            log.warning("parent process %d is gone: stopping the sidecar", parent)
            os.kill(os.getpid(), signal.SIGTERM)
            return
