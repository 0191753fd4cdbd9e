"""Containers for the template's tests: podman on the runc runtime, a Debian base image with
Python that debootstrap makes once a machine, and an image of uv's binary, so that a generated
project's Dockerfile builds and runs with no public registry.

Podman's defaults need two changes on machines like CI's: crun, Debian's default runtime, fails
on hybrid cgroups, and the default ulimits cannot be set in an unprivileged sandbox. Both are in
a containers.conf of the tests' own (CONTAINERS_CONF), which leaves the machine's as it is."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# What the tests keep between runs on one machine: the base image's file system and the
# containers.conf.
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fastapi-users-template"
DEBIAN_RELEASE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
# The Python of the official slim images, from Debian's packages; ca-certificates for uv.
BASE_PACKAGES = ("python3", "ca-certificates")
BASE_IMAGE = f"localhost/fastapi-users-template-base:{DEBIAN_RELEASE}"
# The CA bundle of this machine, which a build passes to uv as a secret: PyPI is reached
# through a proxy whose certificates the base image does not trust.
CA_BUNDLE = Path(os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"))
CONTAINERS_CONF = """\
[containers]
default_ulimits = []

[engine]
runtime = "runc"
"""
BUILD_TIMEOUT_SECONDS = 600
COMMAND_TIMEOUT_SECONDS = 120


class CannotRunContainers(RuntimeError):
    """Podman is missing or cannot run a container here; the message says which."""


def environment() -> dict[str, str]:
    """The environment of a podman command: the tests' containers.conf."""
    CACHE.mkdir(parents=True, exist_ok=True)
    conf = CACHE / "containers.conf"
    if not conf.is_file() or conf.read_text() != CONTAINERS_CONF:
        conf.write_text(CONTAINERS_CONF)
    return {**os.environ, "CONTAINERS_CONF": str(conf)}


def podman(
    *args: str, timeout: float = COMMAND_TIMEOUT_SECONDS, input: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `podman <args>` and capture what it says; the caller checks its status."""
    return subprocess.run(
        ["podman", *args],
        env=environment(),
        capture_output=True,
        text=input is None,
        input=input,
        timeout=timeout,
        check=False,
    )


def succeeds(*args: str, timeout: float = COMMAND_TIMEOUT_SECONDS) -> str:
    """Run `podman <args>`; its output, after asserting that it succeeded."""
    result = podman(*args, timeout=timeout)
    assert result.returncode == 0, f"podman {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def check_can_run_containers() -> None:
    """Raise CannotRunContainers, saying why, unless podman, runc and debootstrap are here."""
    for tool in ("podman", "runc", "debootstrap"):
        if shutil.which(tool) is None:
            raise CannotRunContainers(
                f"{tool} is not installed (Debian: apt-get install podman runc debootstrap)"
            )
    info = podman("info", "--format", "{{.Host.OCIRuntime.Name}}")
    if info.returncode != 0:
        raise CannotRunContainers(f"podman cannot run here: {info.stderr.strip()}")


@contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """Hold a lock of this machine's, so that concurrent test runs make an image once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{name}-image.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def image_exists(name: str) -> bool:
    return podman("image", "exists", name).returncode == 0


def base_image() -> str:
    """A Debian image with Python for a Dockerfile's PYTHON_IMAGE: made by debootstrap, kept
    as a tarball in the cache and imported into podman's storage, each once a machine."""
    with machine_lock("base"):
        if image_exists(BASE_IMAGE):
            return BASE_IMAGE
        tarball = CACHE / f"debian-{DEBIAN_RELEASE}-python.tar"
        if not tarball.is_file():
            make_base_tarball(tarball)
        result = podman("import", str(tarball), BASE_IMAGE, timeout=BUILD_TIMEOUT_SECONDS)
        assert result.returncode == 0, result.stderr
    return BASE_IMAGE


def make_base_tarball(tarball: Path) -> None:
    """A minimal Debian with BASE_PACKAGES, from Debian's mirror, without apt's caches."""
    with tempfile.TemporaryDirectory(dir=CACHE) as directory:
        root = Path(directory) / "root"
        result = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                DEBIAN_RELEASE,
                str(root),
                DEBIAN_MIRROR,
            ],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
        assert result.returncode == 0, f"debootstrap:\n{result.stdout[-3000:]}{result.stderr}"
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (root / cache).glob("*"):
                if entry.is_file():
                    entry.unlink()
        # tar, not tarfile: the root's device nodes, owners and hard links kept as they are.
        partial = tarball.with_suffix(".partial")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.rename(tarball)


def uv_image() -> str:
    """An image holding this environment's uv binary as /uv, as uv's official image does, for a
    Dockerfile's UV_IMAGE."""
    uv = Path(sys.executable).with_name("uv")
    version = subprocess.run(
        [str(uv), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    name = f"localhost/fastapi-users-template-uv:{version}"
    with machine_lock("uv"):
        if not image_exists(name):
            with tempfile.TemporaryDirectory() as directory:
                archive_path = Path(directory) / "uv.tar"
                with tarfile.open(archive_path, "w") as archive:
                    archive.add(uv, arcname="uv")
                result = podman("import", str(archive_path), name)
                assert result.returncode == 0, result.stderr
    return name


def image_holds(name: str, text: bytes) -> bool:
    """Whether `text` is anywhere in the image's layers (`podman save`'s archive), read as it
    streams."""
    with subprocess.Popen(
        ["podman", "save", "--format=docker-archive", "--output=/dev/stdout", name],
        env=environment(),
        stdout=subprocess.PIPE,
    ) as save:
        assert save.stdout is not None
        tail = b""
        while chunk := save.stdout.read(1 << 20):
            if text in tail + chunk:
                save.kill()
                return True
            tail = chunk[-len(text) :]
    assert save.returncode == 0, f"podman save {name} failed"
    return False


def image_size(name: str) -> int:
    """The image's size in bytes, as podman counts it."""
    return int(json.loads(succeeds("image", "inspect", name))[0]["Size"])
