"""A real paperless instance for the end-to-end tier.

Migrated database (SQLite in a temporary data directory, or a fresh PostgreSQL database when
``PAPERLESS_DBHOST`` is set), real Redis, a real celery worker, the consumer watching its
folder and the web server, all as separate processes started the way the run command
starts them.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import httpx
import pytest

from tests.e2e.smtp import SMTPSink

ADMIN = ("e2e-admin", "e2e-admin-pass")
# Test-only backends the pytest process uses; a deployment talks to Redis instead.
TEST_ONLY_ENV = (
    "PAPERLESS_CACHE_BACKEND",
    "PAPERLESS_CHANNELS_BACKEND",
    "PAPERLESS_DISABLE_DBHANDLER",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REPO = Path(__file__).resolve().parents[2]


def redis_prefix(data_dir: Path) -> str:
    """The instance's own Redis key prefix, derived from its data directory the way the run
    command derives it (scripts/env.sh ``svc_redis_prefix``: one derivation for both)."""
    env = {k: v for k, v in os.environ.items() if k != "PAPERLESS_REDIS_PREFIX"}
    return subprocess.run(
        [
            "bash",
            "-c",
            '. "$1" && svc_redis_prefix "$2"',
            "-",
            str(REPO / "scripts" / "env.sh"),
            str(data_dir),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@dataclass
class Process:
    """How one of the instance's processes is started, so it can be started again."""

    command: tuple[str, ...]
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # on top of the instance's


