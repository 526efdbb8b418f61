"""Policy bundles: a complete policy pack given from outside the checked tree, replacing the shipped one.

A bundle comes from one of three sources (:data:`SOURCES`), each of which yields the same thing,
the bundle's files as bytes held in memory, and the digest that names them:

- a directory, in aigov's layout (``aigov/*.rego``, ``data/*.yaml``, ``VERSION``) or OPA's;
- an OPA bundle tarball (``.manifest``, ``data.json`` files, ``*.rego``);
- an HTTP(S) URL to a tarball, pinned by its SHA-256 (``URL#sha256=<hex>``), downloaded once into
  a cache keyed by that digest (``$XDG_CACHE_HOME/aigov/bundles``); ``--offline`` reads only the cache.

Tarballs are never extracted onto disk: members are read into memory, and a member that could
land outside a folder (``../``, an absolute path), a link, a device or a tarball over the size
caps (compressed or uncompressed) is refused. OPA's ``.signatures.json`` is verified when present
(a JWT, RS256 or ES256, against the org's public key); a bundle that fails any check is an error,
never replaced by the shipped pack.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from aigov.config import BundleRequest
from aigov.deadline import DeadlinePassed, env_seconds, within
from aigov.errors import AigovError
from aigov.files import read_regular_file
from aigov.policy.index import known_module
from aigov.policy.pack import bundle_revision, is_test_module, release_of
from aigov.policy.rego_ast import module_package
from aigov.resources import policies_dir
from aigov.sigstore_bundles import MAX_BUNDLE_BYTES as MAX_SIGSTORE_BYTES
from aigov.sigstore_bundles import identity_policy, load_verifier, rejection_reason, verify_bundle
from aigov.yamlfile import parse_yaml, safe_load

MAX_BUNDLE_BYTES = 20 * 1024 * 1024  # a tarball as downloaded (compressed)
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # the whole tar stream, once decompressed: a tar bomb stops here
MAX_MEMBERS = 10_000  # every header counts: files, directories, pax headers, GNU long names
MAX_EXTENDED_HEADER_BYTES = 1024 * 1024  # pax headers and GNU long names together, checked before tarfile reads them
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 10.0, 60.0
DOWNLOAD_DEADLINE_S = 120.0  # the whole download, redirects included (AIGOV_BUNDLE_TIMEOUT)
MAX_REDIRECTS = 5
MANIFEST = ".manifest"
SIGNATURES = ".signatures.json"

BundleFiles = dict[str, bytes]  # path inside the bundle (POSIX, relative) -> content


@dataclass
class PolicyBundle:
    """A bundle read and verified: its Rego modules and data, ready to become the pack."""

    label: str  # the source as reports name it (a URL without credentials, or a path)
    digest: str  # sha256 of the tarball as given, or of a directory's files
    revision: str
    modules: list[tuple[str, str]] = field(default_factory=list)  # (path in the bundle, source)
    data: dict[str, Any] = field(default_factory=dict)
    signed: bool = False


# --- Sources: each turns a request into the bundle's files and their digest ---------------------


def read_directory(request: BundleRequest) -> tuple[BundleFiles, str]:
    folder = Path(request.location)
    if request.pin is not None or request.identity is not None:
        raise AigovError("a directory cannot be pinned or Sigstore-verified; build a tarball (aigov policy build) and pin or sign that", request.source)
    files: BundleFiles = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        if ".git" in path.relative_to(folder).parts:
            continue  # a checkout of the platform repository: its history is not part of the pack
        if path.is_symlink():
            raise AigovError("policy bundles may not contain symbolic links", str(path))
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        files[name] = read_regular_file(path, str(path))
        total += len(files[name])
        if total > MAX_UNPACKED_BYTES or len(files) > MAX_MEMBERS:
            raise AigovError(f"policy bundle is larger than {MAX_UNPACKED_BYTES} bytes or {MAX_MEMBERS} files", str(folder))
    return files, tree_digest(files)


def read_tarball(request: BundleRequest) -> tuple[BundleFiles, str]:
    data = read_regular_file(Path(request.location), request.location, MAX_BUNDLE_BYTES)  # refuses a larger file
    digest = _check_pin(data, request, request.location)
    if request.identity is not None:
        verify_sigstore(request, data, _read_signature(request), request.location)
    return unpack(data, request.location), digest


def read_url(request: BundleRequest) -> tuple[BundleFiles, str]:
    label = public_url(request.location)
    if request.pin is None and request.identity is None:
        raise AigovError("an unpinned bundle URL is refused: add #sha256=<hex of the tarball> (sha256sum bundle.tar.gz) "
                         "or verify it with Sigstore (--policy-bundle-identity and --policy-bundle-issuer)", label)
    cache = _cache_dir(request)
    data, signature = _from_cache(request, cache)
    if data is None:
        if request.offline:
            raise AigovError(f"--offline and the bundle is not in the cache ({cache})", label)
        data = download(request.location, label)
    digest = _check_pin(data, request, label)
    if request.identity is not None:
        if signature is None:
            signature = _read_signature(request)
        verify_sigstore(request, data, signature, label)
    _remember(cache, request, data, signature)
    return unpack(data, label), digest


# The table of sources: how a request names one -> how its files are read.
SOURCES: dict[str, Callable[[BundleRequest], tuple[BundleFiles, str]]] = {
    "url": read_url,
    "directory": read_directory,
    "tarball": read_tarball,
}


def source_kind(location: str) -> str:
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location):
        scheme = location.split("://", 1)[0].lower()
        if scheme not in ("https", "http"):
            raise AigovError(f"unsupported URL scheme {scheme}: give an https:// URL, a tarball or a directory", location)
        return "url"
    path = Path(location)
    if path.is_dir():
        return "directory"
    if not path.exists():
        raise AigovError("policy bundle not found", location)
    return "tarball"


def load_bundle(request: BundleRequest) -> PolicyBundle:
    """Read, verify and parse the bundle ``request`` names; every failure is an AigovError naming it."""
    kind = source_kind(request.location)
    if (request.identity is None) != (request.issuer is None):
        raise AigovError("give both --policy-bundle-identity and --policy-bundle-issuer to verify a bundle with Sigstore", request.location)
    files, digest = SOURCES[kind](request)
    label = public_url(request.location) if kind == "url" else request.location
    signed = verify_signatures(files, request.public_key, label)
    bundle = parse_layout(files, label, digest)
    bundle.signed = signed
    return bundle


# --- Downloads and the cache ---------------------------------------------------------------------


def download(url: str, label: str) -> bytes:
    """The body at ``url``, streamed under the size cap; redirects only to the same host and scheme.
    All of it within AIGOV_BUNDLE_TIMEOUT seconds: requests' timeouts bound each read, and a host
    that sends a byte a second would otherwise hold the check for ever."""
    seconds = env_seconds("AIGOV_BUNDLE_TIMEOUT", DOWNLOAD_DEADLINE_S)
    try:
        return within(seconds, lambda: _download(url, label), "policy bundle download")
    except DeadlinePassed:
        raise AigovError(f"the bundle host did not send the bundle within {seconds:g} s (AIGOV_BUNDLE_TIMEOUT)", label) from None


def _download(url: str, label: str) -> bytes:
    import requests  # lazy: requests ~70 ms, only to download a bundle

    origin = urlsplit(url)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = requests.get(url, stream=True, timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S), allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise AigovError(f"TLS verification failed: {_reason(exc)}", label) from None
        except requests.exceptions.Timeout:
            raise AigovError("the bundle host did not answer in time", label) from None
        except requests.exceptions.RequestException as exc:
            raise AigovError(f"cannot reach the bundle host: {_reason(exc)}", label) from None
        with response:
            if response.is_redirect:
                target = urljoin(url, response.headers.get("location", ""))
                moved = urlsplit(target)
                if (moved.scheme, moved.netloc) != (origin.scheme, origin.netloc):
                    raise AigovError(f"redirected to another host ({public_url(target)}); refused", label)
                url = target
                continue
            if response.status_code != 200:
                raise AigovError(f"the bundle host answered HTTP {response.status_code} {response.reason or ''}".rstrip(), label)
            return _read_capped(response, label)
    raise AigovError(f"more than {MAX_REDIRECTS} redirects", label)


def _read_capped(response: Any, label: str) -> bytes:
    import requests  # lazy: requests ~70 ms, only to download a bundle

    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BUNDLE_BYTES:
        raise AigovError(f"the bundle is {declared} bytes, over the {MAX_BUNDLE_BYTES}-byte cap", label)
    body = bytearray()
    try:
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > MAX_BUNDLE_BYTES:  # checked while streaming: a lying Content-Length cannot fill memory
                raise AigovError(f"the bundle is over the {MAX_BUNDLE_BYTES}-byte cap", label)
    except requests.exceptions.RequestException as exc:
        raise AigovError(f"the download broke off: {_reason(exc)}", label) from None
    return bytes(body)


def _reason(exc: BaseException) -> str:
    text = str(exc.args[0] if exc.args else exc)
    inner = re.search(r"\(Caused by \w+\((.*)\)\)$", text)
    return " ".join((inner.group(1) if inner else text).split())[:200]


def _from_cache(request: BundleRequest, cache: Path) -> tuple[bytes | None, bytes | None]:
    """The cached tarball (and Sigstore bundle) for the request, found by its pin or, unpinned, by
    the digest this URL had when it was last verified. The tarball is re-hashed: a cache is not trusted."""
    index = cache / "by-url" / hashlib.sha256(request.location.encode()).hexdigest()
    wanted = request.pin or (index.read_text().strip() if index.is_file() else None)
    tarball = cache / f"{wanted}.tar.gz"
    if wanted is None or not tarball.is_file():
        return None, None
    data = tarball.read_bytes()
    if hashlib.sha256(data).hexdigest() != wanted:
        return None, None
    signature = cache / f"{wanted}.sigstore.json"
    return data, signature.read_bytes() if signature.is_file() else None


def _remember(cache: Path, request: BundleRequest, data: bytes, signature: bytes | None) -> None:
    hexdigest = hashlib.sha256(data).hexdigest()
    _store(cache / f"{hexdigest}.tar.gz", data)
    if signature is not None:
        _store(cache / f"{hexdigest}.sigstore.json", signature)
        _store(cache / "by-url" / hashlib.sha256(request.location.encode()).hexdigest(), hexdigest.encode())


def _cache_dir(request: BundleRequest) -> Path:
    if request.cache_dir is not None:
        return request.cache_dir
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aigov" / "bundles"


def _store(path: Path, data: bytes) -> None:
    """Write atomically, so a concurrent check never reads half a bundle (it re-hashes it anyway)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _read_signature(request: BundleRequest) -> bytes:
    """The Sigstore bundle for the tarball: --policy-bundle-signature, else SOURCE.sigstore.json."""
    where = request.signature or request.location + ".sigstore.json"
    if "://" in where:
        if request.offline:
            raise AigovError("--offline and the Sigstore bundle is not in the cache", public_url(where))
        return download(where, public_url(where))[: MAX_SIGSTORE_BYTES + 1]
    return read_regular_file(Path(where), where, MAX_SIGSTORE_BYTES + 1)


