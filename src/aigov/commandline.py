"""What every command shares: failing closed, path arguments and the options of a check.

Below both ``aigov.cli`` (the ``aigov`` group and its table of commands) and ``aigov.commands`` (the
sub-commands it loads by name), so neither imports the other. Every command loads it, so it
imports click and light modules only; what only a check's options need is imported where they
are built (``# lazy:``).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from aigov.clock import parse_now
from aigov.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_STDOUT_CLOSED, AigovError
from aigov.report import FORMATS, write_error_reports  # the reporters' modules load on demand
from aigov.untrusted import line_text

PathArg = click.Path(path_type=Path)

# Set by aigov.cli.run, the program's entry point (not by tests that call main in-process): a finished
# check may then leave without tearing the interpreter down.
_is_program = False


def leave_without_teardown() -> None:
    """Let exit_now end the process at once: aigov runs as a program of its own, not inside a test."""
    global _is_program
    _is_program = True


def exit_now(code: int) -> None:
    """Exit with ``code`` once every report is written. As a program, skip the interpreter's teardown:
    freeing every module and object a check loaded costs it 20-30 ms on each pull request, and
    nothing is left to clean up (reports are closed, the evaluation child is reaped)."""
    if not _is_program:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (aigov check | head): the report was not wanted
            pass
    os._exit(code)


def fails_closed(func: Callable[..., Any]) -> Callable[..., Any]:
    """Any error becomes one line on stderr and exit code 2; never a traceback, never a pass."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        report = report_outputs(kwargs)
        try:
            return func(*args, **kwargs)
        except AigovError as exc:
            _die(str(exc), report)
        except (KeyboardInterrupt, click.exceptions.Abort):
            # 130 = 128 + SIGINT, as shells report it; never 1, which means "blocking findings".
            # click turns Ctrl-C at a prompt into Abort.
            click.echo("aigov: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.ClickException):
            raise
        except RecursionError:
            _die("internal error: input nested too deeply to judge (set AIGOV_DEBUG=1 for a traceback)", report)
        except BrokenPipeError as exc:
            _broken_pipe(exc, report)
        except Exception as exc:  # fail closed on our own bugs too
            if os.environ.get("AIGOV_DEBUG"):
                raise
            _die(f"internal error: {type(exc).__name__}: {exc} (set AIGOV_DEBUG=1 for a traceback)", report)

    return wrapper



def _die(message: str, outputs: list[tuple[str, Path | None]]) -> None:
    """One line on stderr and exit 2; a machine format also gets an error document where its report would go."""
    write_error_reports(message, outputs)
    try:
        click.echo(f"aigov: error: {line_text(message)}", err=True)  # it often names the repository's paths
    except OSError:  # standard error closed too (aigov ... 2>&1 | head): the exit code still says it
        pass
    sys.exit(EXIT_ERROR)


STDOUT_CLOSED = "standard output was closed before aigov had written its report (a pipe whose reader left)"


def stdout_closed() -> bool:
    """Whether standard output has lost its reader (``aigov controls | head -c 200``), as opposed to
    another pipe aigov writes to. Where poll() is missing (Windows) aigov cannot tell, and says nothing."""
    import select  # lazy: only once a pipe has broken

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's captured output)
        return False
    if not hasattr(select, "poll"):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(mask & (select.POLLERR | select.POLLHUP) for _, mask in poller.poll(0))


def _broken_pipe(exc: BrokenPipeError, outputs: list[tuple[str, Path | None]]) -> None:
    """Standard output's reader left: end quietly (_leave_unread). Another pipe broke (git, the
    evaluation child): our failure, said as such."""
    if not stdout_closed():
        _die(f"internal error: {type(exc).__name__}: {exc} (set AIGOV_DEBUG=1 for a traceback)", outputs)
    _leave_unread(outputs)


def _leave_unread(outputs: list[tuple[str, Path | None]]) -> None:
    """End quietly, as mature command-line tools do when their reader goes away: nothing on standard
    error, exit 141 (128 + SIGPIPE, never 0: what was asked for was not delivered). Report files not
    yet written get an error document, as on any failure."""
    write_error_reports(STDOUT_CLOSED, [(name, path) for name, path in outputs if path is not None])
    _drop_unwritten_output()
    sys.exit(EXIT_STDOUT_CLOSED)


@contextlib.contextmanager
def parsing_fails_closed() -> Iterator[None]:
    """Around click's parsing of a command line, where it writes --help and --version before any
    command's fails_closed runs: a reader that left ends aigov as fails_closed does (141, quietly;
    click's own handler exits 1), and an output that cannot be written (a full disk) is one line on
    standard error and exit 2, never a traceback."""
    try:
        yield
    except BrokenPipeError as exc:
        _broken_pipe(exc, [])
    except OSError as exc:
        _drop_unwritten_output()
        _die(f"could not write its output: {exc.strerror or exc}", [])


def _drop_unwritten_output() -> None:
    """Point standard output at /dev/null: the interpreter flushes it once more on its way out, and
    what could not be written would fail again there, printing "Exception ignored" (Python's
    documentation, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


# Options that write one more report from the same check: option name -> format.
EXTRA_OUTPUTS = {"sarif": "sarif", "junit": "junit", "json_output": "json", "markdown": "markdown", "record_file": "record"}


def report_outputs(options: dict[str, Any]) -> list[tuple[str, Path | None]]:
    """Every (format, file) a command was asked to write; file None is standard output."""
    outputs: list[tuple[str, Path | None]] = []
    if options.get("output_format") in FORMATS:
        outputs.append((options["output_format"], options.get("output")))
    outputs += [(name, options[key]) for key, name in EXTRA_OUTPUTS.items() if options.get(key) is not None]
    return outputs



# The engine options (a central OPA server); ENGINE_NAMES are the keys of aigov.policy.engine.ENGINES.
ENGINE_NAMES = ["regorus", "opa"]
opa_options = [
    click.option("--engine", type=click.Choice(ENGINE_NAMES), envvar="AIGOV_ENGINE", show_envvar=True,
                 help="The Rego engine: regorus (embedded, the default) or opa (a running OPA server, --opa-url)."),
    click.option("--opa-url", envvar="AIGOV_OPA_URL", show_envvar=True, metavar="URL",
                 help="With --engine opa: the OPA server, scheme://host[:port]."),
    click.option("--opa-token", envvar="AIGOV_OPA_TOKEN", show_envvar=True,
                 help="With --engine opa: a bearer token for the OPA server."),
    click.option("--opa-ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="With --engine opa: verify the server's TLS certificate against this CA bundle (PEM)."),
    click.option("--opa-mode", type=click.Choice(["push", "server"]),
                 help="push (the default): write the pack to the server, then query it; server: query the pack the "
                      "platform team deployed as a bundle, after checking its revision matches."),
    click.option("--opa-timeout", type=click.FloatRange(min=0.1, max=600),
                 help="With --engine opa: seconds to wait for each answer, retried twice with backoff (default 10)."),
]


def check_input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that decide what a check sees, shared by `check` and `facts`."""
    options = [
        click.option("--registry", type=PathArg,
                     help="An approved-model registry that replaces the shipped one (org authority: must be outside the checked repository)."),
        click.option("--config", "config_path", type=PathArg, envvar="AIGOV_CONFIG", show_envvar=True,
                     help="The org config: rules, data, registry and blocking severities that govern the check. "
                          "Must be outside the checked repository; the repository's own .aigov/config.yaml is read too and may only add."),
        click.option("--now", help="The clock the policies see (RFC 3339), for re-running a past decision."),
        click.option("--root", "repository_root", type=click.Path(file_okay=False, path_type=Path),
                     help="The repository whose workflows and .aigov/config.yaml apply (default: the git top level of PATH, "
                          "or PATH itself outside git). Give it for a folder that is a repository of its own, such as an example."),
        click.option(
            "--trusted-root",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Verify artefact signatures against this Sigstore trusted_root.json (a private instance) instead of the production root.",
        ),
        click.option("--policy-bundle", metavar="SOURCE", envvar="AIGOV_POLICY_BUNDLE", show_envvar=True,
                     help="A policy bundle that replaces the shipped pack: a directory, an OPA bundle tarball, or an https URL "
                          "pinned with #sha256=<hex> (org authority: must be outside the checked repository)."),
        click.option("--policy-bundle-key", type=PathArg, metavar="PEM",
                     help="The public key (RSA or EC P-256) that verifies the bundle's .signatures.json."),
        click.option("--policy-bundle-identity", metavar="IDENTITY",
                     help="Verify the bundle tarball's Sigstore signature: the signer identity it must carry (a workflow URI or an email)."),
        click.option("--policy-bundle-issuer", metavar="URL", help="With --policy-bundle-identity: the OIDC issuer it must come through."),
        click.option("--policy-bundle-signature", metavar="FILE|URL",
                     help="The bundle's Sigstore bundle (default: SOURCE.sigstore.json); verified against --trusted-root if given."),
        click.option("--offline", is_flag=True, help="Read a URL policy bundle from the cache only; never download."),
        click.option("--release", is_flag=True,
                     help="Judge a release: every spec.artifacts glob must match a built file (ignored files included), "
                          "each verified. Implied in GitHub Actions for a tag (GITHUB_REF refs/tags/...)."),
        *opa_options,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def change_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a diff-aware check, shared by `check` and `facts`."""
    options = [
        click.option("--base", metavar="REF", help="Diff-aware: judge only the features the change since this git revision "
                                                   "touches, with the rules only a diff can see."),
        click.option("--head", metavar="REF", help="With --base or --pr: the head revision of the change (default: HEAD, the checkout)."),
        click.option("--pr", "pull_request", is_flag=True,
                     help="Diff-aware for the pull request (or merge group) in the event file GITHUB_EVENT_PATH names."),
        click.option("--github-token", envvar="GITHUB_TOKEN", show_envvar=True,
                     help="A token that can read the pull request's reviews (approvals by CODEOWNERS)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def check_options(registry: Path | None, config_path: Path | None, now: str | None, trusted_root: Path | None,
                   repository_root: Path | None, base: str | None = None, head: str | None = None, pull_request: bool = False,
                   github_token: str | None = None, new_only: bool = False, policy_bundle: str | None = None,
                   policy_bundle_key: Path | None = None, policy_bundle_identity: str | None = None,
                   policy_bundle_issuer: str | None = None, policy_bundle_signature: str | None = None,
                   offline: bool = False, release: bool = False, engine: str | None = None, **opa: Any) -> Any:
    from aigov.check.options import CheckOptions  # lazy: ~50 ms that only check, facts and record need; every command loads commandline

    return CheckOptions(
        config_path=config_path, registry_path=registry, now=parse_now(now) if now is not None else None,
        trusted_root=trusted_root, repository_root=repository_root,
        change=_change_request(base, head, pull_request, new_only), new_only=new_only, github_token=github_token or None,
        policy_bundle=_bundle_request(policy_bundle, policy_bundle_key, policy_bundle_identity, policy_bundle_issuer,
                                      policy_bundle_signature, trusted_root), offline=offline,
        engine_name=engine, opa=_opa_settings(**opa), release=release_context(release, os.environ),
    )


def release_context(flag: bool, env: Any) -> str | None:
    """Why this check judges a release: the --release flag, or GitHub Actions running for a tag; else None."""
    if flag:
        return "--release"
    ref = env.get("GITHUB_REF", "")
    if env.get("GITHUB_ACTIONS") == "true" and ref.startswith("refs/tags/"):
        return f"GITHUB_REF {ref}"
    return None


def _bundle_request(source: str | None, key: Path | None, identity: str | None, issuer: str | None,
                    signature: str | None, trusted_root: Path | None) -> Any:
    if source is None:
        if key or identity or issuer or signature:
            raise AigovError("--policy-bundle-key, -identity, -issuer and -signature need --policy-bundle")
        return None
    from aigov.config import BundleRequest  # lazy: with CheckOptions (only check, facts and record need it)

    return BundleRequest(source=source, public_key=key, identity=identity, issuer=issuer, signature=signature,
                         trusted_root=trusted_root)


def _opa_settings(opa_url: str | None, opa_token: str | None, opa_ca_bundle: Path | None, opa_mode: str | None,
                  opa_timeout: float | None) -> dict[str, Any]:
    """The --opa-* options given, by OpaSettings' field names; the org config's opa: fills the rest."""
    given = {"url": opa_url, "token": opa_token or None, "ca_bundle": str(opa_ca_bundle) if opa_ca_bundle else None,
             "mode": opa_mode, "timeout_s": opa_timeout}
    return {key: value for key, value in given.items() if value is not None}



def _change_request(base: str | None, head: str | None, pull_request: bool, new_only: bool) -> Any:
    """What a diff-aware check compares, from --base/--head or the pull request event (--pr)."""
    from aigov.facts.change import ChangeRequest, read_event  # lazy: with CheckOptions (only check, facts and record need it)

    if pull_request and base is not None:
        raise AigovError("give --pr or --base, not both: --pr reads the base commit from the pull request event")
    if pull_request:
        request = read_event(os.environ.get("GITHUB_EVENT_PATH"), os.environ.get("GITHUB_EVENT_NAME"))
        request.head = head or request.head
        return request
    if base is not None:
        return ChangeRequest(base=base, head=head)
    if head is not None or new_only:
        raise AigovError(f"{'--head' if head is not None else '--new-only'} needs --base REF or --pr")
    return None
