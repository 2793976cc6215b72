"""What an Asterisk instance reads besides its configuration: the data
directory (the package's files, our prompts, hold music and the front end's
wait classes) and the stand-alone AGI scripts. Used by scripts/pbx.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ivr.menu import load_menu
from ivr.render import install_wait_classes

REPO = Path(__file__).resolve().parent.parent
PROMPTS_BUILD = REPO / ".local" / "sounds"


def install_data(rootfs: Path, data: Path) -> None:
    """Asterisk's data dir: the package's files plus our prompts and hold music."""
    shipped = rootfs / "usr/share/asterisk"
    for entry in shipped.iterdir():
        if entry.name != "sounds":
            (data / entry.name).symlink_to(Path("/usr/share/asterisk") / entry.name)
    sounds = data / "sounds"
    sounds.mkdir()
    for entry in (shipped / "sounds").iterdir():
        (sounds / entry.name).symlink_to(Path("/usr/share/asterisk/sounds") / entry.name)
    if not (PROMPTS_BUILD / "zh").is_dir():
        raise SystemExit("prompts are not built: run `make prompts` first")
    shutil.copytree(PROMPTS_BUILD / "zh", sounds / "zh")
    shutil.copytree(PROMPTS_BUILD / "moh", data / "moh")
    install_wait_classes(load_menu(), sounds / "zh" / "yht", data / "moh")


def install_agi_scripts(agi_bin: Path) -> None:
    """Stand-alone (process-per-call) AGI scripts run inside the chroot."""
    import asterisk  # pyst2

    shutil.copytree(Path(asterisk.__file__).parent, agi_bin / "asterisk")
    for script in (REPO / "agi" / "scripts").glob("*.py"):
        shutil.copy(script, agi_bin / script.name)
        os.chmod(agi_bin / script.name, 0o755)


def hotline_extensions(hotlines: list[str], sos_numbers: list[str]) -> str:
    """The inbound extensions of the hotline and SOS numbers (10-inbound.conf)."""
    return (
        "\n".join(
            # a registered SOS device calling an ordinary hotline number is still
            # an SOS call (AstDB yht-sos, no Python involved)
            f"exten => {h},1,Gosub(yht-caller,s,1)\n"
            f' same => n,GotoIf($["${{GOSUB_RETVAL}}" != "" & '
            f"${{DB_EXISTS(yht-sos/${{GOSUB_RETVAL}})}}]?yht-sos,{h},1)\n"
            f" same => n,Gosub(yht-hotline,s,1({h}))\n same => n,Hangup()"
            for h in hotlines
        )
        + "\n"
        + "\n".join(f"exten => {n},1,Goto(yht-sos,{n},1)" for n in sos_numbers)
    )