def verify_sigstore(request: BundleRequest, data: bytes, signature: bytes, label: str) -> None:
    """The tarball must be signed by the expected identity and issuer (offline, sigstore_bundles)."""
    if request.issuer is None:
        raise AigovError("--policy-bundle-identity needs --policy-bundle-issuer (the OIDC issuer that vouched for it)", label)
    policy = identity_policy(request.issuer, request.identity, None)
    result = verify_bundle(load_verifier(request.trusted_root), hashlib.sha256(data).digest(), signature, policy)
    if not result.verified:
        reason = rejection_reason(result.facts(), policy.describe(), request.issuer, request.trusted_root)
        raise AigovError(f"the bundle's Sigstore signature is rejected: {reason}", label)


def _check_pin(data: bytes, request: BundleRequest, label: str) -> str:
    actual = hashlib.sha256(data).hexdigest()
    if request.pin is not None and actual != request.pin:
        raise AigovError(f"digest mismatch: the bundle is sha256:{actual}, pinned sha256:{request.pin}", label)
    return "sha256:" + actual


def public_url(url: str) -> str:
    """A URL as reports may show it: without credentials, query or pin."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


# --- Tarballs, read in memory --------------------------------------------------------------------


def unpack(data: bytes, label: str) -> BundleFiles:
    """The regular files of a gzipped tarball; anything that could escape a folder is refused.

    Memory stays bounded whatever the archive holds: the decompressed stream is read once, in
    order, and capped as a whole (headers and padding too); every header is counted before
    tarfile processes it, and an extended header (pax, GNU long name) is refused before it is read
    when the extended headers together would pass their cap, since tarfile reads each whole.
    """
    files: BundleFiles = {}
    declared = 0  # the members' own sizes: checked before each is read
    stream = _CappedStream(gzip.GzipFile(fileobj=io.BytesIO(data)), MAX_UNPACKED_BYTES)
    try:
        with _counting_tarfile().open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                name = _member_name(member, label)
                if member.isdir():
                    continue
                declared += member.size  # refused before reading: a sparse or lying member cannot make memory
                if declared > MAX_UNPACKED_BYTES:
                    raise ArchiveTooLarge(f"the bundle unpacks to more than {MAX_UNPACKED_BYTES} bytes (a tar bomb?)")
                if name in files:
                    raise AigovError(f"member {name} appears twice", label)
                handle = archive.extractfile(member)
                assert handle is not None  # a regular file, checked by _member_name
                files[name] = handle.read(member.size)
    except ArchiveTooLarge as exc:
        raise AigovError(str(exc), label) from None
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:  # zlib errors are OSError/ValueError
        raise AigovError(f"is not a readable tar.gz bundle: {' '.join(str(exc).split())[:200]}", label) from None
    return files


class ArchiveTooLarge(Exception):
    """The archive passes one of the caps; the message says which."""


class _CappedStream:
    """The decompressed tar stream, read in order (tarfile's stream mode), refused past ``cap`` bytes."""

    def __init__(self, raw: Any, cap: int) -> None:
        self.raw, self.cap, self.read_so_far = raw, cap, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size if 0 <= size <= self.cap + 1 else self.cap + 1)
        self.read_so_far += len(chunk)
        if self.read_so_far > self.cap:
            raise ArchiveTooLarge(f"the bundle unpacks to more than {self.cap} bytes (a tar bomb?)")
        return chunk


