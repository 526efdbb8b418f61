"""A policy-bundle tarball cannot take more memory or time than its caps, whatever its headers say.

Every header counts against the member cap (directories, pax headers, GNU long names, not only
files), extended headers are capped before tarfile reads one whole, sparse files are refused, and
the decompressed stream is capped as a whole. The tarballs are written block by block here
(tarfile.TarInfo.tobuf for each header), as an attacker would, since tarfile will not write them.
"""

from __future__ import annotations

import functools
import gzip
import io
import itertools
import re
import tarfile
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from aigov.errors import AigovError
from aigov.policy.bundle import MAX_BUNDLE_BYTES, MAX_MEMBERS, unpack
from conftest import CLOCK, assert_clean_error, make_feature, run_limited

BLOCK = 512
END = b"\0" * (2 * BLOCK)
PEAK_BYTES = 32 * 1024 * 1024  # what unpacking any of these may take, at most
MB = 1 << 20


def header(name: str, kind: bytes, size: int = 0) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mode = kind, size, 0o644
    return info.tobuf(tarfile.USTAR_FORMAT)


def padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % BLOCK)


def pax_record(key: str, value: bytes) -> bytes:
    """One "<length> key=value\\n" record; the length counts its own digits."""
    body = f" {key}=".encode() + value + b"\n"
    length = len(body) + len(str(len(body)))
    length = len(body) + len(str(length))
    return str(length).encode() + body


def extended(kind: bytes, data: bytes) -> bytes:
    return header("././@PaxHeader" if kind in (tarfile.XHDTYPE, tarfile.XGLTYPE) else "././@LongLink", kind, len(data)) + padded(data)


def huge_extended(kind: bytes, size: int) -> Iterator[bytes]:
    """An extended header of ``size`` bytes ("a" repeated), written a megabyte at a time."""
    yield header("././@LongLink", kind, size)
    yield from itertools.repeat(b"a" * MB, size // MB)


def file(name: str, data: bytes = b"1\n") -> bytes:
    return header(name, tarfile.REGTYPE, len(data)) + padded(data)


def gz(chunks: Iterable[bytes]) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as writer:  # fast: every stream stays far under the caps
        for chunk in chunks:
            writer.write(chunk)
    return out.getvalue()


# name -> (the tar stream in chunks, what the refusal says)
HOSTILE: dict[str, tuple[Callable[[], Iterable[bytes]], str]] = {
    # 200 MB in one pax header: under 1 MB gzipped, and 629 MB of memory before the cap counted it.
    "a pax header of 200 MB": (lambda: [*huge_extended(tarfile.XHDTYPE, 200 * MB), file("VERSION"), END],
                               "pax headers and long names hold more than"),
    "a GNU long name of 200 MB": (lambda: [*huge_extended(tarfile.GNUTYPE_LONGNAME, 200 * MB), file("VERSION"), END],
                                  "pax headers and long names hold more than"),
    "many small pax headers": (lambda: [*(extended(tarfile.XHDTYPE, pax_record("comment", b"x" * 100_000)) + file(f"f{i}") for i in range(20)), END],
                               "pax headers and long names hold more than"),
    "global pax headers that pile up": (lambda: [extended(tarfile.XGLTYPE, pax_record("comment", b"x" * 300_000))] * 5 + [file("VERSION"), END],
                                        "pax headers and long names hold more than"),
    "a million directory entries": (lambda: [*itertools.repeat(header("d/", tarfile.DIRTYPE) * 1000, 1000), file("VERSION"), END],
                                    f"more than {MAX_MEMBERS} members (directories and extended headers count)"),
    "files each behind its own pax header": (lambda: [*(extended(tarfile.XHDTYPE, pax_record("mtime", b"1")) + file(f"f{i}") for i in range(MAX_MEMBERS // 2 + 1)), END],
                                             f"more than {MAX_MEMBERS} members"),
    "a GNU sparse member": (lambda: [header("aigov/x.rego", tarfile.GNUTYPE_SPARSE), END], "is a sparse file"),
    "a pax 1.0 sparse member": (lambda: [extended(tarfile.XHDTYPE, pax_record("GNU.sparse.major", b"1") + pax_record("GNU.sparse.minor", b"0")
                                                  + pax_record("GNU.sparse.name", b"aigov/x.rego") + pax_record("GNU.sparse.realsize", b"60000000")),
                                         file("aigov/x.rego", b"9999999999\n"), END], "is a sparse file"),
}


@functools.cache
def hostile_tarball(name: str) -> bytes:
    """HOSTILE[name] gzipped (bytes, never changed: written once, as the largest take seconds to compress)."""
    return gz(HOSTILE[name][0]())


@pytest.mark.parametrize("name, refusal", [(name, refusal) for name, (_, refusal) in HOSTILE.items()], ids=HOSTILE.keys())
def test_a_hostile_tarball_is_refused_within_bounded_memory(name: str, refusal: str) -> None:
    data = hostile_tarball(name)
    assert len(data) < MAX_BUNDLE_BYTES  # small enough to download, or to pass the tarball's own cap
    tracemalloc.start()
    try:
        with pytest.raises(AigovError, match=re.escape(refusal)):
            unpack(data, "bundle.tar.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"unpacking took {peak / 2**20:.0f} MiB"


def test_an_ordinary_bundle_with_pax_headers_and_directories_still_unpacks() -> None:
    long_name = "aigov/" + "m" * 150 + ".rego"  # over ustar's 100 characters: a pax header carries it
    stream = [header("aigov/", tarfile.DIRTYPE), extended(tarfile.XHDTYPE, pax_record("path", long_name.encode())),
              file("aigov/long.rego", b"package aigov\n"), file("VERSION"), END]
    assert unpack(gz(stream), "bundle.tar.gz") == {long_name: b"package aigov\n", "VERSION": b"1\n"}


@pytest.mark.parametrize("name", ["a pax header of 200 MB", "a million directory entries"])
def test_aigov_check_refuses_the_tarball_quickly(tmp_path: Path, name: str) -> None:
    refusal = HOSTILE[name][1]
    bundle = tmp_path / "bundle.tar.gz"
    bundle.write_bytes(hostile_tarball(name))
    run = run_limited("check", str(make_feature(tmp_path / "repo")), "--now", CLOCK, "--policy-bundle", str(bundle),
                      timeout=30, memory_bytes=1024**3)
    assert_clean_error(run, refusal, str(bundle))
