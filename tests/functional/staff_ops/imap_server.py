"""A real IMAP server for the tests: Debian's dovecot, started in a temp directory.

    with running_dovecot(tmp_path, users={"intake@example.cn": "secret"}) as port:
        imaplib.IMAP4("127.0.0.1", port)

Runs as root (the mail files then belong to the ``dovecot`` user, as the
package sets it up) or as an ordinary user (everything runs as that user).
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from tests.functional.staff_ops.helpers import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def dovecot_available() -> bool:
    return Path(DOVECOT).exists()


@contextlib.contextmanager
def running_dovecot(directory: Path, users: Mapping[str, str]) -> Iterator[int]:
    port = free_port()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        uid, gid = owner.pw_uid, owner.pw_gid
        run_as = ""
    else:
        uid, gid = os.getuid(), os.getgid()
        user, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
        run_as = (
            f"default_internal_user = {user}\ndefault_internal_group = {group}\n"
            f"default_login_user = {user}\n"
        )
    for sub in ("run", "state", "mail"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("state", "mail"):
        os.chown(directory / sub, uid, gid)
    (directory / "users").write_text(
        "".join(f"{name}:{{PLAIN}}{password}\n" for name, password in users.items())
    )
    (directory / "users").chmod(0o644)
    config = directory / "dovecot.conf"
    config.write_text(
        f"""{run_as}base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{directory}/mail/%u
first_valid_uid = {uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={directory}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        import socket

        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                log = directory / "dovecot.log"
                raise RuntimeError("dovecot exited: " + (log.read_text() if log.exists() else ""))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
