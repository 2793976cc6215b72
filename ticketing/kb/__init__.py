"""Knowledge base (知识库) agents search while on a call."""
