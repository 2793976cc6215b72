"""The front end's data (ivr/menu.yaml) as Asterisk configuration.

scripts/pbx.py puts these into the rendered configuration, so the keys and the
sounds a queued caller hears have one home, the menu file:

- queue_keys(): the dialplan context app_queue sends a key to
  (queues.conf `context = yht-queue-keys`). A queue action is plain dialplan
  (no AGI needed: the key works with the FastAGI server down); the
  order-progress action runs the `order_progress` FastAGI route.
- wait_classes(): one music-on-hold class per welcome and notice. The caller
  hears the notice (if any), the welcome and the keys once, then hold music
  (`loop_last`), all while already in the queue.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ivr.menu import MenuDefinition, wait_class

KEY_CONTEXT = "yht-queue-keys"
HOLD_MUSIC = "yht-hold"  # scripts/build_prompts.py


def wait_classes(menu: MenuDefinition) -> dict[str, tuple[str, ...]]:
    """Class name -> the prompt ids it plays, in order (hold music last)."""
    own = menu.welcome_prompt
    welcomes = sorted(p for p in menu.known_prompts if p == own or p.startswith(f"{own}-"))
    notices = (None, menu.schedule.after_hours_prompt, menu.schedule.holiday_prompt)
    classes: dict[str, tuple[str, ...]] = {}
    for welcome in welcomes:
        for notice in notices:
            played = (*((notice,) if notice else ()), welcome, menu.menu.prompt)
            classes[wait_class(welcome, notice)] = played
    return classes


def musiconhold_sections(menu: MenuDefinition) -> str:
    return "\n".join(
        f"[{name}]\nmode = files\ndirectory = moh/{name}\nsort = alpha\nloop_last = yes\n"
        for name in wait_classes(menu)
    )


def queue_keys(menu: MenuDefinition) -> str:
    lines = [f"[{KEY_CONTEXT}]"]
    for key, action in sorted(menu.menu.options.items()):
        exten = f"exten => {key},1,Set(YHT_KEY={key})"
        if action.action == "order_progress":
            lines += [exten, " same => n,Goto(yht-queue-key,order,1)"]
        else:
            lines += [
                exten,
                f" same => n,Set(__YHT_QUEUE={action.queue})",
                f" same => n,Set(__YHT_CATEGORY={action.category})",
                " same => n,Goto(yht-queue-key,queue,1)",
            ]
    lines.append("exten => h,1,Goto(yht-hotline,h,1)")
    return "\n".join(lines)


def install_wait_classes(menu: MenuDefinition, prompt_dir: Path, moh_dir: Path) -> None:
    """Fill moh/<class>/ from the built prompts (sounds/zh/yht/<id>.ulaw) and
    the hold music (moh/yht-hold.ulaw); names sort in playing order."""
    hold = moh_dir / f"{HOLD_MUSIC}.ulaw"
    for name, prompts in wait_classes(menu).items():
        target = moh_dir / name
        target.mkdir(parents=True, exist_ok=True)
        for number, prompt in enumerate(prompts, start=1):
            shutil.copy(prompt_dir / f"{prompt}.ulaw", target / f"{number:02d}-{prompt}.ulaw")
        shutil.copy(hold, target / f"99-{HOLD_MUSIC}.ulaw")
