"""Runs the binary: flags in, progress bar and log while it works, its JSON summary out."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from typing import Any, Iterable, Mapping, Sequence

from hardneg._find_hardneg import find_hardneg_bin

# Flags the CLI accepts more than once (pflag StringArray): a list repeats them.
_REPEATABLE = frozenset({"band"})


class HardnegError(RuntimeError):
    """The hardneg binary failed.

    ``str(err)`` is the tool's message unchanged: what it printed after
    ``hardneg:`` on stderr, which names the file and the line, row or byte
    offset when an input is at fault.

    Attributes
    ----------
    exit_code : int
        The binary's exit status: 1 failure, 2 bad flags or settings, 3 bad
        input, 4 outputs exist (pass ``force=True``), 5 not enough memory,
        6 no rows at all (pass ``allow_empty=True``), 130 interrupted, 143
        terminated (``hardneg --help`` lists them); a crash ends the binary
        by SIGABRT, a negative ``exit_code`` of -6.
    message : str
        The tool's message, as ``str(err)``.
    stderr : str
        Everything the binary wrote on stderr, progress lines excepted.
    command : list of str
        The command line that failed.
    """

    def __init__(self, exit_code: int, message: str, stderr: str = "", command: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message
        self.stderr = stderr
        self.command = list(command)


def flag_args(flags: Mapping[str, Any]) -> list[str]:
    """Turn keyword arguments into CLI flags, one to one.

    ``negatives_per_anchor=3`` becomes ``--negatives-per-anchor 3``; ``None``
    is left out (the CLI's default applies); ``True`` is the bare switch and
    ``False`` is ``--flag=false``; a list or tuple is a repeated flag for
    repeatable flags (``band``) and ``LO,HI`` otherwise (``hard_range=(0.7,
    0.9)``). Nothing here knows what a flag means: the binary checks them all.
    """
    args: list[str] = []
    for key, value in flags.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else flag + "=false")
        elif isinstance(value, (list, tuple)):
            if key in _REPEATABLE:
                for item in value:
                    args += [flag, _text(item)]
            else:
                args += [flag, ",".join(_text(v) for v in value)]
        else:
            args += [flag, _text(value)]
    return args


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(float(value))  # shortest text that reads back as the same float (numpy's too)
    return str(value)


def run_json(args: Sequence[str], verbose: bool = True) -> dict[str, Any]:
    """Run ``hardneg ARGS --json --progress json`` and return the summary.

    Progress lines on stderr drive a ``tqdm.auto`` bar per stage; the other
    stderr lines are the tool's log, echoed to ``sys.stderr`` when
    ``verbose``. A KeyboardInterrupt is passed on to the binary as SIGINT, which
    makes it stop and leave earlier outputs as they were.
    """
    cmd = [find_hardneg_bin(), *args, "--json", "--progress", "json"]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    stdout: list[str] = []
    reader = threading.Thread(target=lambda: stdout.append(proc.stdout.read()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    log: list[str] = []
    try:
        _follow(proc.stderr, log, verbose)  # type: ignore[arg-type]
        code = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        reader.join()
    if code != 0:
        raise HardnegError(code, _message(log, code), "".join(log), cmd)
    if verbose:
        for line in log:
            if line.startswith("hardneg: "):  # a warning, since the run succeeded
                print(line.rstrip("\n"), file=sys.stderr)
    out = "".join(stdout).strip()
    try:
        return json.loads(out.splitlines()[-1])
    except (ValueError, IndexError) as err:
        raise HardnegError(1, f"hardneg printed no JSON summary (stdout: {out[:500]!r})", "".join(log), cmd) from err


def _follow(stream: Iterable[str], log: list[str], verbose: bool) -> None:
    from tqdm.auto import tqdm

    bar = None
    stage = None
    try:
        for line in stream:
            event = _progress(line)
            if event is None:
                log.append(line)
                # Lines that start "hardneg: " are the error the caller raises;
                # everything else is the log.
                if verbose and not line.startswith("hardneg: "):
                    (tqdm.write if bar is not None else _echo)(line.rstrip("\n"), file=sys.stderr)
                continue
            if not verbose or (bar is None and event["stage"] == stage and event["done"] >= (event.get("total") or 0)):
                continue  # quiet, or a repeat of a stage already shown complete
            if event["stage"] != stage or bar is None:
                if bar is not None:
                    bar.close()
                stage = event["stage"]
                bar = tqdm(total=event.get("total"), desc=stage, unit=" anchor-chunks" if stage == "scan" else "it", dynamic_ncols=True)
            if event.get("total") is not None and bar.total != event["total"]:
                bar.total = event["total"]
            bar.update(event["done"] - bar.n)
            if bar.total is not None and bar.n >= bar.total:
                bar.close()
                bar = None
    finally:
        if bar is not None:
            bar.close()


def _echo(text: str, file: Any) -> None:
    print(text, file=file)


def _progress(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if isinstance(event, dict) and "stage" in event and "done" in event:
        return event
    return None


def _message(log: list[str], code: int) -> str:
    """The tool's error message: from its last 'hardneg: ' line to the end."""
    prefix = "hardneg: "
    for i in range(len(log) - 1, -1, -1):
        if log[i].startswith(prefix):
            return "".join([log[i][len(prefix) :], *log[i + 1 :]]).rstrip("\n")
    tail = "".join(log[-20:]).rstrip("\n")
    if code < 0:
        return f"hardneg was killed by signal {-code}" + (f":\n{tail}" if tail else "")
    return tail or f"hardneg exited with code {code} and printed nothing"
