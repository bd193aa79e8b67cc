"""Unit tests for hiddenrep.seq2seq: the generated date and number data, the vocabulary and
batching helpers, the encoder-decoder's shapes and masking, and the g2p-en loader."""

from __future__ import annotations

import datetime
import functools

import torch

from hiddenrep.seq2seq import (DATE_LOCALES, Seq2Seq, Vocab, best_normalised, date_pairs,
                               g2p_beam, g2p_encode_words, g2p_greedy, g2p_vocabularies,
                               length_bucketed_batches, load_g2p, number_words,
                               pad_ids, teacher_forcing_batch)


def test_date_pairs_are_reproducible_and_correct():
    pairs = date_pairs(300, seed=4)
    assert pairs == date_pairs(300, seed=4)
    assert pairs != date_pairs(300, seed=5)
    for p in pairs:
        day = datetime.date.fromisoformat(p.iso)
        assert 1950 <= day.year <= 2049 and p.locale in DATE_LOCALES
        assert not (p.locale == "en_US" and p.format == "short")
        assert str(day.year)[2:] in p.text  # every style shows at least the last two digits


def test_number_words_differ_by_language():
    assert number_words([7, 21], "en") == ["seven", "twenty-one"]
    assert number_words([7], "fr") == ["sept"]


def test_vocab_reserves_special_ids_and_decodes_up_to_eos():
    vocab = Vocab(["ba", "c"], extra=["<2fr>"])
    assert vocab.symbols[:4] == ["<pad>", "<s>", "</s>", "<2fr>"]
    ids = vocab.encode("abc")
    assert vocab.decode([1] + ids + [2] + ids) == "abc"
    assert vocab.encode(["<2fr>", "a"]) == [3, vocab.index["a"]]


def test_pad_ids_and_teacher_forcing_shift():
    padded, lengths = pad_ids([[5, 6, 7], [8]])
    assert padded.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    vocab = Vocab(["ab"])
    inputs, outputs = teacher_forcing_batch(["ab", "b"], vocab)
    a, b = vocab.index["a"], vocab.index["b"]
    assert inputs.tolist() == [[1, a, b], [1, b, 0]]
    assert outputs.tolist() == [[a, b, 2], [b, 2, 0]]


def test_length_bucketed_batches_cover_every_example_once_per_pass():
    lengths = torch.randint(1, 30, (100,), generator=torch.Generator().manual_seed(0))
    batches = length_bucketed_batches(lengths, 8, torch.Generator().manual_seed(1))
    seen = torch.cat([next(batches) for _ in range(13)])  # 100 / 8 -> 13 batches per pass
    assert sorted(seen.tolist()) == list(range(100))


def test_seq2seq_ignores_padding_and_returns_attention_rows_that_sum_to_one():
    torch.manual_seed(0)
    for attention in (False, True):
        model = Seq2Seq(10, 6, embed=4, hidden=8, attention=attention).eval()
        src = torch.tensor([[3, 4, 5, 0, 0]])
        noisy = torch.tensor([[3, 4, 5, 9, 9]])  # garbage in the padding
        tgt = torch.tensor([[1, 3, 4]])
        lengths = torch.tensor([3])
        assert model(src, lengths, tgt).shape == (1, 3, 6)
        assert torch.allclose(model(src, lengths, tgt), model(noisy, lengths, tgt))
        out, maps = model.greedy(src, lengths, max_len=4)
        assert out.shape[0] == 1 and out.shape[1] <= 4
        if attention:
            assert torch.allclose(maps.sum(-1), torch.ones(1, out.shape[1]))
            assert (maps[..., 3:] == 0).all()
        else:
            assert maps is None


@functools.lru_cache(maxsize=None)
def g2p():
    return load_g2p()


def test_g2p_vocabularies_are_parsed_from_the_source():
    graphemes, phonemes = g2p_vocabularies()
    assert len(graphemes) == 29 and graphemes[:3] == ["<pad>", "<unk>", "</s>"]
    assert len(phonemes) == 74 and phonemes[2:4] == ["<s>", "</s>"] and phonemes[-1] == "ZH"


def test_g2p_model_pronounces_common_words_like_cmudict():
    model, graphemes, phonemes = g2p()
    cmu = {"cat": "K AE1 T", "house": "HH AW1 S", "water": "W AO1 T ER0", "table": "T EY1 B AH0 L"}
    words = list(cmu)
    ids, lengths = g2p_encode_words(words, graphemes)
    greedy = g2p_greedy(model, ids, lengths)
    for word, pred in zip(words, greedy):
        assert " ".join(phonemes[i] for i in pred) == cmu[word]
    # a beam of width 1 is greedy decoding
    one, _ = g2p_encode_words(["water"], graphemes)
    assert best_normalised(g2p_beam(model, one, width=1), alpha=0.0) == greedy[2]


def test_best_normalised_prefers_longer_outputs_as_alpha_grows():
    hyps = [([1], -1.0), ([1, 2, 3], -1.6)]
    assert best_normalised(hyps, 0.0) == [1]
    assert best_normalised(hyps, 1.0) == [1, 2, 3]
