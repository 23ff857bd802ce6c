"""Make the tokenizer fixtures of tests/text/data/ with the Hugging Face ``tokenizers`` library.

Run natively by hand (not by pytest), with ``tokenizers`` installed in the 3.11 venv::

    .venv/bin/python tests/text/make_fixtures.py

It builds a small WordPiece (BERT) vocabulary from a generated corpus and trains a small
byte-level BPE (RoBERTa) tokenizer offline on it (both deterministic), saves their
``tokenizer.json`` files (and variants with other pipeline parts), and writes the reference
encodings of a nasty corpus to ``expected_*.json``. With ``--tables`` it instead probes the
library's character classes and rewrites ``src/torsh_data/text/_unicode_tables.py``::

    .venv/bin/python tests/text/make_fixtures.py --tables
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(Path(__file__).parent))
from text_corpus import nasty_corpus, pair_corpus  # noqa: E402


def training_corpus() -> list[str]:
    rng = random.Random(20261126)
    syllables = "ka ri to ne sha mu lo pe qui zz th ing ed er un re pre".split()
    extra = ["café", "naïve", "Straße", "日本語", "中文", "привет", "مرحبا", "😀", "e\u0301"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(400)]
    words += [*extra, "the", "a", "of", "and", "to", "is", "don't", "it's", "U.S.A."]
    words += (
        "the quick brown fox jumps over lazy dog hello world really stop pack my box with five "
        "dozen liquor jugs 0 1 2 3 4 5 6 7 8 9 42 3.14 ( ) [ ] # $ % & @ - -- ; : emoji text "
        "mixed tabs newlines leading trailing replacement literal specials roberta html user tag"
    ).split()
    lines = []
    for _ in range(3000):
        n = rng.randint(1, 14)
        ws = [rng.choice(words) for _ in range(n)]
        punct = rng.choice(["", ".", "!", "?", ",", " :)", "..."])
        lines.append(" ".join(ws).capitalize() + punct)
    return lines


def wordpiece_vocab() -> list[str]:
    """A WordPiece vocabulary from the corpus, built here because the library's WordPiece
    trainer breaks ties differently from run to run: specials, every character (alone and as
    a ``##`` piece), the 450 most frequent words and ``##`` suffixes of them."""
    import re
    from collections import Counter

    counts: Counter[str] = Counter()
    for line in training_corpus():
        counts.update(re.findall(r"\w+|[^\w\s]", line.lower()))
    chars = sorted({c for w in counts for c in w})
    words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:450]
    suffixes = sorted({w[i:] for w in words for i in range(1, len(w)) if len(w) - i <= 4})
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars)]
    tokens += words + [f"##{p}" for p in suffixes]
    return list(dict.fromkeys(tokens))


def make_wordpiece() -> Any:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = {t: i for i, t in enumerate(wordpiece_vocab())}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=24))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    return tok


def make_bpe() -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    trainer = trainers.BpeTrainer(
        vocab_size=900,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=1,
    )
    tok.train_from_iterator(training_corpus(), trainer)
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")), trim_offsets=True
    )
    return tok