@functools.cache
def _counting_tarfile() -> Any:
    """TarFile and TarInfo subclasses that see every header before tarfile processes it, through
    TarInfo._proc_member, the hook tarfile documents for subclasses. Built on first use: tarfile
    is imported only when a tarball is read."""
    extended = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)

    class CountingTarInfo(tarfile.TarInfo):
        def _proc_member(self, archive: Any) -> Any:
            archive.headers += 1
            if archive.headers > MAX_MEMBERS:
                raise ArchiveTooLarge(f"the bundle has more than {MAX_MEMBERS} members (directories and extended headers count)")
            if self.type in extended:
                archive.extended_bytes += self.size
                if archive.extended_bytes > MAX_EXTENDED_HEADER_BYTES:
                    raise ArchiveTooLarge(f"the bundle's pax headers and long names hold more than {MAX_EXTENDED_HEADER_BYTES} bytes")
            if self.type == tarfile.GNUTYPE_SPARSE:
                self._refuse_sparse()
            return super()._proc_member(archive)  # type: ignore[misc]  # tarfile's own member reader, undeclared in typeshed

        def _refuse_sparse(self, member: Any = None, *args: Any) -> None:
            # A sparse file's map can fill memory far beyond its bytes; a bundle never has one.
            raise ArchiveTooLarge(f"member {(member or self).name} is a sparse file; bundles hold only regular files")

        # tarfile's readers of the pax forms of sparse maps (GNU 0.0, 0.1 and 1.0).
        _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _refuse_sparse

    class CountingTarFile(tarfile.TarFile):
        tarinfo = CountingTarInfo

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.headers = 0
            self.extended_bytes = 0
            super().__init__(*args, **kwargs)  # reads the first header already

    return CountingTarFile


