"""Chat templates: how a model's turns are written into one prompt string, and read back.

A ModelSpec names its template (`chat_template`); assistant.chat.prompting writes prompts with it,
and a server backend that applies its own template splits the prompt back into messages.
"""

from __future__ import annotations

from typing import Any

CHAT_TEMPLATES: dict[str, dict[str, Any]] = {
    # ChatML, as used by SmolLM2, Qwen and many others.
    "chatml": {"start": "<|im_start|>{role}\n", "end": "<|im_end|>\n", "stop": ["<|im_end|>"]},
}


def split_chatml(prompt: str) -> list[dict[str, str]]:
    """Messages of a ChatML prompt (for servers that apply their own chat template)."""
    messages = []
    for block in prompt.split("<|im_start|>")[1:]:
        role, _, content = block.partition("\n")
        content = content.removesuffix("\n").removesuffix("<|im_end|>")
        if content or role != "assistant":
            messages.append({"role": role.strip(), "content": content})
    if messages and messages[-1]["role"] == "assistant" and not messages[-1]["content"]:
        messages.pop()
    return messages