def make_variants(wordpiece: Any, bpe: Any) -> dict[str, Any]:
    """Tokenizers built from the trained vocabularies with other pipeline parts: Sequence
    normalizers and pre-tokenizers, NFKD, StripAccents, added tokens with lstrip/rstrip and
    normalized added tokens, BertProcessing, the ByteLevel post-processor."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers import processors as P

    wp = Tokenizer(models.WordPiece(wordpiece.get_vocab(), unk_token="[UNK]"))
    wp.normalizer = normalizers.Sequence(
        [normalizers.NFKD(), normalizers.Lowercase(), normalizers.StripAccents()]
    )
    wp.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.BertPreTokenizer()]
    )
    wp.post_processor = P.BertProcessing(
        ("[SEP]", wp.token_to_id("[SEP]")), ("[CLS]", wp.token_to_id("[CLS]"))
    )
    wp.decoder = decoders.WordPiece(cleanup=False)
    wp.add_special_tokens(
        ["[CLS]", "[SEP]", "[PAD]", AddedToken("[MASK]", lstrip=True, rstrip=True)]
    )
    wp.add_tokens([AddedToken("hello world", normalized=True), AddedToken("zzq", normalized=False)])
    bp = Tokenizer(models.BPE(bpe.get_vocab(), [tuple(m.split(" ")) for m in _merges(bpe)]))
    bp.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    bp.post_processor = P.ByteLevel(trim_offsets=True)
    bp.decoder = decoders.ByteLevel()
    bp.add_special_tokens(["<s>", "</s>", "<pad>", AddedToken("<mask>", lstrip=True)])
    bp.add_tokens([AddedToken("karito", normalized=True)])
    return {"wordpiece_variant": wp, "bpe_variant": bp}


def _merges(tok: Any) -> list[str]:
    merges = json.loads(tok.to_str())["model"]["merges"]
    return [m if isinstance(m, str) else " ".join(m) for m in merges]


def encoding_dict(e: object) -> dict[str, object]:
    return {
        k: [list(x) for x in getattr(e, k)] if k == "offsets" else list(getattr(e, k))
        for k in ("ids", "tokens", "offsets", "type_ids", "attention_mask", "special_tokens_mask")
    }


def reference(tok: Any) -> dict[str, object]:
    texts, pairs = nasty_corpus(), pair_corpus()
    out: dict[str, object] = {"single": [], "pair": [], "no_special": [], "truncated": []}
    for t in texts:
        out["single"].append({"text": t, **encoding_dict(tok.encode(t))})  # type: ignore[attr-defined]
        e = tok.encode(t, add_special_tokens=False)
        out["no_special"].append({"text": t, **encoding_dict(e)})  # type: ignore[attr-defined]
        ids = tok.encode(t).ids
        out.setdefault("decode", []).append(  # type: ignore[attr-defined]
            {
                "ids": ids,
                "skip": tok.decode(ids),
                "keep": tok.decode(ids, skip_special_tokens=False),
            }
        )
    for a, b in pairs:
        out["pair"].append({"text": [a, b], **encoding_dict(tok.encode(a, b))})  # type: ignore[attr-defined]
    settings = [
        {"max_length": 8, "stride": 0, "strategy": "longest_first"},
        {"max_length": 12, "stride": 2, "strategy": "longest_first"},
        {"max_length": 10, "stride": 0, "strategy": "only_first"},
        {"max_length": 10, "stride": 0, "strategy": "only_second"},
    ]
    for s in settings:
        tok.enable_truncation(**s)
        for a, b in pairs:
            try:
                e = encoding_dict(tok.encode(a, b))
            except Exception as exc:  # the reference refuses (e.g. only_second too short)
                e = {"error": type(exc).__name__}
            out["truncated"].append({"text": [a, b], "settings": s, **e})  # type: ignore[attr-defined]
        tok.no_truncation()
    out["strided"] = []
    for ml, stride, direction in (
        (12, 2, "right"),
        (9, 0, "left"),
        (12, 4, "left"),
        (2, 0, "right"),
    ):
        tok.enable_truncation(ml, stride=stride, direction=direction)
        for t in texts:
            e = tok.encode(t)
            out["strided"].append(  # type: ignore[attr-defined]
                {
                    "text": t,
                    "settings": {"max_length": ml, "stride": stride, "direction": direction},
                    **encoding_dict(e),
                    "overflowing": [encoding_dict(o) for o in e.overflowing],
                }
            )
        tok.no_truncation()
    pad = "[PAD]" if tok.token_to_id("[PAD]") is not None else "<pad>"
    tok.enable_padding(pad_id=tok.token_to_id(pad), pad_token=pad)
    batch = texts[:12]
    out["padded_batch"] = {
        "texts": batch,
        "encodings": [encoding_dict(e) for e in tok.encode_batch(batch)],
    }
    tok.enable_padding(direction="left", length=40, pad_id=tok.token_to_id(pad), pad_token=pad)
    out["padded_left"] = {
        "texts": batch,
        "encodings": [encoding_dict(e) for e in tok.encode_batch(batch)],
    }
    tok.no_padding()
    return out


def _ranges(cps: list[int]) -> str:
    out: list[str] = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp  # type: ignore[index]
        else:
            out.append([cp, cp])  # type: ignore[arg-type]
    return ",".join(f"{a:x}" if a == b else f"{a:x}-{b:x}" for a, b in out)  # type: ignore[misc]


def write_unicode_tables(version: str) -> None:
    """Probe the library's character classes code point by code point and write them as
    ranges, so every Python (whatever its unicodedata version) classifies like the library."""
    import unicodedata

    from tokenizers import normalizers as N
    from tokenizers import pre_tokenizers as P

    cps = [
        c for r in (range(0x40000), range(0xE0000, 0xE1000)) for c in r if not 0xD800 <= c <= 0xDFFF
    ]
    clean = N.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
    )
    strip, nfd, low = N.StripAccents(), N.NFD(), N.Lowercase()
    bert_strip = N.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False
    )
    bert, bl = P.BertPreTokenizer(), P.ByteLevel(add_prefix_space=False, use_regex=True)
    tables: dict[str, list[int]] = {
        k: []
        for k in ("REMOVED", "SPACED", "MN", "MARKS", "DECOMPOSED", "PUNCT", "LETTERS", "NUMBERS")
    }
    lower: list[str] = []
    nfd_ex: list[str] = []
    for cp in cps:
        c = chr(cp)
        cleaned = clean.normalize_str("x" + c)
        if cleaned == "x":
            tables["REMOVED"].append(cp)
        elif cleaned == "x " and c != " ":
            tables["SPACED"].append(cp)
        if bert_strip.normalize_str("x" + c) == "x":  # BertNormalizer: Mn after NFD
            tables["MN"].append(cp)
        if strip.normalize_str("x" + c) == "x":  # StripAccents: every combining mark
            tables["MARKS"].append(cp)
        if len(bert.pre_tokenize_str("x" + c + "x")) == 3:
            tables["PUNCT"].append(cp)
        if len(bl.pre_tokenize_str("a" + c)) == 1:
            tables["LETTERS"].append(cp)
        if len(bl.pre_tokenize_str("1" + c)) == 1:
            tables["NUMBERS"].append(cp)
        lo = low.normalize_str(c)
        if lo != c:
            lower.append(f"{cp:x}:" + " ".join(f"{ord(x):x}" for x in lo))
        d = nfd.normalize_str(c)
        if d != c:
            tables["DECOMPOSED"].append(cp)
        if d != unicodedata.normalize("NFD", c):
            nfd_ex.append(f"{cp:x}:" + " ".join(f"{ord(x):x}" for x in d))
    lines = [
        f'"""Character classes of the tokenizers library {version}, probed code point by code point.',
        "",
        "Generated by tests/text/make_fixtures.py; do not edit. Hex ranges ``a-b`` joined by commas;",
        "maps as ``cp:cp cp``. Used instead of ``unicodedata`` so that every Python version (each has",
        'its own Unicode version) classifies characters as the reference library does."""',
        "",
        f'TOKENIZERS_VERSION = "{version}"',
    ]
    for k, v in tables.items():
        lines.append(f'{k} = "{_ranges(v)}"')
    lines.append(f'LOWER = "{",".join(lower)}"')
    lines.append(f'NFD_EXCEPTIONS = "{",".join(nfd_ex)}"')
    out = Path(__file__).parents[2] / "src" / "torsh_data" / "text" / "_unicode_tables.py"
    out.write_text("\n".join(lines) + "\n")


