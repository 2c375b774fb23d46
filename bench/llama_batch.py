"""What one llama.cpp evaluation costs on this machine, by batch size: the floor of a model answer.

    .venv/bin/python bench/llama_batch.py             # the default model, a 1,200-token prompt
    .venv/bin/python bench/llama_batch.py --prefix 600 --threads 1 2
    .venv/bin/python bench/llama_batch.py --model PATH.gguf

A model-tier answer evaluates the request's tokens and its guessed line in one batch or a few
after the prompt the home's devices make (hub.llm.trie). This evaluates a prompt of ``--prefix``
tokens once, then n = 1, 2, 4, 8, 16 tokens after it, again and again, and prints the median
milliseconds per batch size: what the build of llama-cpp-python
(docs/operating.md#the-llamacpp-build), the weights and the thread count make of it, without
anything of hub's around it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

SIZES = (1, 2, 4, 8, 16)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--model", type=Path, help="a GGUF file (default: hub's default model)")
    parser.add_argument("--prefix", type=int, default=1200, help="prompt tokens before each batch")
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--repeat", type=int, default=8, help="evaluations per batch size")
    args = parser.parse_args()

    from hub.llm.llama import load_llama
    from hub.modelstore.catalog import default_model_path

    path = args.model or default_model_path()
    print(f"model {path.name}, prompt of {args.prefix} tokens, median of {args.repeat}")
    print("threads  " + "  ".join(f"{n:>3} tok" for n in SIZES) + "   (ms)")
    for threads in args.threads:
        llm = load_llama(path, n_ctx=args.prefix + 64, n_threads=threads, n_batch=512)
        text = "You control a smart home. Turn on the kitchen lights. " * (args.prefix // 8)
        tokens = llm.tokenize(text.encode())[: args.prefix]
        llm.eval(tokens)
        base = llm.n_tokens
        medians = []
        for n in SIZES:
            times = []
            for _ in range(args.repeat):
                llm.n_tokens = base
                llm._ctx.kv_cache_seq_rm(-1, base, -1)
                started = time.perf_counter()
                llm.eval(tokens[:n])
                times.append((time.perf_counter() - started) * 1000)
            medians.append(statistics.median(times))
        print(f"{threads:>7}  " + "  ".join(f"{m:7.1f}" for m in medians))
        del llm


if __name__ == "__main__":
    main()
