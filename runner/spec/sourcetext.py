"""A spec file's bytes turned into text, or refused before any YAML parser sees them.

A journey file is often written by another team and reviewed in a pull request: it is input,
not code. So its size is capped *before* it is read (`stat`, then a bounded read, so a file
that grows or a device that never ends cannot exhaust memory), it must be UTF-8 (UTF-16 and
UTF-32 are named, from their byte order mark or their NUL pattern, rather than reported as
garbage), a UTF-8 byte order mark is dropped silently (Windows editors write one), and control
characters other than tab, line feed and carriage return are refused at their line and column:
a NUL or an ESC in a reviewed file hides what the reviewer reads. Imports only `runner.errors`.
"""

from __future__ import annotations

import re
from pathlib import Path

from runner.errors import Problem, SpecError

MAX_FILE_BYTES = 512 * 1024
"""A spec file larger than this is refused before it is read; the biggest shipped one is ~4 KiB."""

_UTF8_BOM = b"\xef\xbb\xbf"
# Longest first: UTF-32 LE's mark starts with UTF-16 LE's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16 (big-endian)"),
)
# Every C0 and C1 control but tab, line feed and carriage return; DEL; and the two
# non-characters PyYAML itself rejects, so that every refusal reads alike.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def read_source(path: Path) -> str:
    """The text of the spec file at `path`. Raises SpecError (one placed problem) if refused.

    Refused: a file over MAX_FILE_BYTES (checked with `stat` before reading, and again by a
    bounded read), an unreadable one, one that is not UTF-8, one with a control character.
    """
    typed = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SpecError([_too_large(typed, size)])
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecError([Problem(typed, 1, 1, (), f"cannot read: {reason}")]) from None
    if len(data) > MAX_FILE_BYTES:  # it grew after stat, or stat cannot tell (a pipe)
        raise SpecError([_too_large(typed, len(data))])
    return decode_source(data, typed)


def _too_large(path: str, size: int) -> Problem:
    limit_kib = MAX_FILE_BYTES // 1024
    message = f"the file is {size / 1024:.0f} KiB, over the {limit_kib} KiB limit of a spec file"
    return Problem(path, 1, 1, (), message)


def decode_source(data: bytes, path: str) -> str:
    """Decode a spec file's bytes as UTF-8 (a leading byte order mark dropped) and check them."""
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    elif (encoding := _other_encoding(data)) is not None:
        message = f"the file is {encoding}: save it as UTF-8, the only encoding journey reads"
        raise SpecError([Problem(path, 1, 1, (), message)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        byte = data[exc.start]
        message = f"not valid UTF-8 (byte 0x{byte:02x}): save the file as UTF-8"
        raise SpecError([Problem(path, line, column, (), message)]) from None
    check_text(text, path)
    return text


def _other_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32, told by its byte order mark or by YAML's NUL pattern (spec 5.2)."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return f"{name}, with a byte order mark"
    head = data[:4]
    if len(head) == 4 and head[:3] == b"\0\0\0" and head[3]:
        return "UTF-32 (big-endian)"
    if len(head) == 4 and head[0] and head[1:] == b"\0\0\0":
        return "UTF-32 (little-endian)"
    if len(head) >= 2 and head[0] == 0 and head[1]:
        return "UTF-16 (big-endian)"
    if len(head) >= 2 and head[0] and head[1] == 0:
        return "UTF-16 (little-endian)"
    return None


def check_text(text: str, path: str) -> None:
    """Refuse text over the size cap or holding a control character, placed at the first one."""
    if len(text) > MAX_FILE_BYTES:
        raise SpecError([_too_large(path, len(text.encode("utf-8", "surrogatepass")))])
    found = _CONTROL.search(text)
    if found is None:
        return
    position = found.start()
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = ord(found.group())
    kind = "NUL character" if code == 0 else "control character"
    message = (
        f"{kind} U+{code:04X} is not allowed (of the control characters, only tab, "
        "line feed and carriage return are)"
    )
    raise SpecError([Problem(path, line, column, (), message)])
