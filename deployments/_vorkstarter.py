"""The command a process worker runs for each flow run in the cluster layout, in place of
`python -m prefect.engine` (deployments/werkpool.py sets it as the job's `command`):

    python -I -S deployments/_vorkstarter.py

Standard library only, started without site-packages (about 20 ms, where a cold engine imports
Prefect and our code for seconds). It hands the run to the fork server of its machine
(deployments/_vorkserver.py, socket at `VT_VORKSERVER_SOCKET`): its environment (the flow run id,
the worker's control port and token), working directory, arguments, and its stdin/stdout/stderr,
so the worker streams the run's output as if this process wrote it. The fork server forks a
child that runs `prefect.engine` as `__main__`. This process waits for the child's exit status
and exits with it; SIGTERM/SIGINT/SIGHUP from the worker (a cancel) are passed on to the child,
and if this process dies (the worker's SIGKILL), the child kills itself.

No fork server reachable (not started, gone, no socket set): the cold command is exec'ed, so no
run is lost.
"""

import json
import os
import signal
import socket
import struct
import sys

SOCKET_VARIABELE = "VT_VORKSERVER_SOCKET"
DOORGEGEVEN = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Messages of the fork server: the child's pid, then its exit status (negative: killed by signal).
BERICHT = struct.Struct("!ci")


def koud() -> None:
    """The worker's own command: a fresh interpreter that imports everything itself."""
    os.execv(sys.executable, [sys.executable, "-m", "prefect.engine", *sys.argv[1:]])


def verbind() -> socket.socket | None:
    pad = os.environ.get(SOCKET_VARIABELE)
    if not pad:
        return None
    verbinding = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        verbinding.connect(pad)
        verzoek = json.dumps({"env": dict(os.environ), "cwd": os.getcwd(), "argv": sys.argv[1:]}).encode()
        socket.send_fds(verbinding, [struct.pack("!I", len(verzoek)) + verzoek], [0, 1, 2])
        soort, _pid = ontvang(verbinding)
        if soort != b"p":
            raise OSError("geen pid")
        return verbinding
    except (OSError, EOFError):  # a child forked already sees this close and kills itself
        verbinding.close()
        return None


def ontvang(verbinding: socket.socket) -> tuple[bytes, int]:
    data = b""
    while len(data) < BERICHT.size:
        deel = verbinding.recv(BERICHT.size - len(data))
        if not deel:
            raise EOFError
        data += deel
    return BERICHT.unpack(data)


def main() -> None:
    verbinding = verbind()
    if verbinding is None:
        koud()

    def geef_door(nummer: int, _frame) -> None:  # to the child, as one byte; it signals itself
        try:
            verbinding.send(bytes([nummer]))
        except OSError:
            pass  # the child has just ended: its status follows

    for sig in DOORGEGEVEN:
        signal.signal(sig, geef_door)
    try:
        _soort, status = ontvang(verbinding)
    except EOFError:  # the fork server and the child are both gone without a word
        status = -signal.SIGKILL
    if status < 0:  # killed by a signal: so is this process, as the worker would see a cold run
        if -status != signal.SIGKILL:
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)


if __name__ == "__main__":
    main()
