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

    Linux: the kernel delivers it (PR_SET_PDEATHSIG), even if the parent was SIGKILLed; a
    parent that died before prctl took effect is caught by comparing pids right after. Other
    systems (or a failed prctl): a daemon thread watches for re-parenting. Never both: one
    signal is enough, and the scheduler ignores a second."""
    parent = os.getppid()
    if sys.platform == "linux" and _set_death_signal(signal.SIGTERM):
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
        return
    watcher = threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True)
    watcher.start()


def _set_death_signal(signum: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d): watching the parent pid instead",
                    ctypes.get_errno())  # fmt: skip
        return False
    return True


def _watch(parent: int) -> None:
    stopped = threading.Event()
    while not stopped.wait(WATCH_INTERVAL_S):
        if os.getppid() != parent:
            log.warning("parent process %d is gone: stopping the sidecar", parent)
            os.kill(os.getpid(), signal.SIGTERM)
            return
