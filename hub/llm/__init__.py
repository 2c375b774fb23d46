"""Language-model engines behind one small interface (:class:`hub.llm.backend.LLMBackend`).

The rest of hub only ever sees :class:`Prompt` in and :class:`Generation` out, so the embedded
llama.cpp engine, a remote OpenAI-compatible server and a test fake are interchangeable.
"""
