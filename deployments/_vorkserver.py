"""The fork server of a worker machine in the cluster layout (one next to every `prefect worker
start --pool`, on the same machine; scripts/cluster.py starts it as part of the worker's node):

    python -m deployments._vorkserver --socket /run/vt/vorkserver.sock

A process worker starts each flow run, also each resumed lifecycle run, with the job command
`python -I -S deployments/_vorkstarter.py` (deployments/werkpool.py). That tiny launcher connects
here; this process has imported Prefect's engine and all our code and done the warm-up work once
(the list `deployments.serve` preloads its forkserver with, and `deployments._opwarmen`), and forks
one child per launcher. The child takes over the launcher's environment (the flow run id, the
worker's control port and token), working directory, arguments and stdin/stdout/stderr, and runs
`prefect.engine` as `__main__`, exactly as the cold `python -m prefect.engine` would: a run
starts in milliseconds instead of importing for seconds.

The child reads Prefect's settings again from the launcher's environment; what Prefect set up
at import (its logging configuration) and our settings cache come from this process's, so start
it with the same environment as its worker (scripts/cluster.py does).

Forking is safe because this process stays single-threaded, opens no client, no event loop and no
database connection before it forks (checked at start: a thread refuses the start, and the
launchers then run cold). Each child gets a process group of its own: stopping or restarting the
fork server (an upgrade) leaves running runs alone; they report their exit status to their
launcher themselves. A child whose launcher dies (the worker's SIGKILL after a cancel) kills
itself, as the cold process would have been killed.

Protocol, over a UNIX socket only this user may open: the launcher sends a 4-byte length and a
JSON request {env, cwd, argv} with its fds 0, 1, 2 (SCM_RIGHTS); this server answers ("p", pid)
and, when the child ends, ("x", status) with status negative for a signal (the child itself sends
("x", code) first when it exits normally). The launcher sends one byte per signal to pass on.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import json
import logging
import os
import pkgutil
import runpy
import selectors
import signal
import socket
import struct
import sys
import threading
import warnings
from pathlib import Path

from deployments._vorkstarter import BERICHT

_log = logging.getLogger("vt.vorkserver")
_MAX_VERZOEK = 1 << 20


def voorladen() -> None:
    """Import everything a run needs, as serving does, then the warm-up."""
    import deployments as pakket
    from deployments._voorladen import voorlaadlijst

    for module in pkgutil.iter_modules(pakket.__path__):
        if not module.name.startswith("_") and module.name != "werkpool":
            importlib.import_module(f"deployments.{module.name}")
    # What `python -m prefect.engine` imports on a worker besides what serving preloads; the
    # warm-up (deployments._opwarmen) stays last.
    for naam in ["prefect.engine", "prefect._internal.metrics", "prefect.deployments.steps", *voorlaadlijst()]:
        importlib.import_module(naam)


class Vorkserver:
    def __init__(self, pad: Path) -> None:
        self.pad = pad
        self.kinderen: dict[int, socket.socket] = {}  # child pid -> its launcher's connection
        pad.unlink(missing_ok=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        oud = os.umask(0o177)  # the socket starts runs with any environment: this user only
        try:
            self.server.bind(str(pad))
        finally:
            os.umask(oud)
        self.server.listen(256)
        self.wek_r, self.wek_w = os.pipe()
        for fd in (self.wek_r, self.wek_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(self.wek_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop through the pipe
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.server, selectors.EVENT_READ)
        self.selector.register(self.wek_r, selectors.EVENT_READ)

    def draai(self) -> None:
        while True:
            for sleutel, _ in self.selector.select():
                if sleutel.fileobj is self.server:
                    self.aanvaard()
                else:
                    while True:
                        try:
                            if not os.read(self.wek_r, 512):
                                break
                        except BlockingIOError:
                            break
                    self.ruim_op()

    def aanvaard(self) -> None:
        verbinding, _ = self.server.accept()
        try:
            verbinding.settimeout(10)  # a launcher sends its request at once
            verzoek, fds = _lees_verzoek(verbinding)
            verbinding.settimeout(None)
        except (OSError, ValueError) as fout:
            _log.warning("Verzoek van een starter onleesbaar: %s", fout)
            verbinding.close()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                self.kind(verbinding, fds, verzoek)
            finally:
                os._exit(1)  # never back into this loop
        for fd in fds:
            os.close(fd)
        try:
            verbinding.sendall(BERICHT.pack(b"p", pid))
        except OSError:  # the launcher is gone: so must its run be
            os.kill(pid, signal.SIGKILL)
        self.kinderen[pid] = verbinding
        _log.info("Run %s gestart als proces %d", verzoek["env"].get("PREFECT__FLOW_RUN_ID"), pid)

    def ruim_op(self) -> None:
        """Reap every child that ended and tell its launcher how."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if (verbinding := self.kinderen.pop(pid, None)) is not None:
                try:
                    verbinding.sendall(BERICHT.pack(b"x", os.waitstatus_to_exitcode(status)))
                except OSError:
                    pass  # the launcher left after the child's own report
                verbinding.close()

    def kind(self, verbinding: socket.socket, fds: list[int], verzoek: dict) -> None:
        """In the forked child: become the launcher's `python -m prefect.engine`."""
        signal.set_wakeup_fd(-1)
        for sig, standaard in ((signal.SIGCHLD, signal.SIG_DFL), (signal.SIGTERM, signal.SIG_DFL),
                               (signal.SIGINT, signal.default_int_handler)):
            signal.signal(sig, standaard)
        os.setpgid(0, 0)
        self.selector.close()
        self.server.close()
        for andere in self.kinderen.values():
            andere.close()
        os.close(self.wek_r)
        os.close(self.wek_w)
        for doel, fd in enumerate(fds):
            os.dup2(fd, doel)
            if fd > 2:
                os.close(fd)
        os.chdir(verzoek["cwd"])
        os.environ.clear()
        os.environ.update(verzoek["env"])
        sys.argv = [sys.argv[0], *verzoek["argv"]]
        import prefect.context

        prefect.context.refresh_global_settings_context()  # the settings of the worker's job, not ours
        _voer_engine_uit(verbinding)


