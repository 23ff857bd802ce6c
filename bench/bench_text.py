"""Benchmark text processing: WordPiece encoding and basic_english + Vocab.

Generates its own corpus (deterministic). Prints tokens/second for WordPiece ``encode_batch``
(torsh-data, and the ``tokenizers`` library when installed) and lines/second for
``basic_english`` + ``Vocab`` lookups. Runs natively and inside Pyodide::

    python bench/bench_text.py [--quick] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import sys
import time
from pathlib import Path

from torsh_data.text import Tokenizer, basic_english, build_vocab_from_iterator

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "tests" / "text" / "data" / "wordpiece_tokenizer.json"


def corpus(n: int) -> list[str]:
    rng = random.Random(0)
    words = (
        "the quick brown fox jumps over lazy dog hello world really stop pack my box with five "
        "dozen liquor jugs karitone shamulo Café naïve 日本語 don't it's U.S.A. 3.14 (x) [y]"
    ).split()
    return [
        " ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) + rng.choice(".!?")
        for _ in range(n)
    ]


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--tokenizer", default=str(FIXTURE))
    args = ap.parse_args()
    lines = corpus(500 if args.quick else 3000)
    repeat = 2 if args.quick else 3
    out: dict[str, object] = {"python": sys.version.split()[0], "platform": sys.platform}

    tok = Tokenizer.from_file(args.tokenizer)
    tok.encode("warm up the caches and character classes")
    n_tokens = sum(len(e.ids) for e in tok.encode_batch(lines))
    t = best(lambda: tok.encode_batch(lines), repeat)
    out["wordpiece_tokens_per_s"] = n_tokens / t
    if importlib.util.find_spec("tokenizers") is not None:
        from tokenizers import Tokenizer as Reference

        ref = Reference.from_file(args.tokenizer)
        t = best(lambda: [ref.encode(s) for s in lines], repeat)
        out["tokenizers_lib_tokens_per_s_one_by_one"] = n_tokens / t
        t = best(lambda: ref.encode_batch(lines), repeat)
        out["tokenizers_lib_tokens_per_s_batch_parallel"] = n_tokens / t
        out["tokenizers_version"] = __import__("tokenizers").__version__

    vocab = build_vocab_from_iterator(map(basic_english, lines), specials=["<unk>"])
    vocab.set_default_index(0)

    def basic() -> None:
        lookup = vocab.lookup_indices
        for s in lines:
            lookup(basic_english(s))

    out["basic_english_vocab_lines_per_s"] = len(lines) / best(basic, repeat)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"Python {out['python']} on {platform.platform()} ({sys.platform})")
        for k, v in out.items():
            if isinstance(v, float):
                print(f"  {k:45s} {v:12,.0f}")


if __name__ == "__main__":
    main()
