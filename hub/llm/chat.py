"""Chat templates: chat messages rendered into the one raw prompt string a model expects.

The model's own template (from the GGUF metadata) is used when it renders; ChatML otherwise.
Rendering to a raw string ourselves keeps the fixed system text and examples byte-identical
between requests, which is what lets llama.cpp reuse its KV cache.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hub.llm.backend import Prompt

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

CHATML_STOP = "<|im_end|>"


class ChatTemplate:
    """Renders chat messages into the one raw prompt string the model expects."""

    def __init__(self, kind: str, formatter: Any, stop: list[str]) -> None:
        self.kind = kind
        self._formatter = formatter
        self.stop = stop

    @classmethod
    def for_model(cls, llm: Llama, override: str | None) -> ChatTemplate:
        source = override or llm.metadata.get("tokenizer.chat_template")
        if source:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            eos = token_text(llm, llm.token_eos())
            bos = token_text(llm, llm.token_bos())
            try:
                formatter = Jinja2ChatFormatter(template=source, eos_token=eos, bos_token=bos)
                template = cls("gguf", formatter, [eos] if eos else [CHATML_STOP])
                template.render(Prompt("s", (), "u").messages())  # fail here, not per request
            except Exception as exc:
                log.warning("chat template unusable (%s); falling back to ChatML", exc)
            else:
                return template
        return cls("chatml", None, [CHATML_STOP])

    def render(self, messages: list[dict[str, str]]) -> str:
        if self._formatter is None:
            return render_chatml(messages)
        return str(self._formatter(messages=messages).prompt)


def render_chatml(messages: list[dict[str, str]]) -> str:
    """ChatML, the format of Qwen and many others, ending with an open assistant turn."""
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


def token_text(llm: Llama, token: int) -> str:
    if token < 0:
        return ""
    return llm.detokenize([token], special=True).decode("utf-8", errors="replace")
