"""Make the reference fixtures of the text extras (run by hand, natively, in the 3.11 venv)::

    .venv/bin/python tests/text/make_extras_fixtures.py

- ``data/porter_reference.tsv``: words and their stems by Martin Porter's own Snowball
  definition of his 1980 algorithm (the ``snowballstemmer`` package, in the ``reference``
  dependency group). The words are a fixed, hash-chosen 6 000 of the lower-case words of 3+
  letters in the Python standard library's sources.
- ``data/bpe_train_expected.json``: the merges and vocabulary Hugging Face ``tokenizers``'
  ``BpeTrainer`` learns on :func:`bpe_corpus` (whitespace and byte-level pre-tokenizers), so
  the trainer is checked against it in Pyodide too, where neither library is installed.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
import sys
import sysconfig
from pathlib import Path

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(Path(__file__).parent))
from text_corpus import bpe_corpus  # noqa: E402


def stdlib_words() -> list[str]:
    words: set[str] = set()
    for path in glob.glob(sysconfig.get_paths()["stdlib"] + "/**/*.py", recursive=True):
        with open(path, encoding="utf-8", errors="ignore") as f:
            words.update(re.findall(r"\b[a-z]{3,}\b", f.read()))
    return sorted(words)


def porter() -> None:
    import snowballstemmer

    ref = snowballstemmer.stemmer("porter")
    chosen = sorted(stdlib_words(), key=lambda w: hashlib.blake2b(w.encode()).digest())[:6000]
    lines = [f"{w}\t{ref.stemWord(w)}" for w in sorted(chosen)]
    (DATA / "porter_reference.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def bpe() -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    out = {}
    for name, pre, vocab_size in (
        ("whitespace", pre_tokenizers.WhitespaceSplit(), 300),
        ("byte_level", pre_tokenizers.ByteLevel(add_prefix_space=False), 400),
    ):
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre
        alphabet = pre_tokenizers.ByteLevel.alphabet() if name == "byte_level" else []
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=["<s>", "</s>"], initial_alphabet=alphabet,
            show_progress=False, min_frequency=2,
        )  # fmt: skip
        tok.train_from_iterator(bpe_corpus(), trainer)
        model = json.loads(tok.to_str())["model"]
        merges = [m.split(" ") if isinstance(m, str) else m for m in model["merges"]]
        out[name] = {"vocab_size": vocab_size, "vocab": model["vocab"], "merges": merges}
    (DATA / "bpe_train_expected.json").write_text(
        json.dumps(out, ensure_ascii=False), encoding="utf-8"
    )


if __name__ == "__main__":
    porter()
    bpe()
    print("wrote", DATA / "porter_reference.tsv", DATA / "bpe_train_expected.json")