@dataclass
class Instance:
    """A running paperless: ``processes`` by name (``worker`` or ``worker1``..``workerN``,
    ``consumer``, ``web``), each logging to ``<root>/<name>.log``.

    Made by :func:`make_instance`; whoever makes one calls :meth:`close`.
    """

    root: Path
    env: dict[str, str]
    base_url: str = ""
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    specs: dict[str, Process] = field(default_factory=dict)
    worker_names: list[str] = field(default_factory=list)
    cleanups: list = field(default_factory=list)

    @property
    def consume_dir(self) -> Path:
        return Path(self.env["PAPERLESS_CONSUMPTION_DIR"])

    @property
    def media_dir(self) -> Path:
        return Path(self.env["PAPERLESS_MEDIA_ROOT"])

    def manage(
        self,
        *args: str,
        extra_env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "django", *args],
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, (
            f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
        return result.stdout

    def start(
        self,
        name: str,
        *command: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """Start a process (again, after :meth:`kill`: its log is appended to)."""
        spec = self.specs.get(name)
        if command:
            spec = self.specs[name] = Process(tuple(command), cwd, env or {})
        log = (self.root / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(
            spec.command,
            env={**self.env, **spec.env},
            cwd=spec.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 30) -> int:
        """Send ``sig`` to the process and its children (its session); wait for it to end.
        Returns its exit status."""
        process = self.processes[name]
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        return process.wait(timeout=timeout)

    def restart(self, name: str) -> None:
        """Stop the process (TERM, or KILL after 20 s) if it runs; start it as before."""
        if self.processes[name].poll() is None:
            try:
                self.kill(name, signal.SIGTERM, timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(name, signal.SIGKILL)
        self.start(name)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def run_task(self, name: str, **kwargs: str) -> str:
        """Queue a plugin task for the instance's workers, as beat would; its task id."""
        celery = str(Path(sys.executable).with_name("celery"))
        result = subprocess.run(
            [
                celery,
                "--app",
                "paperless",
                "call",
                name,
                "--kwargs",
                json.dumps(kwargs),
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,  # a loaded machine imports paperless slowly
            check=False,
        )
        assert result.returncode == 0, f"{name}: {result.stdout}\n{result.stderr}"
        return result.stdout.strip()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.root.glob("*.log"))
        )

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            auth=ADMIN,
            headers={"Accept": "application/json; version=10"},
            timeout=30,
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def close(self) -> None:
        """Stop every process, drop its PostgreSQL database, remove its files (unless
        SVC_ARCHIVE_KEEP_E2E is set)."""
        self.stop()
        for cleanup in reversed(self.cleanups):
            cleanup()
        if not os.environ.get("SVC_ARCHIVE_KEEP_E2E"):
            shutil.rmtree(self.root, ignore_errors=True)


def _postgres_database(env: dict[str, str]):
    """Create a fresh database for this instance; return a function that drops it."""
    import psycopg

    name = f"svc_archive_e2e_{uuid.uuid4().hex[:8]}"
    params = {
        "host": env["PAPERLESS_DBHOST"],
        "port": env.get("PAPERLESS_DBPORT", "5432"),
        "user": env.get("PAPERLESS_DBUSER", "paperless"),
        "dbname": "postgres",
    }
    if "PAPERLESS_DBPASS" in env:
        params["password"] = env["PAPERLESS_DBPASS"]
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env["PAPERLESS_DBNAME"] = name

    def drop() -> None:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return drop


@pytest.fixture(scope="session")
def mailbox() -> SMTPSink:
    """Where the instance's mail goes (paperless's PAPERLESS_EMAIL_* settings)."""
    sink = SMTPSink()
    yield sink
    sink.shutdown()


def _forget_queues(url: str, prefix: str) -> None:
    """A fresh instance starts with empty queues: an earlier one at the same path (so
    with the same prefix, e.g. a re-run with the same ``--basetemp``) may have left tasks
    in Redis, which this one's workers would otherwise run."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        if keys := list(client.scan_iter(match=f"{prefix}*", count=1000)):
            client.delete(*keys)
    finally:
        client.close()


def make_instance(
    tmp_path_factory,
    mailbox: SMTPSink,
    *,
    workers: int = 1,
    redis_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    name: str = "paperless",
) -> Instance:
    """Migrate, provision and start a paperless instance; the caller must ``close()`` it.

    Its own data, media, consume and scratch directories under a fresh temporary root, its
    own PostgreSQL database when ``PAPERLESS_DBHOST`` is set (SQLite otherwise), and its own
    Redis prefix derived from its data directory (as the run command derives it), on
    ``redis_url`` or ``PAPERLESS_REDIS``. Processes: ``consumer``, ``web`` and the celery
    workers, one process each with ``--concurrency 1``.

    ``workers=1``: one process named ``worker``, started as the run command starts it.
    ``workers=N>1``: ``worker1``..``workerN`` (``Instance.worker_names``), as on separate
    machines: celery node names ``worker<i>@<host>``, each in its own working directory
    ``<root>/worker<i>`` with its own scratch directory there, sharing only the database,
    Redis, the data directory (search index), the media and the consume folder.
    ``extra_env`` goes into every process's environment (and ``manage``).
    """
    root = tmp_path_factory.mktemp(name)
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_ENV}
    env.update(
        PAPERLESS_APPS="svc_archive_plugin",
        PAPERLESS_SECRET_KEY=f"e2e-{uuid.uuid4().hex}",
        PAPERLESS_DATA_DIR=str(root / "data"),
        PAPERLESS_MEDIA_ROOT=str(root / "media"),
        PAPERLESS_CONSUMPTION_DIR=str(root / "consume"),
        PAPERLESS_SCRATCH_DIR=str(root / "scratch"),
        # The web UI's files, collected once by the test command for every instance.
        PAPERLESS_STATICDIR=os.environ.get("SVC_ARCHIVE_STATIC")
        or str(root / "static"),
        PAPERLESS_CONSUMER_RECURSIVE="true",
        PAPERLESS_REDIS=redis_url
        or env.get("PAPERLESS_REDIS", "redis://127.0.0.1:6379"),
        # Isolate this instance's queues from any other paperless on the same Redis.
        PAPERLESS_REDIS_PREFIX=redis_prefix(root / "data"),
        PAPERLESS_OCR_LANGUAGE="chi_sim+eng",
        PAPERLESS_EMAIL_HOST="127.0.0.1",
        PAPERLESS_EMAIL_PORT=str(mailbox.port),
        PAPERLESS_EMAIL_FROM="archive@example.com",
    )
    env.update(extra_env or {})
    for key in (
        "PAPERLESS_DATA_DIR",
        "PAPERLESS_MEDIA_ROOT",
        "PAPERLESS_CONSUMPTION_DIR",
        "PAPERLESS_SCRATCH_DIR",
        "PAPERLESS_STATICDIR",
    ):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    # Before any process starts, or the search index silently lives in memory.
    (Path(env["PAPERLESS_DATA_DIR"]) / "index").mkdir(exist_ok=True)

    _forget_queues(env["PAPERLESS_REDIS"], env["PAPERLESS_REDIS_PREFIX"])
    instance = Instance(root=root, env=env)
    if env.get("PAPERLESS_DBHOST"):
        instance.cleanups.append(_postgres_database(env))
    try:
        instance.manage("migrate", "--no-input")
        if not (Path(env["PAPERLESS_STATICDIR"]) / "frontend").is_dir():
            instance.manage("collectstatic", "--no-input", "-v", "0")
        instance.manage("svc_archive_setup")
        instance.manage(
            "createsuperuser",
            "--no-input",
            f"--username={ADMIN[0]}",
            "--email=admin@example.com",
            extra_env={"DJANGO_SUPERUSER_PASSWORD": ADMIN[1]},
        )
        port = free_port()
        instance.base_url = f"http://127.0.0.1:{port}"
        env["PAPERLESS_URL"] = instance.base_url  # as the run command sets it
        celery = str(Path(sys.executable).with_name("celery"))
        worker = (celery, "--app", "paperless", "worker", "--loglevel", "INFO")
        if workers == 1:
            instance.worker_names = ["worker"]
            instance.start("worker", *worker, "--concurrency", "1")
        else:
            for i in range(1, workers + 1):
                node = f"worker{i}"
                home = root / node
                (home / "scratch").mkdir(parents=True)
                instance.worker_names.append(node)
                instance.start(
                    node,
                    *worker,
                    "--concurrency",
                    "1",
                    "--hostname",
                    f"{node}@%h",
                    cwd=home,
                    env={"PAPERLESS_SCRATCH_DIR": str(home / "scratch")},
                )
        instance.start("consumer", sys.executable, "-m", "django", "document_consumer")
        # paperless's production web server, as its image and the run command start it.
        instance.start(
            "web",
            str(Path(sys.executable).with_name("granian")),
            "--interface",
            "asginl",
            "--ws",
            "--loop",
            "uvloop",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "paperless.asgi:application",
        )
        _wait_for_web(instance)
    except BaseException:
        instance.close()
        raise
    return instance


# One instance for the whole tier: starting one takes about a minute.
@pytest.fixture(scope="session")
def paperless(tmp_path_factory, mailbox) -> Instance:
    instance = make_instance(tmp_path_factory, mailbox)
    try:
        yield instance
    finally:
        instance.close()


def _wait_for_web(instance: Instance, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    with instance.client() as client:
        while time.monotonic() < deadline:
            for name, process in instance.processes.items():
                if process.poll() is not None:
                    pytest.fail(
                        f"{name} exited with {process.returncode}\n{instance.logs()}",
                    )
            try:
                if client.get("/api/svc_archive/status/").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
    pytest.fail(f"the web server did not answer within {timeout} s\n{instance.logs()}")


USER_PASSWORD = "e2e-user-pass"


def as_user(instance: Instance, username: str) -> httpx.Client:
    """An API client signed in as one of the people a test made (password USER_PASSWORD)."""
    return httpx.Client(
        base_url=instance.base_url,
        auth=(username, USER_PASSWORD),
        headers={"Accept": "application/json; version=10"},
        timeout=30,
    )


def ask_for_access(client: httpx.Client, dossier_id: int, purpose: str) -> dict:
    """An access request for a dossier, from today for two days; the request made."""
    today = datetime.date.today()
    response = client.post(
        "/api/svc_archive/access_requests/",
        json={
            "purpose": purpose,
            "starts": today.isoformat(),
            "ends": (today + datetime.timedelta(days=2)).isoformat(),
            "dossiers": [dossier_id],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def wait_for(predicate, timeout: float, instance: Instance, what: str):
    """Poll ``predicate`` until it returns something truthy; fail with the logs otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(1)
    pytest.fail(f"{what} did not happen within {timeout} s\n{instance.logs()}")
    return None


# The browser tier: Debian's chromium driven by Playwright (no browser download).
CHROMIUM = os.environ.get("SVC_ARCHIVE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # the machine has no network beyond loopback
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# Where a failing browser test leaves its screenshot and the page's text.
ARTIFACTS = Path(
    os.environ.get(
        "SVC_ARCHIVE_ARTIFACTS",
        Path(__file__).resolve().parents[2] / "test-results",
    ),
)


# The contract tier fuzzes the shared instance's API, writing into it: it runs last, and
# its summary (operations, cases, findings) closes the session's report.
CONTRACT_RUNS = pytest.StashKey[list]()


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.get_closest_marker("contract") is not None)


# The protection probe's attempts (way round, status, answer) print after the tests.
PROBE_ROWS: list[tuple[str, int, str]] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if PROBE_ROWS:
        terminalreporter.section("svc-archive protection probe (superuser)")
        for name, status, detail in PROBE_ROWS:
            terminalreporter.write_line(f"{status}  {name}  {detail}")
    runs = config.stash.get(CONTRACT_RUNS, [])
    if runs:
        terminalreporter.section("svc-archive API contract (Schemathesis)")
        for run in runs:
            terminalreporter.write_line(run)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no browser at {CHROMIUM}: run scripts/setup.sh (apt chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=list(CHROMIUM_ARGS),
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_pages(chromium, request):
    """Open pages (one per person) in zh-CN; on failure, keep what each one showed."""
    contexts = []

    def open_page(locale: str = "zh-CN"):
        context = chromium.new_context(
            locale=locale,
            viewport={"width": 1366, "height": 900},
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        label = "postgresql" if os.environ.get("PAPERLESS_DBHOST") else "sqlite"
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                stem = ARTIFACTS / f"{label}-{request.node.name}-{n}{m}"
                try:
                    page.screenshot(path=f"{stem}.png", full_page=True)
                    stem.with_suffix(".txt").write_text(
                        f"{page.url}\n\n{page.inner_text('body')}",
                    )
                except Exception as exc:  # the failure itself matters more
                    stem.with_suffix(".txt").write_text(f"{page.url}\n\n{exc}")
                print(f"browser artifacts: {stem}.png, {stem}.txt")  # noqa: T201
    for context in contexts:
        context.close()


def sign_in(page, instance: Instance, username: str, password: str = USER_PASSWORD):
    """Sign in through paperless's own login page, as a person would."""
    page.goto(f"{instance.base_url}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{instance.base_url}/dashboard**")
    return page