def _member_name(member: Any, label: str) -> str:
    name = member.name
    if member.issym() or member.islnk():
        raise AigovError(f"member {name} is a link; bundles may hold only regular files", label)
    if not (member.isfile() or member.isdir()):
        raise AigovError(f"member {name} is a device or special file; refused", label)
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("\\") or re.match(r"^[A-Za-z]:", name):
        raise AigovError(f"member {name} has an absolute path; refused", label)
    parts = [p for p in path.parts if p not in (".", "")]
    if ".." in parts:
        raise AigovError(f"member {name} climbs out of the bundle with ../; refused", label)
    return "/".join(parts)


def tree_digest(files: BundleFiles) -> str:
    """One digest over a set of files: their sorted names and contents."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{hashlib.sha256(files[name]).hexdigest()}\n".encode())
    return "sha256:" + digest.hexdigest()


# --- Layouts: aigov's folders, or OPA's data.json tree -------------------------------------------

AIGOV_DATA = {"data/registry.yaml": "registry", "data/settings.yaml": "settings", "data/templates.yaml": "templates"}


def parse_layout(files: BundleFiles, label: str, digest: str) -> PolicyBundle:
    """Modules and data of an OPA bundle (``.manifest``) or of a folder laid out like ``policies/``."""
    if MANIFEST in files:
        return _parse_opa(files, label, digest)
    if "VERSION" in files or any(name in files for name in AIGOV_DATA):
        return _parse_aigov(files, label, digest)
    raise AigovError("is neither an OPA bundle (no .manifest) nor laid out like policies/ (no VERSION, no data/)", label)


def _parse_opa(files: BundleFiles, label: str, digest: str) -> PolicyBundle:
    manifest = _json(files[MANIFEST], f"{label}: {MANIFEST}")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("revision"), str) or not manifest["revision"]:
        raise AigovError(f"{MANIFEST} has no revision", label)
    roots = manifest.get("roots", [""])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise AigovError(f"{MANIFEST}: roots must be a list of strings", label)
    bundle = PolicyBundle(label=label, digest=digest, revision=manifest["revision"])
    for name in sorted(files):
        folder, _, base = name.rpartition("/")
        if base.endswith(".rego"):
            bundle.modules.append((name, _text(files[name], label, name)))
        elif base in ("data.json", "data.yaml", "data.yml"):
            value = _json(files[name], f"{label}: {name}") if base == "data.json" else _yaml(files[name], label, name)
            _place(bundle.data, [p for p in folder.split("/") if p], value, label, name)
    _refuse_outside_roots(bundle, roots, label)
    return bundle


def _parse_aigov(files: BundleFiles, label: str, digest: str) -> PolicyBundle:
    version = _text(files["VERSION"], label, "VERSION").strip() if "VERSION" in files else "unversioned"
    bundle = PolicyBundle(label=label, digest=digest, revision=version)
    for name in sorted(files):
        if name.startswith("aigov/") and name.endswith(".rego"):
            bundle.modules.append((name, _text(files[name], label, name)))
    bundle.data = {"aigov": {key: _yaml(files[name], label, name) for name, key in AIGOV_DATA.items() if name in files}}
    return bundle


def _place(data: dict[str, Any], keys: list[str], value: Any, label: str, name: str) -> None:
    if not keys:
        if not isinstance(value, dict):
            raise AigovError(f"{name}: the data at the bundle's top must be an object", label)
        data.update(value)
        return
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value


def _refuse_outside_roots(bundle: PolicyBundle, roots: list[str], label: str) -> None:
    """OPA refuses a bundle whose policies or data lie outside the roots its manifest claims; so do we."""
    def inside(path: str) -> bool:
        return any(r == "" or path == r or path.startswith(r + "/") for r in roots)

    for name, source in bundle.modules:
        indexed = known_module(policies_dir(), source, name)  # a module of the shipped pack, read ahead
        package = (indexed.package if indexed else module_package(f"{label}: {name}", source)).replace(".", "/")
        if not inside(package):
            raise AigovError(f"{name}: package {package.replace('/', '.')} is outside the manifest's roots {roots}", label)
    for key in bundle.data:
        if not inside(key) and not any(r.startswith(key + "/") for r in roots):
            raise AigovError(f"data.{key} is outside the manifest's roots {roots}", label)


def _text(data: bytes, label: str, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AigovError(f"{name} is not UTF-8 text", label) from None


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AigovError(f"invalid JSON: {exc}", name) from None


def _yaml(data: bytes, label: str, name: str) -> Any:
    return parse_yaml(_text(data, label, name), f"{label}: {name}").data


# --- OPA's .signatures.json ----------------------------------------------------------------------

_HASHES = {"SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512", "SHA-224": "sha224"}


def verify_signatures(files: BundleFiles, public_key: Path | None, label: str) -> bool:
    """Verify OPA's .signatures.json, as OPA does: a signed bundle without a key fails, and so does
    a key without a signed bundle. True when the bundle was signed and verified."""
    if SIGNATURES not in files:
        if public_key is not None:
            raise AigovError(f"a signing key was given but the bundle has no {SIGNATURES}", label)
        return False
    if public_key is None:
        raise AigovError(f"the bundle is signed ({SIGNATURES}); give the public key that verifies it (--policy-bundle-key)", label)
    document = _json(files[SIGNATURES], f"{label}: {SIGNATURES}")
    tokens = document.get("signatures") if isinstance(document, dict) else None
    if not isinstance(tokens, list) or len(tokens) != 1 or not isinstance(tokens[0], str):
        raise AigovError(f"{SIGNATURES} must hold exactly one JWT in \"signatures\"", label)
    payload = verify_jwt(tokens[0], _public_key(public_key), label)
    _check_signed_files(files, payload, label)
    return True


def verify_jwt(token: str, key: Any, label: str) -> dict[str, Any]:
    """The payload of a compact JWS signed with RS256 or ES256 by ``key``; anything else is an error."""
    from cryptography.exceptions import InvalidSignature  # lazy: cryptography ~10-40 ms, only for --policy-bundle-key
    from cryptography.hazmat.primitives import hashes  # lazy: cryptography ~10-40 ms, only for --policy-bundle-key
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # lazy: cryptography ~10-40 ms, only for --policy-bundle-key
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # lazy: cryptography ~10-40 ms, only for --policy-bundle-key

    parts = token.split(".")
    if len(parts) != 3:
        raise AigovError(f"{SIGNATURES}: the signature is not a JWT (header.payload.signature)", label)
    try:
        header, payload, signature = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1])), _b64url(parts[2])
    except (ValueError, json.JSONDecodeError):
        raise AigovError(f"{SIGNATURES}: the JWT is not base64url-encoded JSON", label) from None
    alg = header.get("alg") if isinstance(header, dict) else None
    signed = f"{parts[0]}.{parts[1]}".encode()
    try:
        if alg == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "ES256" and isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64:
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
        else:
            raise AigovError(f"{SIGNATURES}: JWT algorithm {alg!r} does not fit the given key (RS256 with an RSA key, ES256 with a P-256 key)", label)
    except InvalidSignature:
        raise AigovError(f"{SIGNATURES}: the signature does not verify with the given key", label) from None
    if not isinstance(payload, dict):
        raise AigovError(f"{SIGNATURES}: the JWT payload is not an object", label)
    return payload


def _check_signed_files(files: BundleFiles, payload: dict[str, Any], label: str) -> None:
    listed = payload.get("files")
    if not isinstance(listed, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in listed):
        raise AigovError(f"{SIGNATURES}: the JWT payload has no files list", label)
    signed = {f["name"]: f for f in listed}
    present = set(files) - {SIGNATURES}
    if set(signed) != present:
        extra, missing = sorted(present - set(signed)), sorted(set(signed) - present)
        what = f"unsigned file {extra[0]}" if extra else f"signed file {missing[0]} is missing"
        raise AigovError(f"{SIGNATURES}: the signature does not cover the bundle's files ({what})", label)
    for name, entry in sorted(signed.items()):
        algorithm = _HASHES.get(str(entry.get("algorithm")))
        if algorithm is None:
            raise AigovError(f"{SIGNATURES}: {name}: unsupported hash algorithm {entry.get('algorithm')!r}", label)
        if signature_hash(name, files[name], algorithm) != str(entry.get("hash", "")).lower():
            raise AigovError(f"{SIGNATURES}: {name} does not match its signed hash (changed after signing)", label)


def signature_hash(name: str, content: bytes, algorithm: str = "sha256") -> str:
    """OPA's file hash: raw bytes, except JSON/YAML files, hashed as sorted compact JSON (bundle/hash.go).

    Python re-serialises numbers (``1e3`` becomes ``1000.0``) where OPA keeps the literal, so a
    data file with exponent-notation numbers signed by `opa sign` would not verify here: it fails
    closed, never open."""
    if name.rsplit("/", 1)[-1] in (MANIFEST, "data.json") or name.endswith(".json"):
        value = json.loads(content.decode("utf-8-sig"))
        content = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    elif name.endswith((".yaml", ".yml")):
        content = json.dumps(safe_load(content.decode("utf-8-sig")), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.new(algorithm, content).hexdigest()


def _public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key  # lazy: cryptography ~10-40 ms, only for --policy-bundle-key

    try:
        return load_pem_public_key(read_regular_file(path, str(path), 64 * 1024))
    except ValueError:
        raise AigovError("is not a PEM public key (RSA or EC P-256)", str(path)) from None


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- aigov policy build: an OPA bundle, byte for byte the same from the same folder --------------


def build_bundle(folder: Path) -> tuple[bytes, str]:
    """An OPA bundle tarball of the pack in ``folder`` (either layout) and its revision.

    The revision is :func:`aigov.policy.pack.bundle_revision` of the modules and data the bundle
    holds: what `aigov check --opa-mode server` requires of a deployed bundle when it loads the
    same pack. Policy tests (``*_test.rego``) are left out: OPA would load them as rules beside
    the pack's, which a check never evaluates. Entries are sorted, with fixed mtime, owner and
    mode, and gzip carries no timestamp or file name: the same folder gives the same bytes.
    """
    files, _ = read_directory(BundleRequest(source=str(folder)))
    bundle = parse_layout(files, str(folder), "")
    modules = {name: source for name, source in bundle.modules if not is_test_module(name)}
    revision = bundle_revision(release_of(bundle.revision), modules.values(), bundle.data)
    content: BundleFiles = {name: source.encode("utf-8") for name, source in modules.items()}
    content.update(_data_files(bundle.data))
    roots = sorted({name.split("/", 1)[0] for name in content if "/" in name} | set(bundle.data))
    manifest = {"revision": revision, "roots": roots}
    content[MANIFEST] = (json.dumps(manifest, sort_keys=True, indent=2) + "\n").encode()
    return _tar_gz(content), revision


def _data_files(data: dict[str, Any]) -> BundleFiles:
    """data.aigov.registry -> aigov/registry/data.json: one file per second-level key, as OPA bundles lay data out."""
    out: BundleFiles = {}
    for top, value in sorted(data.items()):
        children = value.items() if isinstance(value, dict) else []
        for key, child in sorted(children):
            out[f"{top}/{key}/data.json"] = _json_bytes(child)
        if not isinstance(value, dict):
            out[f"{top}/data.json"] = _json_bytes(value)
    return out


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _tar_gz(files: BundleFiles) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(files[name]), 0, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(files[name]))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as compressed:
        compressed.write(raw.getvalue())
    return out.getvalue()
