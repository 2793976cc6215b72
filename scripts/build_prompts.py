"""Build the Mandarin prompts and hold music at build time.

Each entry of ivr/prompts.yaml becomes .local/sounds/zh/yht/<id>.ulaw
(8 kHz mu-law, Asterisk's native format for our ulaw calls). A recorded
recordings/prompts/<id>.wav replaces the synthetic voice. Nothing is fetched
at run time: espeak-ng and sox are Debian packages.

    python -m scripts.build_prompts
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PROMPTS = REPO / "ivr" / "prompts.yaml"
RECORDED = REPO / "recordings" / "prompts"
OUT = REPO / ".local" / "sounds"
TO_ULAW = ["-r", "8000", "-c", "1", "-t", "ul"]


def build_prompt(prompt_id: str, text: str, out_dir: Path) -> Path:
    target = out_dir / f"{prompt_id}.ulaw"
    recorded = RECORDED / f"{prompt_id}.wav"
    source_key = recorded.read_bytes() if recorded.exists() else text.encode()
    stamp = out_dir / f".{prompt_id}.sha256"
    digest = hashlib.sha256(source_key).hexdigest()
    if target.exists() and stamp.exists() and stamp.read_text() == digest:
        return target
    if recorded.exists():
        subprocess.run(["sox", str(recorded), *TO_ULAW, str(target)], check=True)
    else:
        wav = out_dir / f".{prompt_id}.wav"
        subprocess.run(["espeak-ng", "-v", "cmn", "-s", "230", "-w", str(wav), text], check=True)
        subprocess.run(["sox", str(wav), *TO_ULAW, str(target), "gain", "-n", "-3"], check=True)
        wav.unlink()
    stamp.write_text(digest)
    return target


def build_hold_music(out_dir: Path) -> Path:
    """A calm, neutral tone sequence: hold music with no advertisement."""
    target = out_dir / "yht-hold.ulaw"
    if target.exists():
        return target
    notes = ["C4", "E4", "G4", "E4", "F4", "A4", "G4", "E4"]
    parts: list[str] = []
    for i, note in enumerate(notes):
        part = str(out_dir / f".note{i}.wav")
        subprocess.run(
            ["sox", "-n", "-r", "8000", "-c", "1", part, "synth", "0.9", "sine", note,
             "fade", "q", "0.05", "0.9", "0.3", "gain", "-12"],
            check=True,
        )  # fmt: skip
        parts.append(part)
    subprocess.run(["sox", *parts, *TO_ULAW, str(target)], check=True)
    for part in parts:
        Path(part).unlink()
    return target


def main() -> None:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run `make setup`")
    texts = yaml.safe_load(PROMPTS.read_text())
    prompt_dir = OUT / "zh" / "yht"
    prompt_dir.mkdir(parents=True, exist_ok=True)
    for prompt_id, text in texts.items():
        build_prompt(prompt_id, text, prompt_dir)
    moh_dir = OUT / "moh"
    moh_dir.mkdir(parents=True, exist_ok=True)
    build_hold_music(moh_dir)
    print(f"{len(texts)} prompts and hold music in {OUT}")


if __name__ == "__main__":
    main()
