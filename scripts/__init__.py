"""Developer tooling: Asterisk root filesystem, rendering, prompts, supervisor."""
