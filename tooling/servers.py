"""HTTP servers on a free loopback port: a generated project's or the benchmark's stock app,
started as processes, and small stand-ins served from a thread."""

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx

HOST = "127.0.0.1"
POLL_SECONDS = 0.2
STOP_TIMEOUT_SECONDS = 30


class ServerDidNotStart(RuntimeError):
    """The server did not answer in time, and was killed; `output` is everything it said."""

    def __init__(self, message: str, output: str) -> None:
        super().__init__(f"{message}:\n{output}")
        self.output = output


class ServerExited(ServerDidNotStart):
    """The server exited, with `returncode`, before it answered: it refused to start."""

    def __init__(self, returncode: int, message: str, output: str) -> None:
        super().__init__(message, output)
        self.returncode = returncode


def free_port() -> int:
    """A loopback port that no one listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def is_answering(url: str) -> bool:
    """Whether an HTTP server answers at `url`, with any status."""
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


@contextmanager
def running_server(
    command: Callable[[int], Sequence[str]],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    ready_path: str = "/docs",
    start_timeout: float = 30,
    port: int | None = None,
) -> Iterator[str]:
    """Start `command(port)` on a free loopback port (or on `port`, for a server that must know
    its URL before it starts), in `cwd` with the whole environment `env`, its output in `log`;
    wait until it answers at `ready_path`: its base URL. Stop it after.

    Raises ServerExited if it exits before it answers, ServerDidNotStart if it does not answer
    within `start_timeout` seconds; both hold its output."""
    if port is None:
        port = free_port()
    arguments = list(command(port))
    with log.open("w") as output:
        # A file, not a pipe: a pipe nobody reads would stall the server once full.
        process = subprocess.Popen(
            arguments, cwd=cwd, env=dict(env), stdout=output, stderr=subprocess.STDOUT
        )
    base_url = f"http://{HOST}:{port}"
    shown = " ".join(arguments)
    try:
        deadline = time.monotonic() + start_timeout
        while not is_answering(base_url + ready_path):
            if process.poll() is not None:
                message = f"`{shown}` exited with status {process.returncode} before it answered"
                raise ServerExited(process.returncode, message, log.read_text())
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                message = f"`{shown}` did not answer at {ready_path} within {start_timeout} s"
                raise ServerDidNotStart(message, log.read_text())
            time.sleep(POLL_SECONDS)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise


@contextmanager
def serving_in_thread(server: ThreadingHTTPServer) -> Iterator[str]:
    """Serve with `server`, bound to a loopback port, from a thread: its base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