def main() -> None:
    import tokenizers

    if "--tables" in sys.argv:
        write_unicode_tables(tokenizers.__version__)
        return

    DATA.mkdir(exist_ok=True)
    made = {"wordpiece": make_wordpiece(), "bpe": make_bpe()}
    made.update(make_variants(made["wordpiece"], made["bpe"]))
    for name, tok in made.items():
        tok.save(str(DATA / f"{name}_tokenizer.json"))
        ref = reference(tok)
        ref["tokenizers_version"] = tokenizers.__version__
        (DATA / f"expected_{name}.json").write_text(
            json.dumps(ref, ensure_ascii=True, indent=None, separators=(",", ":")) + "\n"
        )
        print(name, tok.get_vocab_size(), len(ref["single"]))  # type: ignore[arg-type]
        if name in ("wordpiece", "bpe"):
            tok.model.save(str(DATA), name)
    write_file_based_references()


def write_file_based_references() -> None:
    """Encodings of tokenizers built from vocab.txt and vocab.json + merges.txt."""
    from tokenizers import BertWordPieceTokenizer, ByteLevelBPETokenizer

    texts = nasty_corpus()
    bert = BertWordPieceTokenizer(str(DATA / "wordpiece-vocab.txt"))
    bpe = ByteLevelBPETokenizer(
        str(DATA / "bpe-vocab.json"), str(DATA / "bpe-merges.txt"), add_prefix_space=True,
        trim_offsets=True,
    )  # fmt: skip
    for name, tok in (("wordpiece_vocab", bert), ("bpe_files", bpe)):
        ref = {
            "single": [{"text": t, **encoding_dict(tok.encode(t))} for t in texts],
            "pair": [{"text": [a, b], **encoding_dict(tok.encode(a, b))} for a, b in pair_corpus()],
        }
        (DATA / f"expected_{name}.json").write_text(json.dumps(ref, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
