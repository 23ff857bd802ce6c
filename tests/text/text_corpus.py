"""The nasty corpus the tokenizer fixtures and tests encode (shared by make_fixtures.py)."""

from __future__ import annotations

import random


def nasty_corpus() -> list[str]:
    base = [
        "",
        " ",
        "   \t\n  ",
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "Don't stop: it's 3.14159 -- really?!",
        "café naïve Straße ÉCOLE Ångström",
        "e\u0301 a\u0300\u0301 o\u0308\u0304 combining marks\u0327",
        "日本語のテキスト and 中文字符 mixed",
        "한국어 텍스트",
        "привет мир, Ελληνικά",
        "مرحبا بالعالم",
        "emoji 😀👍🏽 family 👨\u200d👩\u200d👧 flags 🇫🇷",
        "zero\u200bwidth\u200cjoin\u200dchars\ufeff",
        "control\x00chars\x01\x07here\x1b[0m\x7f",
        "tabs\tand\nnewlines\r\nand\u00a0nbsp\u3000ideographic",
        "a" * 30,
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        "kariton" * 5,
        "[CLS] literal [SEP] specials [MASK] [UNK]",
        "<s> roberta </s> <mask> <pad>",
        "İstanbul ß ǅ ﬁ ＡＢＣ ①②",
        "\ufffd replacement \ufffd",
        "mixed日本English中文😀text",
        "   leading and trailing   ",
        "U.S.A. e.g. i.e. etc...",
        "$100 @user #tag 50% a&b <html>",
        "1234567890 ١٢٣ ⅷ",
        "x" + "\u0301" * 10,
        "'s 've 're 'll 'd 'm 't",
        "Hello World, hello   world [MASK]x [MASK] zzq karito<mask> <mask>  y",
        "ＨＥＬＬＯ ｗｏｒｌｄ ﬁne ½ ㎏ ℌ",
    ]
    rng = random.Random(7)
    alphabet = "abcdeéñ 日本😀\u0301\u200b.,!?'\t" + "karitoneshamu"
    base += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(40)]
    return base


def pair_corpus() -> list[tuple[str, str]]:
    texts = nasty_corpus()
    return [(texts[i], texts[(i * 7 + 3) % len(texts)]) for i in range(0, len(texts), 2)]


def bpe_corpus() -> list[str]:
    """2 000 lines of syllable-made words with accents and punctuation, for training BPE."""
    rng = random.Random(20261126)
    syllables = ["lo", "w", "er", "est", "ne", "wi", "d", "th", "an", "ing", "re", "pro", "ta"]
    syllables += ["ka", "mi", "s", "é", "ça", "ü", "ß", "!", ",", "日本", "語"]
    return [
        " ".join(
            "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(3, 12))
        )
        for _ in range(2000)
    ]
