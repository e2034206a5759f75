"""Split one landing file's bytes into its JSON records: streaming, vectorised, unparsed.

A landing file holds one JSON object or a JSON array of records, and may be hundreds of MB.
Spark's `wholetext` reader makes each file one JVM string (the whole file in memory at once,
twice over as UTF-16, and a 2 GB ceiling), and Python's json module parses at ~35 MB/s. This
module does neither: numpy finds the top-level structure of fixed-size chunks (quotes, escapes,
brackets and commas outside strings), and each array element's exact bytes go on unparsed, for
Spark's `from_json` to judge in the JVM. Memory stays near one chunk plus the largest record, and
time is linear in the file's size, whatever the file holds (whitespace, garbage, truncation).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

DEFAULT_CHUNK_BYTES = 8 << 20
DEFAULT_MAX_RECORD_BYTES = 16 << 20
DEFAULT_MAX_ERROR_BYTES = 1 << 20

EMPTY_FILE = "empty file"
NOT_JSON = "not valid JSON"
# A file cut off inside its value is "not valid JSON", the reason quarantine has always given it.
TRUNCATED = "not valid JSON"
TRAILING = "not valid JSON: content after the end of the JSON value"
EMPTY_ELEMENT = "not valid JSON: empty array element"
TOO_LARGE = "record larger than {limit} bytes"

SCHEMA = pa.schema(
    [
        pa.field("record_index", pa.int64(), nullable=False),
        pa.field("record", pa.binary(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("truncated", pa.bool_(), nullable=False),
    ]
)

# Error codes index the per-call reason table built in `record_batches` (0 is a good record).
_OK, _EMPTY_FILE, _NOT_JSON, _TRUNCATED, _TRAILING, _EMPTY_ELEMENT, _TOO_LARGE = range(7)
_START, _ARRAY, _OBJECT, _AFTER, _ERROR, _DONE = range(6)

_BOM = b"\xef\xbb\xbf"
_WS_SET = frozenset(b" \t\n\r")
_NOT_WS = np.ones(256, np.bool_)
_NOT_WS[list(_WS_SET)] = False
_QUOTE, _BACKSLASH, _COMMA = ord('"'), ord("\\"), ord(",")
_INT32_MIN = -(2**31)
# Input chunks are scanned in slices of at most 1 MiB, one batch each: the temporaries (~20 bytes
# per byte that can matter) then stay in cache and bounded whatever the caller's chunk size, which more
# than pays for the copy, and offsets always fit int32.
_MAX_SCAN_BYTES = 1 << 20
# Elements are trimmed in rounds over all of them at once: byte by byte first (indentation is
# usually 0-4 bytes), then growing windows. Runs longer than the windows reach are walked one
# segment at a time, at most one per 5000 bytes, so that Python loop stays cheap.
_WINDOWS = (1, 1, 1, 1, 4, 16, 64, 256, 1024, 4096)
_ROUND_BYTES = 1 << 20


@dataclass(frozen=True)
class Piece:
    """One record, or one error, of a file (`record_batches` has the same as Arrow columns).

    index: position in the file (array element index; 0 for a single object); errors take one too.
    data: the element's exact bytes, JSON whitespace around it removed; for an error, the offending
        bytes (at most max_error_bytes).
    error: None for a record, else one of the reasons above.
    truncated: data was cut at max_error_bytes.
    """

    index: int
    data: bytes
    error: str | None
    truncated: bool


def read_chunks(stream, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[bytes]:
    """Yields successive chunks from a binary file-like object (anything with .read(n))."""
    if not 0 < chunk_bytes < 2**31:
        raise ValueError(f"chunk_bytes must be in 1..2**31-1, not {chunk_bytes}")
    while chunk := stream.read(chunk_bytes):
        yield chunk


def split_records(
    chunks: Iterable[bytes],
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    max_error_bytes: int = DEFAULT_MAX_ERROR_BYTES,
) -> Iterator[Piece]:
    """Pure-Python-object convenience API over `record_batches` (for tests and small files)."""
    for batch in record_batches(chunks, max_record_bytes=max_record_bytes, max_error_bytes=max_error_bytes):
        columns = [batch.column(name).to_pylist() for name in SCHEMA.names]
        for row in zip(*columns, strict=True):
            yield Piece(*row)


def record_batches(
    chunks: Iterable[bytes],
    *,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    max_error_bytes: int = DEFAULT_MAX_ERROR_BYTES,
) -> Iterator[pa.RecordBatch]:
    """The fast API: Arrow batches (`SCHEMA`: record_index, record, error, truncated; error null
    for records), one per MiB of input or less. Stops reading `chunks` once the outcome is known."""
    if max_record_bytes < 0 or max_error_bytes < 0:
        raise ValueError("max_record_bytes and max_error_bytes must not be negative")
    splitter = _Splitter(max_record_bytes, max_error_bytes)
    reasons = [None, EMPTY_FILE, NOT_JSON, TRUNCATED, TRAILING, EMPTY_ELEMENT, TOO_LARGE.format(limit=max_record_bytes)]
    reasons = pa.array(reasons, pa.string())
    index = 0
    for chunk in _scan_slices(_skip_bom(chunks)):
        batch = _to_batch(splitter.feed(chunk), index, reasons)
        if batch is not None:
            index += batch.num_rows
            yield batch
        if splitter.phase == _DONE:
            return
    batch = _to_batch(splitter.finish(), index, reasons)
    if batch is not None:
        yield batch


def _skip_bom(chunks: Iterable[bytes]) -> Iterator[bytes]:
    # The mark may arrive split over several tiny chunks.
    chunks = iter(chunks)
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= len(_BOM) or not _BOM.startswith(head):
            break
    yield head[len(_BOM) :] if head.startswith(_BOM) else head
    yield from chunks


def _scan_slices(chunks: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        if len(chunk) <= _MAX_SCAN_BYTES:
            if chunk:
                yield bytes(chunk)
            continue
        view = memoryview(chunk)
        for lo in range(0, len(view), _MAX_SCAN_BYTES):
            yield bytes(view[lo : lo + _MAX_SCAN_BYTES])


class _Element:
    """The unfinished element carried between chunks: its first bytes, and how long it is.

    Only the first `cap` bytes are kept (cap >= max_record_bytes and max_error_bytes), and once
    the element is known to be too large only the error's share of them, so a huge element costs
    no memory beyond that. `content` is its length up to its last non-whitespace byte: whitespace
    at the end is trimmed if a separator follows, and kept if more content does.
    """

    __slots__ = ("cap", "content", "length", "max_error", "max_record", "parts", "stored")

    def __init__(self, max_record: int, max_error: int):
        self.max_record, self.max_error, self.cap = max_record, max_error, max(max_record, max_error)
        self.parts, self.stored, self.length, self.content = [], 0, 0, 0

    def extend(self, buf: bytes, lo: int, hi: int, first: int | None, end: int) -> None:
        """Add buf[lo:hi], whose non-whitespace bytes are buf[first:end] (first None: none)."""
        if not self.length:
            if first is None:
                return
            lo = first
        if first is not None:
            self.content = self.length + end - lo
        self.length += hi - lo
        keep = min(hi, lo + self.cap - self.stored)
        if keep > lo:
            self.parts.append(buf[lo:keep])
            self.stored += keep - lo
        if self.content > self.max_record and self.cap > self.max_error:
            # Too large for certain: from now on only the error's share of it is worth keeping.
            self.parts = [self.head(self.max_error)]
            self.stored, self.cap = len(self.parts[0]), self.max_error

    def head(self, size: int) -> bytes:
        out = []
        for part in self.parts:
            if size <= 0:
                break
            out.append(part[:size])
            size -= len(part)
        return b"".join(out)


@dataclass
class _Span:
    """Pieces that are slices buf[start:stop] of one chunk, with their codes."""

    buf: bytes
    start: np.ndarray
    stop: np.ndarray
    code: np.ndarray
    truncated: np.ndarray


class _Splitter:
    """The state machine over chunks; `feed` and `finish` return the pieces found, in order."""

    def __init__(self, max_record_bytes: int, max_error_bytes: int):
        self.max_record, self.max_error = max_record_bytes, max_error_bytes
        self.phase = _START
        self.in_string = self.escape = self.depth = 0
        self.first_slot = True
        self.element = _Element(max_record_bytes, max_error_bytes)
        self.error_code, self.error_parts, self.error_size = _OK, [], 0
        self.handlers = {
            _START: self._start,
            _ARRAY: self._value,
            _OBJECT: self._value,
            _AFTER: self._after,
            _ERROR: self._collect,
        }

    def feed(self, buf: bytes) -> list:
        out = []
        while buf and self.phase != _DONE:
            buf = self.handlers[self.phase](buf, out)
        return out

    def finish(self) -> list:
        out = []
        if self.phase == _START:
            out.append((_EMPTY_FILE, b"", False))
        elif self.phase in (_ARRAY, _OBJECT):
            size = self.element.length
            out.append((_TRUNCATED, self.element.head(min(size, self.max_error)), size > self.max_error))
        elif self.phase == _ERROR:
            out.append((self.error_code, b"".join(self.error_parts), False))
        self.phase = _DONE
        return out

    def _start(self, buf: bytes, out: list) -> bytes:
        first = _first_content(buf, 0, len(buf))
        if first is None:
            return b""
        if buf[first] == ord("["):
            self.phase, self.depth = _ARRAY, 1
            return buf[first + 1 :]
        if buf[first] == ord("{"):
            self.phase = _OBJECT
            return buf[first:]
        return self._begin_error(_NOT_JSON, buf[first:])

    def _after(self, buf: bytes, out: list) -> bytes:
        first = _first_content(buf, 0, len(buf))
        return b"" if first is None else self._begin_error(_TRAILING, buf[first:])

    def _begin_error(self, code: int, buf: bytes) -> bytes:
        self.phase, self.error_code = _ERROR, code
        return buf

    def _collect(self, buf: bytes, out: list) -> bytes:
        # Stop as soon as the error data is full: a garbage file is not read to its end.
        room = self.max_error - self.error_size
        self.error_parts.append(buf[:room])
        self.error_size += min(room, len(buf))
        if len(buf) > room:
            out.append((self.error_code, b"".join(self.error_parts), True))
            self.phase = _DONE
        return b""

    def _value(self, buf: bytes, out: list) -> bytes:
        """Scan a chunk inside the top-level value; return what follows the value's end, if in it."""
        a = np.frombuffer(buf, np.uint8)
        idx, char, structural, depth = self._structure(buf, a)
        base = self.depth
        floor = max(-base, _INT32_MIN)
        close = None
        if depth.size and depth.min() <= floor:
            k = int(np.argmax(depth <= floor))
            close, idx, char, structural, depth = int(idx[k]), idx[:k], char[:k], structural[:k], depth[:k]
        elif depth.size:
            self.depth = base + int(depth[-1])
        if self.phase == _OBJECT:
            self._extend(buf, a, 0, a.size if close is None else close + 1)
            if close is not None:
                out.append(self._element_piece())
        else:
            at_top = depth == 1 - base if 1 - base > _INT32_MIN else False
            seps = idx[(char == _COMMA) & structural & at_top]
            bounds = seps if close is None else np.append(seps, close)
            self._array_segments(buf, a, bounds, close is not None, out)
        if close is None:
            return b""
        self.phase = _AFTER
        return buf[close + 1 :]

    def _structure(self, buf: bytes, a: np.ndarray) -> tuple[np.ndarray, ...]:
        """For each byte that can matter (quote, backslash, bracket, comma): its position, the byte,
        whether it is structure (outside strings, not a quote), and the depth after it, relative to
        the chunk's start. Arrays stay aligned (no compressing): compressing costs more than it saves.
        """
        idx = np.flatnonzero(_special(a))
        char = a[idx]
        quote = char == _QUOTE
        backslash = char == _BACKSLASH
        live = quote
        if self.escape or backslash.any():
            live = quote.copy()
            self._drop_escaped(idx, char, live, np.flatnonzero(backslash), a.size)
        quotes = np.cumsum(live.view(np.int8), dtype=np.int32)
        # Outside strings: an even number of live quotes (with the carried state) precede the byte.
        structural = ((quotes & 1) == self.in_string) & ~quote & ~backslash
        if quotes.size:
            self.in_string = (self.in_string + int(quotes[-1])) & 1
        # 12 - (low nibble) is +1 for [ {, -1 for ] }, 0 for a comma; masked to structure only.
        delta = np.subtract(12, char & 15, dtype=np.uint8)
        delta *= structural
        return idx, char, structural, np.cumsum(delta.view(np.int8), dtype=np.int32)

    def _drop_escaped(self, idx: np.ndarray, char: np.ndarray, live: np.ndarray, slashes: np.ndarray, n: int) -> None:
        """Unmark quotes preceded by an odd run of backslashes (a run may continue from the last chunk).

        `slashes` index into idx: backslashes are all kept bytes, so a run of them is a run of
        consecutive entries, and the byte a run escapes is the next entry if it was kept at all.
        """
        carried = self.escape
        self.escape = 0
        if carried and idx.size and idx[0] == 0 and char[0] != _BACKSLASH:
            live[0] = False
        if not slashes.size:
            return
        position = idx[slashes]
        breaks = np.flatnonzero(np.diff(position) != 1)
        first = np.concatenate(([0], breaks + 1))
        last = np.concatenate((breaks, [slashes.size - 1]))
        runs = last - first + 1
        if carried and position[0] == 0:
            runs[0] += 1
        odd = last[(runs & 1) == 1]
        after = position[odd] + 1
        if after.size and after[-1] == n:
            self.escape, odd, after = 1, odd[:-1], after[:-1]
        nxt = slashes[odd] + 1
        kept = nxt < idx.size
        nxt = nxt[kept]
        live[nxt[idx[nxt] == after[kept]]] = False

    def _array_segments(self, buf: bytes, a: np.ndarray, bounds: np.ndarray, closed: bool, out: list) -> None:
        """Emit the elements ended by `bounds` (separators, then maybe the closing bracket)."""
        if not bounds.size:
            self._extend(buf, a, 0, a.size)
            return
        self._extend(buf, a, 0, int(bounds[0]))
        empty_array = self.first_slot and closed and bounds.size == 1 and not self.element.length
        if not empty_array:
            out.append(self._element_piece())
        self.first_slot = False
        self.element = _Element(self.max_record, self.max_error)
        if bounds.size > 1:
            out.append(self._span(buf, a, bounds[:-1] + 1, bounds[1:]))
        if not closed:
            self._extend(buf, a, int(bounds[-1]) + 1, a.size)

    def _extend(self, buf: bytes, a: np.ndarray, lo: int, hi: int) -> None:
        first = _first_content(buf, lo, hi, a)
        end = hi if first is None else _content_end(buf, first, hi, a)
        self.element.extend(buf, lo, hi, first, end)

    def _element_piece(self) -> tuple[int, bytes, bool]:
        element = self.element
        if not element.length:
            return (_EMPTY_ELEMENT, b"", False)
        if element.content > self.max_record:
            data = element.head(min(element.content, self.max_error))
            return (_TOO_LARGE, data, len(data) < element.content)
        return (_OK, element.head(element.content), False)

    def _span(self, buf: bytes, a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> _Span:
        """The elements lying wholly in this chunk, trimmed and classified at once."""
        start = _seek(a, lo, hi, forward=True)
        stop = start.copy()
        has = start < hi
        stop[has] = _seek(a, start[has], hi[has], forward=False)
        size = stop - start
        big = size > self.max_record
        code = np.where(size == 0, _EMPTY_ELEMENT, np.where(big, _TOO_LARGE, _OK)).astype(np.int8)
        stop = np.where(big, start + np.minimum(size, self.max_error), stop)
        return _Span(buf, start, stop, code, stop - start < size)


def _special(a: np.ndarray) -> np.ndarray:
    """Mask of the bytes that can matter: " \\ [ ] { } , (and |, harmless: its depth change is 0).

    The only full passes over the data are here: a handful of SIMD compares is ~3x faster than a
    lookup table (`lut[a]`, bytes.translate), and later work touches only the masked bytes.
    """
    low = a | 0x20  # [ \ ] -> { | }
    low -= ord("{")
    mask = low <= 2
    same = np.equal(a, _COMMA, out=low.view(np.bool_))  # reuse: one temporary, not three
    mask |= same
    mask |= np.equal(a, _QUOTE, out=same)
    return mask


def _first_content(buf: bytes, lo: int, hi: int, a: np.ndarray | None = None) -> int | None:
    """Position of the first non-whitespace byte of buf[lo:hi], None if there is none."""
    for p in range(lo, min(hi, lo + 8)):
        if buf[p] not in _WS_SET:
            return p
    if hi <= lo + 8:
        return None
    return _scan(np.frombuffer(buf, np.uint8) if a is None else a, lo + 8, hi, forward=True)


def _content_end(buf: bytes, lo: int, hi: int, a: np.ndarray) -> int:
    """One past the last non-whitespace byte of buf[lo:hi], which must hold one."""
    for p in range(hi - 1, max(lo, hi - 8) - 1, -1):
        if buf[p] not in _WS_SET:
            return p + 1
    return _scan(a, lo, hi - 8, forward=False) + 1


def _scan(a: np.ndarray, lo: int, hi: int, forward: bool) -> int | None:
    """First (forward) or last non-whitespace position in a[lo:hi], in growing blocks, or None."""
    step = 4096
    while lo < hi:
        s, e = (lo, min(hi, lo + step)) if forward else (max(lo, hi - step), hi)
        hits = np.flatnonzero(_NOT_WS[a[s:e]])
        if hits.size:
            return s + int(hits[0] if forward else hits[-1])
        lo, hi = (e, hi) if forward else (lo, s)
        step = min(step * 4, 1 << 20)
    return None


def _seek(a: np.ndarray, lo: np.ndarray, hi: np.ndarray, forward: bool) -> np.ndarray:
    """Per segment [lo, hi): its first non-whitespace position (forward; hi if none), or one past
    its last (backward; lo if none).

    Each round looks at the next byte (then the next 4, 16... bytes) of every segment still in
    play, and a segment stays in play only while all it saw was whitespace: the work is
    proportional to the whitespace (linear), and the usual 0-4 bytes of it take 1-5 rounds.
    """
    result = (hi if forward else lo).copy()
    cur = (lo if forward else hi).copy()
    todo = np.flatnonzero(lo < hi)
    for width in _WINDOWS:
        if not todo.size:
            break
        step = max(1, _ROUND_BYTES // width)
        todo = np.concatenate(
            [_seek_round(a, lo, hi, cur, result, todo[i : i + step], width, forward) for i in range(0, todo.size, step)]
        )
    for i in todo.tolist():
        hit = _scan(a, int(cur[i]), int(hi[i]), True) if forward else _scan(a, int(lo[i]), int(cur[i]), False)
        if hit is not None:
            result[i] = hit + (not forward)
    return result


def _seek_round(a, lo, hi, cur, result, todo, width, forward) -> np.ndarray:
    """One window per segment in `todo`; record hits in `result`, advance `cur`, return the misses."""
    c = cur[todo]
    if width == 1:  # most segments end here: skip the 2-D machinery
        at = c if forward else c - 1
        found = _NOT_WS[a[at]]
        result[todo[found]] = (at + (not forward))[found]
        cur[todo] = nxt = at + forward
        return todo[~found & ((nxt < hi[todo]) if forward else (nxt > lo[todo]))]
    width = min(width, a.size)
    if forward:
        seg_lo, seg_hi = c, np.minimum(c + width, hi[todo])
        start = np.minimum(c, a.size - width)
    else:
        seg_lo, seg_hi = np.maximum(c - width, lo[todo]), c
        start = np.maximum(c - width, 0)
    col = np.arange(width)
    hit = _NOT_WS[sliding_window_view(a, width)[start]]
    hit &= (col >= (seg_lo - start)[:, None]) & (col < (seg_hi - start)[:, None])
    found = hit.any(axis=1)
    at = start + hit.argmax(axis=1) if forward else start + width - hit[:, ::-1].argmax(axis=1)
    result[todo[found]] = at[found]
    cur[todo] = seg_hi if forward else seg_lo
    more = ~found & ((seg_hi < hi[todo]) if forward else (seg_lo > lo[todo]))
    return todo[more]


def _to_batch(parts: list, index: int, reasons: pa.Array) -> pa.RecordBatch | None:
    if not parts:
        return None
    records, codes, truncated = [], [], []
    for part in parts:
        if isinstance(part, _Span):
            records.append(_gather(part.buf, part.start, part.stop))
            codes.append(part.code)
            truncated.append(part.truncated)
        else:
            code, data, cut = part
            records.append(pa.array([data], pa.binary()))
            codes.append(np.array([code], np.int8))
            truncated.append(np.array([cut]))
    code = np.concatenate(codes)
    columns = [
        pa.array(np.arange(index, index + code.size, dtype=np.int64)),
        records[0] if len(records) == 1 else pa.concat_arrays(records),
        reasons.take(pa.array(code)),
        pa.array(np.concatenate(truncated)),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=SCHEMA)


def _gather(buf: bytes, start: np.ndarray, stop: np.ndarray) -> pa.BinaryArray:
    """The slices buf[start:stop] as one binary array, copied by Arrow without a Python loop.

    Interleaved offsets view the chunk as slice, gap, slice, gap...; taking every other value
    packs the slices into a fresh contiguous array.
    """
    offsets = np.empty(2 * start.size, np.int32)
    offsets[0::2], offsets[1::2] = start, stop
    spans = pa.BinaryArray.from_buffers(pa.binary(), offsets.size - 1, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])
    return spans.take(pa.array(np.arange(0, offsets.size - 1, 2)))
