"""The unprivileged account Asterisk runs as (asterisk.conf runuser), and the
ownership of an instance's directories."""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Iterable
from pathlib import Path

SERVICE_ACCOUNT = "yht-asterisk"


def _asterisk_ids(rootfs: Path) -> tuple[int, int]:
    """The uid and gid Asterisk runs as: a dedicated host account (created
    once), given to the root filesystem's `asterisk` user. The package's own
    uid would be some other host service's (it could signal that service's
    processes)."""
    try:
        account = pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
                        SERVICE_ACCOUNT], check=True)  # fmt: skip
        account = pwd.getpwnam(SERVICE_ACCOUNT)
    uid, gid = account.pw_uid, account.pw_gid
    for name, ids in (("passwd", f"{uid}:{gid}"), ("group", str(gid))):
        table = rootfs / "etc" / name
        lines = table.read_text().splitlines()
        patched = [_with_ids(line, ids) if line.startswith("asterisk:") else line for line in lines]
        if patched != lines:
            table.write_text("\n".join(patched) + "\n")
    return uid, gid


def _with_ids(line: str, ids: str) -> str:
    """`asterisk:x:101:101:...` with the given uid:gid (passwd) or gid (group)."""
    fields = line.split(":")
    fields[2 : 2 + len(ids.split(":"))] = ids.split(":")
    return ":".join(fields)


def give_to_asterisk(rootfs: Path, instance: Path, kept: Iterable[str], etc: Path) -> None:
    """Asterisk owns the directories it writes (`kept`), reads `etc` (seat
    passwords, AMI secrets) through its group, and owns nothing else."""
    uid, gid = _asterisk_ids(rootfs)
    for sub in kept:
        for path in [instance / sub, *(instance / sub).rglob("*")]:
            if not path.is_symlink():
                os.chown(path, uid, gid)
        os.chmod(instance / sub, 0o750)
    os.chmod(instance, 0o755)
    for path in [etc, *etc.rglob("*")]:
        os.chown(path, 0, gid)
        os.chmod(path, 0o750 if path.is_dir() else 0o640)
