"""Offline checks of the deployment files: compose, Dockerfiles, Kustomize, Prometheus, Grafana.

No Docker engine or cluster is needed. Every check reads real content and cross-references it
against PROCESSES, the one table of processes, commands and ports (see deploy/README.md).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
PROMETHEUS_FILE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD_FILE = ROOT / "deploy" / "grafana" / "helpdesk-overview.json"
INIT_SQL = ROOT / "deploy" / "postgres" / "init-databases.sql"
DOCKERFILE = "services/Dockerfile"  # the one image recipe, parameterised by service


@dataclass(frozen=True)
class Process:
    name: str  # compose service, k8s Deployment/Service and Prometheus job
    folder: str  # services/<folder>
    package: str
    command: str
    health_port: int  # serves /healthz and /metrics
    published_port: int | None = None  # front door published on the host

    @property
    def argv(self) -> list[str]:
        return ["python", "-m", self.package, self.command]

    @property
    def is_worker(self) -> bool:
        return self.command == "worker"


PROCESSES = [
    Process("cases", "cases", "cases", "worker", 9101),
    Process("mail-gateway", "mail-gateway", "mail_gateway", "worker", 9102),
    Process("mail-gateway-smtp", "mail-gateway", "mail_gateway", "smtp", 9103, 2525),
    Process("notifications", "notifications", "notifications", "worker", 9104),
    Process("reports", "reports", "reports", "worker", 9105),
    Process("gateway", "gateway", "gateway", "web", 8080, 8080),
    Process("portal", "portal", "portal", "web", 8081, 8081),
]
PROCESS_BY_NAME = {p.name: p for p in PROCESSES}
# folder -> (package, main process run by the image's default CMD)
SERVICES = {
    "cases": ("cases", "cases"),
    "mail-gateway": ("mail_gateway", "mail-gateway"),
    "notifications": ("notifications", "notifications"),
    "reports": ("reports", "reports"),
    "gateway": ("gateway", "gateway"),
    "portal": ("portal", "portal"),
}
DATABASE_ENV = {folder: f"{pkg.upper()}_DATABASE_URL" for folder, (pkg, _) in SERVICES.items()}
DATABASE_NAME = {folder: pkg for folder, (pkg, _) in SERVICES.items()}
WEB_APPS = {"gateway", "portal"}
NON_ROOT_UID = 10001

# Every variable our processes may receive (ARCHITECTURE.md / the deployment conventions).
ALLOWED_ENV = {
    "HELPDESK_AMQP_URI",
    "HELPDESK_REDIS_URL",
    "HELPDESK_SECRET_KEY",
    "HELPDESK_SMTP_RELAY",
    "HELPDESK_API_KEY",
    "HELPDESK_ENV",
    "MAIL_GATEWAY_BLOB_DIR",
    "PSYCOPG_WAIT_FUNC",
    "GATEWAY_PUBLIC_URL",
    "PORTAL_PUBLIC_URL",
    "CASES_OPS_PORT",
    "MAIL_GATEWAY_OPS_PORT",
    "MAIL_GATEWAY_SMTP_OPS_PORT",
    "NOTIFICATIONS_OPS_PORT",
    "REPORTS_OPS_PORT",
    "NOTIFICATIONS_VAPID_PRIVATE_KEY",  # Web Push: optional (pushes are off without it), and a secret
    *DATABASE_ENV.values(),
    # read by libs/chassis/src/chassis/settings.py
    "HELPDESK_BIND_HOST",
    "HELPDESK_MAIL_DOMAIN",
    "HELPDESK_LOG_LEVEL",
    "HELPDESK_LOG_FORMAT",
}
# secrets that may be absent (the feature is then off): the only ones allowed an empty default
OPTIONAL_SECRETS = {"HELPDESK_API_KEY", "NOTIFICATIONS_VAPID_PRIVATE_KEY"}
SECRET_KEY_RE = re.compile(r"SECRET|PASSWORD|PASSWD|_PASS$|TOKEN|API_KEY|PRIVATE_KEY")
ENV_REF_RE = re.compile(r"^\$\{[A-Z][A-Z0-9_]*(?:(?::?[-?])[^}]*)?\}$")
URL_PASSWORD_RE = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@\s]*:(?P<password>[^@\s]*)@", re.IGNORECASE)
# Paths the image copies that may be missing from a partial checkout; the Dockerfile checks skip (not fail).
PENDING_PATHS = {"requirements.lock", "libs", "libs/contracts", "libs/chassis"}


# ----------------------------------------------------------------------------- helpers


def load_yaml_docs(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict[str, dict]:
    return compose["services"]


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def depends_of(service: dict) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def healthcheck_test(service: dict) -> str:
    check = service.get("healthcheck") or {}
    if check.get("disable"):
        return ""
    test = check.get("test", "")
    return " ".join(test) if isinstance(test, list) else str(test)


def is_ours(service: dict) -> bool:
    return str(service.get("image", "")).startswith("helpdesk/")


def is_one_shot(service: dict) -> bool:
    return str(service.get("restart", "")) == "no"


def secret_value_is_reference(value: str) -> bool:
    return bool(ENV_REF_RE.match(value))


def literal_url_password(value: str) -> str | None:
    """The password embedded in a URL, unless it is a ${...} reference."""
    match = URL_PASSWORD_RE.match(value)
    if not match or not match.group("password"):
        return None
    password = match.group("password")
    return None if secret_value_is_reference(password) else password


def parse_dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    buffer = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        keyword, _, args = buffer.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
        buffer = ""
    assert not buffer, f"{path}: dangling line continuation"
    return instructions


def build_of(services: dict[str, dict], folder: str) -> dict:
    """The compose `build:` of a service folder's image (its main process's)."""
    build = services[SERVICES[folder][1]]["build"]
    assert isinstance(build, dict), folder
    return build


def image_instructions(build: dict) -> list[tuple[str, str]]:
    """The instructions that make the image of one compose `build:`: its target stage and the stages it is
    built FROM, root first, with the build arguments substituted."""
    stages: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, args in parse_dockerfile(ROOT / build["dockerfile"]):
        if keyword == "FROM":
            image, _, name = args.partition(" AS ")
            current = []
            stages[name.strip() or image.strip()] = (image.strip(), current)
        else:
            current.append((keyword, args))
    chain: list[tuple[str, str]] = []
    name = build["target"]
    while name in stages:
        parent, instructions = stages[name]
        chain = instructions + chain
        name = parent
    chain.insert(0, ("FROM", name))
    arguments = {str(k): str(v) for k, v in (build.get("args") or {}).items()}
    declared = {args for keyword, args in chain if keyword == "ARG"}
    assert set(arguments) <= declared, f"compose passes undeclared build args {set(arguments) - declared}"

    def substitute(text: str) -> str:
        return re.sub(r"\$\{([A-Z_]+)\}", lambda m: arguments.get(m.group(1), m.group(0)), text)

    return [(keyword, substitute(args)) for keyword, args in chain]


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.iterdir() if p.suffix in {".yaml", ".yml"})


@pytest.fixture(scope="module")
def k8s_objects() -> list[dict]:
    objects = []
    for path in k8s_files():
        if path.name in {"kustomization.yaml", "secret.example.yaml"}:
            continue
        objects.extend(load_yaml_docs(path))
    return objects


def of_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def container_of(workload: dict) -> dict:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{workload['metadata']['name']}: expected one container"
    return containers[0]


@pytest.fixture(scope="module")
def secret_example() -> dict:
    (secret,) = load_yaml_docs(K8S / "secret.example.yaml")
    return secret


@pytest.fixture(scope="module")
def configmap(k8s_objects: list[dict]) -> dict:
    return of_kind(k8s_objects, "ConfigMap")["helpdesk-config"]


# ----------------------------------------------------------------------------- compose


def test_compose_validates_against_compose_spec() -> None:
    cli = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(cli), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_no_name_or_version_key(compose: dict) -> None:
    # Debian's docker-compose 1.29 rejects `name:`; `version:` is obsolete in the spec.
    assert "name" not in compose
    assert "version" not in compose


def test_every_process_runs_its_command_from_its_image(services: dict) -> None:
    for proc in PROCESSES:
        assert proc.name in services, f"compose has no service {proc.name}"
        svc = services[proc.name]
        assert svc.get("command") == proc.argv, proc.name
        assert svc["build"]["context"] == "."
        assert svc["build"]["dockerfile"] == DOCKERFILE
        assert svc["build"]["args"]["SERVICE"] == proc.folder
        assert svc["image"].split(":")[0] == f"helpdesk/{proc.folder}"
        assert svc["build"] == build_of(services, proc.folder), f"{proc.name}: one image per service folder"


def test_every_service_folder_is_built_by_compose_from_the_one_dockerfile(services: dict) -> None:
    folders = {p.name for p in (ROOT / "services").iterdir() if p.is_dir()}
    assert set(SERVICES) <= folders, f"missing service folders: {set(SERVICES) - folders}"
    assert (ROOT / DOCKERFILE).is_file(), f"{DOCKERFILE} missing"
    leftovers = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "services").glob("*/Dockerfile"))
    assert not leftovers, f"one Dockerfile for every service, not {leftovers}"
    builds = [svc["build"] for svc in services.values() if isinstance(svc.get("build"), dict)]
    assert {b["dockerfile"] for b in builds} == {DOCKERFILE}
    built = {b["args"]["SERVICE"] for b in builds}
    for folder in sorted(folders):
        assert folder in built, f"services/{folder} is not built by any compose service"
    for folder in sorted(SERVICES):
        package, main = SERVICES[folder]
        proc = PROCESS_BY_NAME[main]
        args = build_of(services, folder)["args"]
        assert args["PACKAGE"] == package, folder
        assert int(args["HEALTH_PORT"]) == proc.health_port, folder
        # the variable that moves the port: the worker's ops port, or the web app's own port
        assert args["HEALTH_PORT_ENV"] == f"{package.upper()}_{'OPS_PORT' if proc.is_worker else 'PORT'}", folder


def test_depends_on_targets_exist_with_valid_conditions(services: dict) -> None:
    allowed = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, svc in services.items():
        for target, condition in depends_of(svc).items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert target != name
            assert condition in allowed, f"{name} -> {target}: {condition}"
            if condition == "service_healthy":
                assert healthcheck_test(services[target]), f"{target} has no healthcheck"
            if condition == "service_completed_successfully":
                assert is_one_shot(services[target]), f"{target} is not a one-shot"


def test_processes_wait_for_infrastructure_and_their_migration(services: dict) -> None:
    for proc in PROCESSES:
        deps = depends_of(services[proc.name])
        assert deps.get("rabbitmq") == "service_healthy", proc.name
        assert deps.get("postgres") == "service_healthy", proc.name
        assert deps.get(f"{proc.folder}-migrate") == "service_completed_successfully", proc.name


def test_one_migrate_one_shot_per_service(services: dict) -> None:
    for folder, (package, _) in SERVICES.items():
        migrate = services.get(f"{folder}-migrate")
        assert migrate is not None, f"no {folder}-migrate service"
        assert migrate["command"] == ["python", "-m", package, "migrate"]
        assert is_one_shot(migrate)
        assert migrate["build"] == build_of(services, folder), "built like the process"
        assert migrate["image"] == services[SERVICES[folder][1]]["image"], "same image as process"
        assert depends_of(migrate).get("postgres") == "service_healthy"
        assert DATABASE_ENV[folder] in env_of(migrate)
        assert "ports" not in migrate


def test_long_running_services_have_healthchecks(services: dict) -> None:
    for name, svc in services.items():
        if is_one_shot(svc):
            continue
        assert healthcheck_test(svc), f"{name} has no healthcheck"
    for proc in PROCESSES:
        test = healthcheck_test(services[proc.name])
        assert test.startswith("CMD python -c"), f"{proc.name}: probe with python (no curl)"
        assert f"127.0.0.1:{proc.health_port}/healthz" in test, proc.name


def test_only_front_doors_publish_ports_and_workers_scale(services: dict) -> None:
    for proc in PROCESSES:
        svc = services[proc.name]
        assert "container_name" not in svc, f"{proc.name} cannot scale with a container_name"
        ports = [str(p) for p in svc.get("ports", [])]
        if proc.published_port is None:
            assert not ports, f"worker {proc.name} must not publish host ports"
        else:
            assert ports == [f"{proc.published_port}:{proc.published_port}"], proc.name
    for name, svc in services.items():
        if name in PROCESS_BY_NAME:
            continue
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond localhost"


def test_named_volumes_are_declared_and_bind_mounts_exist(compose: dict, services: dict) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, svc in services.items():
        for mount in svc.get("volumes", []):
            source = mount["source"] if isinstance(mount, dict) else str(mount).split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert declared == used, f"declared but unused volumes: {declared - used}"
    assert {"postgres-data", "mail-blobs"} <= declared


def test_mail_blob_store_is_shared_by_both_mail_processes(services: dict) -> None:
    for name in ("mail-gateway", "mail-gateway-smtp"):
        env = env_of(services[name])
        mounts = [str(m) for m in services[name].get("volumes", [])]
        assert f"mail-blobs:{env['MAIL_GATEWAY_BLOB_DIR']}" in mounts, name


def test_env_names_follow_the_conventions(services: dict) -> None:
    for name, svc in services.items():
        if not is_ours(svc):
            continue
        env = env_of(svc)
        unknown = set(env) - ALLOWED_ENV
        assert not unknown, f"{name}: unexpected env {sorted(unknown)}"
        for required in ("HELPDESK_AMQP_URI", "HELPDESK_SECRET_KEY", "HELPDESK_ENV"):
            assert required in env, f"{name} lacks {required}"
        assert env["HELPDESK_AMQP_URI"].startswith("amqp://")
        assert env["HELPDESK_AMQP_URI"].endswith("@rabbitmq:5672/")
        assert env["HELPDESK_REDIS_URL"] == "redis://redis:6379/0"


def test_each_process_gets_only_its_own_database(services: dict) -> None:
    created = set(re.findall(r"CREATE DATABASE (\w+);", INIT_SQL.read_text()))
    assert created == set(DATABASE_NAME.values())
    folder_of = {p.name: p.folder for p in PROCESSES}
    folder_of.update({f"{folder}-migrate": folder for folder in SERVICES})
    for name, folder in folder_of.items():
        env = env_of(services[name])
        db_vars = {k for k in env if k.endswith("_DATABASE_URL")}
        assert db_vars == {DATABASE_ENV[folder]}, f"{name} sees {db_vars}"
        url = env[DATABASE_ENV[folder]]
        assert url.startswith("postgresql+psycopg://helpdesk:"), url
        assert url.endswith(f"@postgres:5432/{DATABASE_NAME[folder]}"), url


def test_process_specific_env(services: dict) -> None:
    for proc in PROCESSES:
        env = env_of(services[proc.name])
        if proc.is_worker:
            assert env.get("PSYCOPG_WAIT_FUNC") == "wait_select", proc.name
        if proc.health_port != proc.published_port:
            ops_vars = {k: v for k, v in env.items() if k.endswith("_OPS_PORT")}
            assert ops_vars, f"{proc.name} has no ops port variable"
            assert set(ops_vars.values()) == {str(proc.health_port)}, proc.name
    assert "HELPDESK_SMTP_RELAY" in env_of(services["notifications"])
    assert "HELPDESK_REDIS_URL" in env_of(services["gateway"])


def test_no_secret_is_hard_coded(services: dict) -> None:
    for name, svc in services.items():
        for key, value in env_of(svc).items():
            if SECRET_KEY_RE.search(key):
                assert secret_value_is_reference(value), f"{name}.{key} is a literal"
                if key not in OPTIONAL_SECRETS:
                    assert ":?" in value, f"{name}.{key} must be required (${{VAR:?...}})"
                else:
                    assert value.endswith(":-}"), f"{name}.{key} may only default to empty"
            assert literal_url_password(value) is None, f"{name}.{key} embeds a password"


def test_init_script_is_mounted_and_postgres_is_16(services: dict) -> None:
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert any(
        str(m).startswith("./deploy/postgres/init-databases.sql:/docker-entrypoint-initdb.d/")
        for m in postgres["volumes"]
    )
    assert "management" in services["rabbitmq"]["image"]
    assert env_of(services["postgres"])["POSTGRES_USER"] == "helpdesk"


# ----------------------------------------------------------------------------- Dockerfiles


@pytest.mark.parametrize("folder", sorted(SERVICES))
def test_dockerfile_shape(folder: str, services: dict) -> None:
    _, main = SERVICES[folder]
    proc = PROCESS_BY_NAME[main]
    build = build_of(services, folder)
    instructions = image_instructions(build)
    keywords = [k for k, _ in instructions]
    # build stages (e.g. npm for web assets) may come first; the image is built on the python stage
    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert "ENTRYPOINT" not in keywords, "no entrypoint script: migrations are one-shots"

    def index(keyword: str, needle: str) -> int:
        for i, (k, args) in enumerate(instructions):
            if k == keyword and needle in args:
                return i
        raise AssertionError(f"{folder}: no {keyword} with {needle!r}")

    copy_lock = index("COPY", "requirements.lock")
    install_lock = index("RUN", "pip install -r requirements.lock")
    first_arg = keywords.index("ARG")
    copy_libs = index("COPY", "libs/")
    copy_service = index("COPY", f"services/{folder}/")
    install_ours = index("RUN", "--no-deps")
    assert copy_lock < install_lock < copy_libs < copy_service < install_ours, "layer order"
    assert install_lock < first_arg, "the third-party layer is the same for every service"
    editable = instructions[install_ours][1]
    for path in ("libs/contracts", "libs/chassis", f"services/{folder}"):
        assert f"-e {path}" in editable, f"{folder}: {path} not installed editable"

    users = [(i, args) for i, (k, args) in enumerate(instructions) if k == "USER"]
    assert users, "runs as root"
    assert all(user.split(":")[0] not in {"root", "0"} for _, user in users)
    assert users[0][0] > install_ours, "installs as root, then runs as the service's user"
    assert f"--uid {NON_ROOT_UID}" in instructions[index("RUN", "useradd")][1]

    env = " ".join(args for k, args in instructions if k == "ENV")
    assert "HELPDESK_BIND_HOST=0.0.0.0" in env, "the chassis binds 127.0.0.1 by default"
    if proc.is_worker:
        assert "PSYCOPG_WAIT_FUNC=wait_select" in env
    assert f"HEALTH_PORT={proc.health_port}" in env
    assert f"HEALTH_PORT_ENV={build['args']['HEALTH_PORT_ENV']}" in env
    package = re.search(r"SERVICE_PACKAGE=(\S+)", env)
    assert package, f"{folder}: no SERVICE_PACKAGE"

    healthcheck = instructions[index("HEALTHCHECK", "/healthz")][1]
    assert 'CMD ["python", "-c"' in healthcheck and "curl" not in healthcheck
    assert "e.get(e['HEALTH_PORT_ENV'], e['HEALTH_PORT'])" in healthcheck

    cmd = json.loads([args for k, args in instructions if k == "CMD"][-1])
    assert cmd[:2] == ["sh", "-c"]
    script = cmd[2].replace('"$SERVICE_PACKAGE"', package.group(1))
    assert shlex.split(script) == ["exec", *proc.argv]
    exposed = {int(p) for k, args in instructions if k == "EXPOSE" for p in args.split()}
    wanted = {p.health_port for p in PROCESSES if p.folder == folder}
    wanted |= {p.published_port for p in PROCESSES if p.folder == folder and p.published_port}
    assert wanted <= exposed


@pytest.mark.parametrize("folder", sorted(SERVICES))
def test_dockerfile_copies_paths_that_exist(folder: str, services: dict) -> None:
    sources = []
    for keyword, args in image_instructions(build_of(services, folder)):
        if keyword == "COPY" and "--from=" not in args:  # copies out of a build stage are not repo paths
            parts = [a for a in args.split() if not a.startswith("--")]
            sources.extend(parts[:-1])
    assert "requirements.lock" in sources
    missing = [s for s in sources if not (ROOT / s).exists()]
    unexpected = [s for s in missing if s.rstrip("/") not in PENDING_PATHS]
    assert not unexpected, f"{folder}: COPY of missing {unexpected}"
    ignored = (ROOT / ".dockerignore").read_text().split()
    for source in sources:
        assert source.rstrip("/") not in ignored, f".dockerignore drops {source}"
    if missing:
        pytest.skip(f"not written yet by the service authors: {missing}")
    for lib in ("contracts", "chassis"):
        assert (ROOT / "libs" / lib / "pyproject.toml").is_file()


def test_the_web_image_serves_htmx_from_npm(services: dict) -> None:
    instructions = image_instructions(build_of(services, "gateway"))
    copies = [args for k, args in instructions if k == "COPY" and "--from=web-assets" in args]
    assert copies and "htmx.org/dist/" in copies[0]
    stages = [args for k, args in parse_dockerfile(ROOT / DOCKERFILE) if k == "FROM"]
    assert "node:20-slim AS web-assets" in stages


@pytest.mark.parametrize("folder", sorted(SERVICES))
def test_cmd_module_exists(folder: str) -> None:
    package, _ = SERVICES[folder]
    src = ROOT / "services" / folder / "src"
    if not src.is_dir():
        pytest.skip(f"services/{folder}/src does not exist yet")
    assert (src / package).is_dir(), f"python -m {package}: no services/{folder}/src/{package}"
    assert (src / package / "__main__.py").is_file(), f"{package} has no __main__.py"
    assert (ROOT / "services" / folder / "pyproject.toml").is_file()


@pytest.mark.parametrize("folder", sorted(SERVICES))
def test_settings_defaults_match_the_process_table(folder: str) -> None:
    package, _ = SERVICES[folder]
    settings = ROOT / "services" / folder / "src" / package / "settings.py"
    if not settings.is_file():
        pytest.skip(f"{settings.relative_to(ROOT)} does not exist yet")
    text = settings.read_text()
    prefixes = re.findall(r'env_prefix="([A-Z_]+)"', text)
    assert prefixes == [f"{package.upper()}_"], f"{folder}: env prefix {prefixes}"
    procs = [p for p in PROCESSES if p.folder == folder]
    defaults = {k: int(v) for k, v in re.findall(r"^\s+(ops_port|port): int = (\d+)", text, re.M)}
    assert defaults, f"{folder}: no port default in settings"
    if "ops_port" in defaults:  # the worker's ops port; other processes set theirs in env
        assert defaults["ops_port"] == next(p for p in procs if p.is_worker).health_port
    if "port" in defaults:
        assert defaults["port"] == next(p for p in procs if p.command == "web").health_port


def test_dockerignore_keeps_the_context_small() -> None:
    patterns = set((ROOT / ".dockerignore").read_text().split())
    for required in (
        ".git",
        ".venv",
        "var",
        "node_modules",
        "**/__pycache__",
        "**/.pytest_cache",
    ):
        assert required in patterns, f".dockerignore lacks {required}"
    for needed in ("services", "libs", "requirements.lock", "*", "**"):
        assert needed not in patterns, f".dockerignore excludes {needed}"


# ----------------------------------------------------------------------------- Kubernetes


def test_every_k8s_yaml_parses_into_named_objects() -> None:
    files = k8s_files()
    assert len(files) >= 5
    for path in files:
        docs = load_yaml_docs(path)
        assert docs, f"{path.name} is empty"
        for doc in docs:
            assert {"apiVersion", "kind"} <= set(doc), path.name
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], path.name


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources)), "duplicate resources"
    files = {p.name for p in k8s_files()} - {"kustomization.yaml"}
    assert "secret.example.yaml" not in resources, "the base must not ship placeholder secrets"
    assert set(resources) == files - {"secret.example.yaml"}
    assert kustomization["namespace"] == "helpdesk"
    image_names = {i["name"] for i in kustomization["images"]}
    assert image_names == {f"helpdesk/{folder}" for folder in SERVICES}


def test_kubectl_kustomize_builds_the_base() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    objects = [o for o in yaml.safe_load_all(result.stdout) if o]
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == set(PROCESS_BY_NAME)
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == "helpdesk", obj["metadata"]["name"]
    for deployment in deployments:
        image = container_of(deployment)["image"]
        assert re.fullmatch(r"helpdesk/[a-z-]+:[\w.-]+", image), image


def test_deployments_match_the_process_table(k8s_objects: list[dict]) -> None:
    deployments = of_kind(k8s_objects, "Deployment")
    assert set(deployments) == set(PROCESS_BY_NAME)
    for name, deployment in deployments.items():
        proc = PROCESS_BY_NAME[name]
        pod = deployment["spec"]["template"]
        container = container_of(deployment)
        assert container["image"] == f"helpdesk/{proc.folder}"
        assert container["command"] == proc.argv
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert proc.health_port in ports.values()
        if proc.published_port:
            assert proc.published_port in ports.values()
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= pod["metadata"]["labels"].items(), name
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == str(proc.health_port)
        assert annotations["prometheus.io/path"] == "/metrics"
        assert pod["spec"]["securityContext"]["runAsUser"] == NON_ROOT_UID
        assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns replicas"


def test_deployments_have_probes_and_resources(k8s_objects: list[dict]) -> None:
    for name, deployment in of_kind(k8s_objects, "Deployment").items():
        proc = PROCESS_BY_NAME[name]
        container = container_of(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert probe in container, f"{name} lacks {probe}"
            http = container[probe]["httpGet"]
            assert http["path"] == "/healthz"
            assert ports.get(http["port"], http["port"]) == proc.health_port, f"{name} {probe}"
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), f"{name} {bound}"


def test_services_select_exactly_one_deployment(k8s_objects: list[dict]) -> None:
    deployments = of_kind(k8s_objects, "Deployment")
    jobs = of_kind(k8s_objects, "Job")
    services = of_kind(k8s_objects, "Service")
    assert set(services) == set(deployments)
    for name, service in services.items():
        selector = service["spec"]["selector"].items()
        matches = [
            d for d, dep in deployments.items() if selector <= dep["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert matches == [name], f"Service {name} selects {matches}"
        for job_name, job in jobs.items():
            labels = job["spec"]["template"]["metadata"]["labels"].items()
            assert not selector <= labels, f"Service {name} would route to Job {job_name}"
        port_names = {p["name"] for p in container_of(deployments[name])["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, f"{name}: {port['targetPort']}"


def test_hpa_per_deployment_and_pdb_for_web_apps(k8s_objects: list[dict]) -> None:
    deployments = of_kind(k8s_objects, "Deployment")
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(k8s_objects, "HorizontalPodAutoscaler").values()}
    assert set(hpas) == set(deployments)
    for hpa in hpas.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdbs = of_kind(k8s_objects, "PodDisruptionBudget")
    covered = set()
    for pdb in pdbs.values():
        selector = pdb["spec"]["selector"]["matchLabels"].items()
        for name, dep in deployments.items():
            if selector <= dep["spec"]["template"]["metadata"]["labels"].items():
                covered.add(name)
                assert pdb["spec"]["minAvailable"] < hpas[name]["spec"]["minReplicas"], name
    assert covered >= WEB_APPS


def test_migrate_job_per_service(k8s_objects: list[dict]) -> None:
    jobs = of_kind(k8s_objects, "Job")
    assert set(jobs) == {f"{folder}-migrate" for folder in SERVICES}
    for folder, (package, _) in SERVICES.items():
        job = jobs[f"{folder}-migrate"]
        container = container_of(job)
        assert container["image"] == f"helpdesk/{folder}"
        assert container["command"] == ["python", "-m", package, "migrate"]
        assert job["spec"]["template"]["spec"]["restartPolicy"] in {
            "Never",
            "OnFailure",
        }
        assert {"cpu", "memory"} <= set(container["resources"]["limits"])
        env = {e["name"] for e in container.get("env", [])}
        assert {k for k in env if k.endswith("_DATABASE_URL")} == {DATABASE_ENV[folder]}


def test_k8s_env_refs_resolve_and_match_compose(
    k8s_objects: list[dict], secret_example: dict, configmap: dict, services: dict
) -> None:
    secret_keys = set(secret_example["stringData"])
    config_keys = set(configmap["data"])
    assert secret_keys | config_keys <= ALLOWED_ENV
    workloads = {**of_kind(k8s_objects, "Deployment"), **of_kind(k8s_objects, "Job")}
    for name, workload in workloads.items():
        container = container_of(workload)
        env_names = set()
        for item in container.get("env", []):
            env_names.add(item["name"])
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"] == secret_example["metadata"]["name"]
                assert ref["key"] in secret_keys, f"{name}: unknown secret key {ref['key']}"
                assert ref["key"] == item["name"]
        for source in container.get("envFrom", []):
            assert source["configMapRef"]["name"] == configmap["metadata"]["name"], name
        assert env_names <= ALLOWED_ENV, f"{name}: {sorted(env_names - ALLOWED_ENV)}"
        assert len({k for k in env_names if k.endswith("_DATABASE_URL")}) == 1, name
        if name in PROCESS_BY_NAME:
            compose_env = set(env_of(services[name]))
            k8s_env = env_names | config_keys
            assert compose_env <= k8s_env, f"{name}: k8s lacks {sorted(compose_env - k8s_env)}"
            assert env_names <= compose_env, f"{name}: compose lacks {env_names - compose_env}"


def test_secret_example_holds_only_placeholders(secret_example: dict) -> None:
    assert secret_example["kind"] == "Secret"
    assert "data" not in secret_example, "base64 data hides what is in it"
    values = secret_example["stringData"]
    assert set(DATABASE_ENV.values()) | {
        "HELPDESK_SECRET_KEY",
        "HELPDESK_AMQP_URI",
    } <= set(values)
    for key, value in values.items():
        assert "CHANGE-ME" in value, f"{key} is not a placeholder"
        match = URL_PASSWORD_RE.match(value)
        if match:
            assert match.group("password") == "CHANGE-ME", key
        elif "://" not in value:
            assert value == "CHANGE-ME", key


def test_configmap_holds_no_secret(configmap: dict) -> None:
    for key, value in configmap["data"].items():
        assert not SECRET_KEY_RE.search(key), f"{key} belongs in the Secret"
        assert URL_PASSWORD_RE.match(value) is None, f"{key} embeds credentials"
    assert configmap["data"]["HELPDESK_ENV"] == "production"


# ----------------------------------------------------------------------------- Prometheus, Grafana


def test_prometheus_has_a_job_per_process(services: dict) -> None:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(PROCESS_BY_NAME) <= set(jobs)
    for proc in PROCESSES:
        job = jobs[proc.name]
        assert job.get("metrics_path", "/metrics").startswith("/metrics")
        (sd,) = job["dns_sd_configs"]
        assert sd["names"] == [proc.name] and proc.name in services
        assert sd["port"] == proc.health_port, proc.name
    mounts = [str(m) for m in services["prometheus"]["volumes"]]
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in mounts


def test_grafana_dashboard_covers_the_key_metrics() -> None:
    dashboard = json.loads(DASHBOARD_FILE.read_text())
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    text = "\n".join(exprs)
    for metric in (
        "helpdesk_outbox_pending",
        "helpdesk_events_published_total",
        "helpdesk_events_consumed_total",
        "helpdesk_http_requests_total",
        "helpdesk_http_request_duration_seconds_bucket",
    ):
        assert metric in text, f"dashboard does not chart {metric}"
    assert "event_type" in text, "events consumed are broken down by event_type"
    # the chassis labels every helpdesk_* series with service=<package name>
    service_labels = set(re.findall(r'service="([^"]+)"', text))
    assert service_labels, "panels filter on the service label"
    assert service_labels <= {pkg for pkg, _ in SERVICES.values()}, service_labels
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in panels:
        uid = panel["datasource"]["uid"]
        assert uid.startswith("${") and uid[2:-1] in variables, panel["title"]
    for expr in exprs:
        assert expr.count("(") == expr.count(")"), expr