def _lees_verzoek(verbinding: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(verbinding, 65536, 3)
    if len(fds) != 3 or len(data) < 4:
        for fd in fds:
            os.close(fd)
        raise ValueError("geen drie bestandsbeschrijvers of geen lengte")
    lengte = struct.unpack("!I", data[:4])[0]
    if lengte > _MAX_VERZOEK:
        raise ValueError("verzoek te groot")
    data = data[4:]
    while len(data) < lengte:
        if not (deel := verbinding.recv(lengte - len(data))):
            raise ValueError("verbinding dicht tijdens het verzoek")
        data += deel
    return json.loads(data), list(fds)


def _voer_engine_uit(verbinding: socket.socket) -> None:
    """Run `prefect.engine` as `__main__`, then end as the interpreter would (threads, atexit,
    flush), report the exit code to the launcher and leave without unwinding into the server."""
    klaar = threading.Event()

    def luister() -> None:  # signals from the launcher; its end of the connection closed: it died
        while True:
            try:
                data = verbinding.recv(64)
            except OSError:
                data = b""
            if klaar.is_set():
                return
            if not data:
                os.kill(os.getpid(), signal.SIGKILL)
            for nummer in data:
                os.kill(os.getpid(), nummer)

    threading.Thread(target=luister, name="vorkstarter", daemon=True).start()
    code = 1
    try:
        # runpy warns that prefect.engine is already imported: here on purpose. Only that warning.
        warnings.filterwarnings("ignore", message=r"'prefect\.engine' found in sys\.modules", category=RuntimeWarning)
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as einde:
        code = einde.code if isinstance(einde.code, int) else (0 if einde.code is None else 1)
        if not isinstance(einde.code, (int, type(None))):
            print(einde.code, file=sys.stderr)
    except BaseException:
        sys.excepthook(*sys.exc_info())
    threading._shutdown()  # what Py_Finalize does first: wait for the run's non-daemon threads
    atexit._run_exitfuncs()
    for stroom in (sys.stdout, sys.stderr):
        try:
            stroom.flush()
        except (OSError, ValueError):
            pass
    klaar.set()
    try:
        verbinding.sendall(BERICHT.pack(b"x", code))
    except OSError:
        pass
    os._exit(code)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Voorgeladen proces waaruit de runs van deze worker-machine starten.")
    parser.add_argument("--socket", type=Path, required=True, help="UNIX-socket (VT_VORKSERVER_SOCKET van de worker)")
    argumenten = parser.parse_args(argv)
    _log.setLevel(logging.INFO)  # Prefect's logging setup (on import) leaves the root at WARNING
    voorladen()
    if (draden := threading.active_count()) != 1:  # a fork would copy a lock held by another thread
        raise SystemExit(f"Voorgeladen proces niet gestart: {draden} threads na het voorladen (mag er één zijn).")
    server = Vorkserver(argumenten.socket.resolve())
    _log.info("Klaar: runs van deze machine starten uit %s", server.pad)
    server.draai()


if __name__ == "__main__":
    main()
