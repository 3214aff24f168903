"""Certificate sign-in end to end: a real nginx (deploy/nginx/leadermail.conf)
verifying client certificates against a test CA, in front of a uvicorn process
of the app on the test database."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadermail.platform.certificates.services import register_certificate, revoke_certificate
from leadermail.platform.config import PROJECT_ROOT, Settings
from tests.conftest import TEST_SECRET
from tests.functional.staff_ops.certs import Issued, issue, make_ca
from tests.functional.staff_ops.helpers import free_port, make_staff

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEPLOY_CONF = PROJECT_ROOT / "deploy" / "nginx" / "leadermail.conf"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")


def _wait(url: str, process: subprocess.Popen[bytes], **kwargs: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2, **kwargs)  # type: ignore[arg-type]
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    directory = tmp_path_factory.mktemp("tls")
    ca = make_ca("测试省数字认证中心")
    server = issue(ca, "localhost", server=True)
    ca_path, _ = ca.write(directory, "client-ca")
    server.write(directory, "server")
    return {"dir": directory, "ca": ca, "ca_path": ca_path}


@pytest.fixture(scope="module")
def app_server(migrated: Settings) -> Iterator[int]:
    port = free_port()
    env = dict(os.environ)
    assert migrated.database_url and migrated.redis_url
    env.update(
        {
            "DATABASE_URL": migrated.database_url,
            "REDIS_URL": migrated.redis_url,
            "SECRET_KEY": TEST_SECRET,
            "LEADERMAIL_VAR_DIR": str(migrated.var_dir),
            "PLATFORM_HOST": "localhost",
            "LEADERMAIL_ENV": "test",
            "TRUSTED_PROXY_IPS": "127.0.0.1",
        }
    )
    log = PROJECT_ROOT / "test-artifacts"
    log.mkdir(exist_ok=True)
    with (log / "nginx-app-server.log").open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "leadermail.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--proxy-headers",
                "--forwarded-allow-ips",
                "127.0.0.1",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait(f"http://127.0.0.1:{port}/", process)
            yield port
        finally:
            _stop(process)


@pytest.fixture(scope="module")
def nginx(
    pki: dict[str, object], app_server: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    site = DEPLOY_CONF.read_text(encoding="utf-8")
    site = site.replace("/etc/leadermail/tls", str(pki["dir"]))
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_server};")
    site = re.sub(r"listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;", site)
    (prefix / "site.conf").write_text(site, encoding="utf-8")
    temp = prefix / "temp"
    temp.mkdir()
    (prefix / "nginx.conf").write_text(
        f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {prefix}/site.conf;
}}
""",
        encoding="utf-8",
    )
    check = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"https://127.0.0.1:{port}/", process, verify=False)
        yield port
    finally:
        _stop(process)
        (PROJECT_ROOT / "test-artifacts").mkdir(exist_ok=True)
        shutil.copy(prefix / "error.log", PROJECT_ROOT / "test-artifacts" / "nginx-error.log")


def client_for(
    pki: dict[str, object], issued: Issued | None, directory: Path, name: str
) -> httpx.AsyncClient:
    context = ssl.create_default_context(cafile=str(pki["ca_path"]))
    context.check_hostname = False  # the server certificate names localhost, we dial 127.0.0.1
    if issued is not None:
        cert, key = issued.write(directory, name)
        context.load_cert_chain(str(cert), str(key))
    return httpx.AsyncClient(verify=context, follow_redirects=False, timeout=20)


async def sign_in(client: httpx.AsyncClient, base: str) -> httpx.Response:
    # The server's tenant cache reloads every 5 s: wait for a new tenant to appear.
    for _ in range(40):
        page = await client.get(f"{base}/console/certificate")
        if page.status_code != 404:
            break
        await asyncio.sleep(0.3)
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    return await client.post(
        f"{base}/console/certificate/sign-in", data={"csrf_token": token.group(1)}
    )


async def test_sign_in_through_nginx(nginx, pki, context, make_tenant, tmp_path):  # noqa: ANN001
    ca = pki["ca"]
    assert isinstance(ca, Issued)
    tenant = await make_tenant()
    base = f"https://127.0.0.1:{nginx}/t/{tenant.slug}"
    staff = await make_staff(context, tenant, "周值班")
    good, revoked = issue(ca, "周值班"), issue(ca, "周值班")
    async with context.database.core_session() as session:
        await register_certificate(session, user_id=staff.user_id, pem=good.pem)
        await register_certificate(session, user_id=staff.user_id, pem=revoked.pem)
        await revoke_certificate(
            session,
            issuer=ca.certificate.subject.rfc4514_string(),
            serial=format(revoked.certificate.serial_number, "x"),
        )
        await session.commit()

    async with client_for(pki, good, tmp_path, "good") as client:
        response = await sign_in(client, base)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/t/{tenant.slug}/console/"
        duty = await client.get(f"{base}/console/duty")
        assert duty.status_code == 200 and "周值班" in duty.text

    async with client_for(pki, revoked, tmp_path, "revoked") as client:
        response = await sign_in(client, base)
        assert response.status_code == 403 and "已被吊销" in response.text

    async with client_for(pki, issue(ca, "无名氏"), tmp_path, "unknown") as client:
        response = await sign_in(client, base)
        assert response.status_code == 403 and "未在本系统登记" in response.text

    other_ca = make_ca("别的认证中心")
    async with client_for(pki, issue(other_ca, "冒充者"), tmp_path, "foreign") as client:
        response = await sign_in(client, base)
        assert response.status_code == 403 and "未通过验证" in response.text

    async with client_for(pki, None, tmp_path, "none") as client:
        response = await sign_in(client, base)
        assert response.status_code == 403 and "未检测到数字证书" in response.text
        # A forged header from the visitor is dropped by nginx.
        forged = await client.post(
            f"{base}/console/certificate/sign-in",
            headers={"X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-Cert": "forged"},
            data={"csrf_token": "x"},
        )
        assert forged.status_code == 403
