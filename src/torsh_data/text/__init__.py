"""Text: tokenizers, vocabularies and text transforms that give the same ids everywhere.

Simple tokenizers (:func:`basic_english` as in torchtext), a :class:`Vocab`, torchtext-style
transforms, padded collation of token ids and a length-bucketing batch sampler; and
:class:`Tokenizer`, which reads a Hugging Face ``tokenizer.json`` (WordPiece/BERT and
byte-level BPE/GPT-2/RoBERTa) and gives the ids, tokens and offsets of the ``tokenizers``
library, in pure Python, on every runtime.

>>> from torsh_data.text import basic_english, build_vocab_from_iterator
>>> lines = ["The cat sat.", "The dog sat!"]
>>> vocab = build_vocab_from_iterator(map(basic_english, lines), specials=["<unk>"])
>>> vocab.set_default_index(0)
>>> vocab.lookup_indices(basic_english("The bird sat."))
[1, 0, 2, 4]
"""

from .._exports import publish as _publish
from ._basic import (
    RegexTokenizer,
    basic_english,
    basic_english_batch,
    character_tokenizer,
    get_tokenizer,
    whitespace_tokenizer,
)
from ._bpe_train import train_bpe
from ._cleaning import (
    ChangeCase,
    CollapseWhitespace,
    FilterByLength,
    RemoveNumbers,
    RemovePunctuation,
    ReplacePattern,
    TrimWhitespace,
)
from ._collate import BucketBatchSampler, TextBatch, TokenCollate, text_collate
from ._datasets import IMDB, TextClassificationDataset, TextFolder
from ._encoding import Encoding
from ._loading import bpe_from_files, wordpiece_from_vocab
from ._ngrams import NGrams, bigrams, ngrams, trigrams
from ._porter import PorterStemmer, porter_stem
from ._stopwords import ENGLISH_STOP_WORDS, RemoveStopwords, remove_english_stopwords
from ._tokenizer import AddedToken, Tokenizer
from ._transforms import AddToken, PadTransform, Sequential, ToTensor, Truncate, VocabTransform
from ._vocab import Vocab, build_vocab_from_iterator

__all__ = [
    "ENGLISH_STOP_WORDS",
    "IMDB",
    "AddToken",
    "AddedToken",
    "BucketBatchSampler",
    "ChangeCase",
    "CollapseWhitespace",
    "Encoding",
    "FilterByLength",
    "NGrams",
    "PadTransform",
    "PorterStemmer",
    "RegexTokenizer",
    "RemoveNumbers",
    "RemovePunctuation",
    "RemoveStopwords",
    "ReplacePattern",
    "Sequential",
    "TextBatch",
    "TextClassificationDataset",
    "TextFolder",
    "ToTensor",
    "TokenCollate",
    "Tokenizer",
    "TrimWhitespace",
    "Truncate",
    "Vocab",
    "VocabTransform",
    "basic_english",
    "basic_english_batch",
    "bigrams",
    "bpe_from_files",
    "build_vocab_from_iterator",
    "character_tokenizer",
    "get_tokenizer",
    "ngrams",
    "porter_stem",
    "remove_english_stopwords",
    "text_collate",
    "train_bpe",
    "trigrams",
    "whitespace_tokenizer",
    "wordpiece_from_vocab",
]

_publish(globals())
