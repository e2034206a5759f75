"""json_records: exact pieces for every rule, a byte-by-byte reference, chunking, time and memory."""

from __future__ import annotations

import gc
import io
import itertools
import json
import random
import time
import tracemalloc

import pyarrow as pa
import pytest

from datalake.json_records import (
    DEFAULT_MAX_ERROR_BYTES,
    DEFAULT_MAX_RECORD_BYTES,
    EMPTY_ELEMENT,
    EMPTY_FILE,
    NOT_JSON,
    TOO_LARGE,
    TRAILING,
    TRUNCATED,
    Piece,
    read_chunks,
    record_batches,
    split_records,
)

BOM = b"\xef\xbb\xbf"
WS = b" \t\r\n"
CHUNK_SIZES = (1, 2, 3, 7, 64, 4096, None)  # None: the whole input as one chunk


def chunked(data: bytes, size: int | None) -> list[bytes]:
    if size is None:
        return [data]
    return [data[i : i + size] for i in range(0, len(data), size)]


def split(data: bytes, size: int | None = None, **limits) -> list[Piece]:
    return list(split_records(chunked(data, size), **limits))


def ok(index: int, data: bytes) -> Piece:
    return Piece(index, data, None, False)


def bad(index: int, reason: str, data: bytes = b"", truncated: bool = False) -> Piece:
    return Piece(index, data, reason, truncated)


def reference(data: bytes, max_record: int = DEFAULT_MAX_RECORD_BYTES, max_error: int = DEFAULT_MAX_ERROR_BYTES):
    """The rules, one byte at a time: slow and obviously right, to hold the fast splitter to."""
    out = []

    def cut(reason: str, raw: bytes) -> None:
        out.append(Piece(len(out), raw[:max_error], reason, len(raw) > max_error))

    def element(raw: bytes, closing_empty_array: bool = False) -> None:
        record = raw.strip(WS)
        if not record:
            if not closing_empty_array:
                out.append(bad(len(out), EMPTY_ELEMENT))
        elif len(record) > max_record:
            out.append(Piece(len(out), record[:max_error], TOO_LARGE.format(limit=max_record), len(record) > max_error))
        else:
            out.append(ok(len(out), record))

    data = data.removeprefix(BOM)
    body = data.lstrip(WS)
    if not body:
        return [bad(0, EMPTY_FILE)]
    if body[0] not in b"[{":
        cut(NOT_JSON, body)
        return out
    is_array, start = body[0] == ord("["), 1 if body[0] == ord("[") else 0
    depth, in_string, backslashes = 0, False, 0
    for i, byte in enumerate(body):
        escaped, backslashes = backslashes % 2 == 1, backslashes + 1 if byte == ord("\\") else 0
        if byte == ord('"') and not escaped:
            in_string = not in_string
        elif in_string or byte == ord("\\"):
            continue
        elif byte in b"[{":
            depth += 1
        elif byte in b"]}":
            depth -= 1
            if depth <= 0:
                if is_array:
                    element(body[start:i], closing_empty_array=not out and start == 1)
                else:
                    element(body[: i + 1])
                rest = body[i + 1 :].lstrip(WS)
                if rest:
                    cut(TRAILING, rest)
                return out
        elif byte == ord(",") and depth == 1 and is_array:
            element(body[start:i])
            start = i + 1
    cut(TRUNCATED, body[start:].lstrip(WS))
    return out


# (input, expected pieces): every rule of the format, with the exact bytes.
CASES = [
    # empty files
    (b"", [bad(0, EMPTY_FILE)]),
    (b" \t\r\n  \n", [bad(0, EMPTY_FILE)]),
    (BOM, [bad(0, EMPTY_FILE)]),
    (BOM + b"\n  ", [bad(0, EMPTY_FILE)]),
    # arrays
    (b"[]", []),
    (b" \n[ \t\r\n ]\n ", []),
    (BOM + b'[{"a":1}]', [ok(0, b'{"a":1}')]),
    (b"[1,2,3]", [ok(0, b"1"), ok(1, b"2"), ok(2, b"3")]),
    (
        b'[\n  {\n    "a": 1\n  },\n  {\n    "b": [1, 2]\n  }\n]\n',
        [ok(0, b'{\n    "a": 1\n  }'), ok(1, b'{\n    "b": [1, 2]\n  }')],
    ),
    (b"[\t1\r\n,\n2 ,\r3\t]", [ok(0, b"1"), ok(1, b"2"), ok(2, b"3")]),
    (
        b'[1, "x", [2, [3]], null, true, {"a": {}}, -1.5e3]',
        [
            ok(0, b"1"),
            ok(1, b'"x"'),
            ok(2, b"[2, [3]]"),
            ok(3, b"null"),
            ok(4, b"true"),
            ok(5, b'{"a": {}}'),
            ok(6, b"-1.5e3"),
        ],
    ),
    (b'[ {"a" : 1 ,\n "b":2} ]', [ok(0, b'{"a" : 1 ,\n "b":2}')]),
    (b"[\x0c1\xa0]", [ok(0, b"\x0c1\xa0")]),  # only JSON's four whitespace bytes are trimmed
    (b"[nonsense here, {]}", [ok(0, b"nonsense here"), ok(1, b"{]")]),  # not judged: Spark will
    # strings: structure inside them, escaped quotes, runs of backslashes
    (b'["a,b", "[{", "}]", ","]', [ok(0, b'"a,b"'), ok(1, b'"[{"'), ok(2, b'"}]"'), ok(3, b'","')]),
    (b'["\\"", "\\\\", "x\\\\\\"]y"]', [ok(0, b'"\\""'), ok(1, b'"\\\\"'), ok(2, b'"x\\\\\\"]y"')]),
    (b'[{"k": "\\\\\\\\"}, 2]', [ok(0, b'{"k": "\\\\\\\\"}'), ok(1, b"2")]),
    (b'["\\u00e9\\u20ac", "\xc3\xa9"]', [ok(0, b'"\\u00e9\\u20ac"'), ok(1, b'"\xc3\xa9"')]),
    # empty elements
    (b"[1,,2]", [ok(0, b"1"), bad(1, EMPTY_ELEMENT), ok(2, b"2")]),
    (b"[,]", [bad(0, EMPTY_ELEMENT), bad(1, EMPTY_ELEMENT)]),
    (b"[1,]", [ok(0, b"1"), bad(1, EMPTY_ELEMENT)]),
    (b"[ , 1 , \n ]", [bad(0, EMPTY_ELEMENT), ok(1, b"1"), bad(2, EMPTY_ELEMENT)]),
    # a single object
    (b'{"a": [1, 2], "b": "}"}', [ok(0, b'{"a": [1, 2], "b": "}"}')]),
    (b'\r\n {"a":1}\n\n', [ok(0, b'{"a":1}')]),
    (BOM + b"{}", [ok(0, b"{}")]),
    (b'{"a": {"b": [1, {"c": ","}]}}', [ok(0, b'{"a": {"b": [1, {"c": ","}]}}')]),
    # not a JSON object or array: the bytes from the first non-whitespace one
    (b"hello", [bad(0, NOT_JSON, b"hello")]),
    (b"  42 \n", [bad(0, NOT_JSON, b"42 \n")]),
    (b'"a string"', [bad(0, NOT_JSON, b'"a string"')]),
    (b"\x00\x01\xff[]", [bad(0, NOT_JSON, b"\x00\x01\xff[]")]),
    (b"]", [bad(0, NOT_JSON, b"]")]),
    (b" " + BOM + b"[1]", [bad(0, NOT_JSON, BOM + b"[1]")]),  # a mark after whitespace is not one
    # content after the value
    (b"[1] x", [ok(0, b"1"), bad(1, TRAILING, b"x")]),
    (b'{"a":1} {"b":2}\n', [ok(0, b'{"a":1}'), bad(1, TRAILING, b'{"b":2}\n')]),
    (b"[] ,", [bad(0, TRAILING, b",")]),
    (b"[1]]", [ok(0, b"1"), bad(1, TRAILING, b"]")]),
    (b"[1] \n\t\r ", [ok(0, b"1")]),
    # brackets of the wrong kind close all the same; one too many ends the value
    (b'[{"a":1]]', [ok(0, b'{"a":1]')]),
    (b'{"a":1]', [ok(0, b'{"a":1]')]),
    (b'[{"a":1}}]', [ok(0, b'{"a":1}'), bad(1, TRAILING, b"]")]),
    (b"[1}}", [ok(0, b"1"), bad(1, TRAILING, b"}")]),
    # the file ends inside the value
    (b"[1, 2", [ok(0, b"1"), bad(1, TRUNCATED, b"2")]),
    (b"[1, ", [ok(0, b"1"), bad(1, TRUNCATED)]),
    (b"[", [bad(0, TRUNCATED)]),
    (b"[  \n", [bad(0, TRUNCATED)]),
    (b'{"a": 1', [bad(0, TRUNCATED, b'{"a": 1')]),
    (b'[{"a": "x]}', [bad(0, TRUNCATED, b'{"a": "x]}')]),
    (b'[1, {"a": 2}  ', [ok(0, b"1"), bad(1, TRUNCATED, b'{"a": 2}  ')]),
    (b'["\\"]', [bad(0, TRUNCATED, b'"\\"]')]),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_rules(data, expected):
    for size in CHUNK_SIZES:
        assert split(data, size) == expected, size
    assert reference(data) == expected


LIMIT_CASES = [
    # (input, max_record_bytes, max_error_bytes, expected)
    (
        b'[123456, 12345, "abcdefgh"]',
        5,
        3,
        [
            bad(0, TOO_LARGE.format(limit=5), b"123", True),
            ok(1, b"12345"),
            bad(2, TOO_LARGE.format(limit=5), b'"ab', True),
        ],
    ),
    (b'{"a": 123}', 4, 3, [bad(0, TOO_LARGE.format(limit=4), b'{"a', True)]),
    (b'{"a": 123} x', 4, 3, [bad(0, TOO_LARGE.format(limit=4), b'{"a', True), bad(1, TRAILING, b"x")]),
    (b"[1          ,  2\n\n\n\n\n]", 1, 1, [ok(0, b"1"), ok(1, b"2")]),  # edge whitespace is not counted
    (b"[{    }, 1]", 5, 2, [bad(0, TOO_LARGE.format(limit=5), b"{ ", True), ok(1, b"1")]),  # inner is
    (b"[1, 123456789", 4, 3, [ok(0, b"1"), bad(1, TRUNCATED, b"123", True)]),
    (b"[1, 123456789", 4, 9, [ok(0, b"1"), bad(1, TRUNCATED, b"123456789")]),
    (b"garbage!", 8, 4, [bad(0, NOT_JSON, b"garb", True)]),
    (b"garb", 8, 4, [bad(0, NOT_JSON, b"garb")]),
    (b"garb   ", 8, 4, [bad(0, NOT_JSON, b"garb", True)]),
    (b"xyz", 8, 0, [bad(0, NOT_JSON, b"", True)]),
    (b"[1] abcdef", 8, 2, [ok(0, b"1"), bad(1, TRAILING, b"ab", True)]),
    (b"[123456, 1", 5, 10, [bad(0, TOO_LARGE.format(limit=5), b"123456", False), bad(1, TRUNCATED, b"1")]),
]


@pytest.mark.parametrize(("data", "max_record", "max_error", "expected"), LIMIT_CASES)
def test_limits(data, max_record, max_error, expected):
    for size in CHUNK_SIZES:
        assert split(data, size, max_record_bytes=max_record, max_error_bytes=max_error) == expected, size
    assert reference(data, max_record, max_error) == expected


def test_too_large_record_spanning_chunks_is_skipped_and_scanning_goes_on():
    big = b'{"blob": "' + b"x, ]}" * 20_000 + b'"}'
    data = b"[1, " + big + b', {"after": true}, 3]'
    limit = TOO_LARGE.format(limit=1000)
    expected = [ok(0, b"1"), bad(1, limit, big[:100], True), ok(2, b'{"after": true}'), ok(3, b"3")]
    for size in (999, 4096, 65536, None):
        assert split(data, size, max_record_bytes=1000, max_error_bytes=100) == expected


def test_a_garbage_file_is_not_read_to_its_end():
    pulled = []

    def endless(first: bytes):
        yield first
        for i in itertools.count():
            pulled.append(i)
            yield b"garbage " * 1000

    assert list(split_records(endless(b"\x00binary"), max_error_bytes=10)) == [bad(0, NOT_JSON, b"\x00binarygar", True)]
    assert len(pulled) <= 1
    pulled.clear()
    pieces = list(split_records(endless(b'[{"a": 1}] trailing'), max_error_bytes=100))
    assert pieces == [ok(0, b'{"a": 1}'), bad(1, TRAILING, (b"trailing" + b"garbage " * 12)[:100], True)]
    assert len(pulled) <= 2


def random_string(rng: random.Random) -> str:
    alphabet = ["a", "Z", " ", '"', "\\", "{", "}", "[", "]", ",", ":", "é", "€", "😀", "\n", "\t", "\x00"]
    alphabet += ['\\"', "\\\\"]  # escapes json.dumps never writes, as raw text
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))


def random_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth >= 4 or roll < 0.45:
        return rng.choice(
            [rng.randrange(-(10**12), 10**12), rng.uniform(-1e6, 1e6), True, False, None, random_string(rng)]
        )
    if roll < 0.75:
        return random_object(rng, depth)
    return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def random_object(rng: random.Random, depth: int) -> dict:
    return {random_string(rng): random_value(rng, depth + 1) for _ in range(rng.randrange(6))}


def random_documents(seed: int, count: int) -> list:
    """Arrays of (mostly) objects, and single objects."""
    rng = random.Random(seed)
    documents = []
    for _ in range(count):
        if rng.random() < 0.25:
            documents.append(random_object(rng, 1))
        else:
            elements = [random_object(rng, 1) if rng.random() < 0.8 else random_value(rng, 3) for _ in range(8)]
            documents.append(elements[: rng.randrange(9)])
    return documents


def dumps_variants(document) -> list[bytes]:
    return [
        json.dumps(document).encode(),
        json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(),
        json.dumps(document, indent=2).encode(),
        json.dumps(document, indent="\t", ensure_ascii=False).encode() + b"\n",
    ]


def test_random_documents_round_trip():
    for number, document in enumerate(random_documents(seed=20251029, count=40)):
        expected = document if isinstance(document, list) else [document]
        for text in dumps_variants(document):
            sizes = (1, 3, 64, None) if number < 5 else (7, 64, None)
            for size in sizes:
                pieces = split(text, size)
                assert [piece.error for piece in pieces] == [None] * len(expected), (text, size)
                assert [piece.index for piece in pieces] == list(range(len(expected)))
                assert [json.loads(piece.data) for piece in pieces] == expected, (text, size)


def fuzz_inputs(seed: int, count: int) -> list[bytes]:
    """Short byte strings from the bytes that matter: mostly broken JSON, every state reached."""
    rng = random.Random(seed)
    atoms = [b"[", b"]", b"{", b"}", b",", b'"', b"\\", b"\\\\", b' "a"', b"1", b" ", b"\n  ", b"\t", b"x", BOM]
    inputs = []
    for _ in range(count):
        head = rng.choice([b"[", b"[", b"{", b" [", b"", BOM + b"["])
        inputs.append(head + b"".join(rng.choice(atoms) for _ in range(rng.randrange(25))))
    return inputs


def test_fuzzed_inputs_match_the_reference_at_every_chunk_size():
    for data in fuzz_inputs(seed=7, count=150):
        for max_record, max_error in ((DEFAULT_MAX_RECORD_BYTES, DEFAULT_MAX_ERROR_BYTES), (4, 3)):
            expected = reference(data, max_record, max_error)
            for size in (1, 2, 3, 7, None):
                pieces = split(data, size, max_record_bytes=max_record, max_error_bytes=max_error)
                assert pieces == expected, (data, size)


def test_chunk_boundaries_do_not_change_the_result():
    backslashes = b'["' + b"\\\\" * 7 + b'\\"' + b"\\\\" * 3 + b'", "\\\\\\\\", {"k\\"": "\\\\"}]'
    inputs = [data for data, _ in CASES] + fuzz_inputs(seed=11, count=40) + [backslashes]
    inputs += [text for document in random_documents(seed=3, count=6) for text in dumps_variants(document)[:2]]
    for data in inputs:
        whole = split(data)
        for size in CHUNK_SIZES:
            assert split(data, size) == whole, (data, size)


def test_big_inputs_come_out_the_same_in_any_chunking():
    rng = random.Random(5)
    records = [{"i": i, "s": random_string(rng) * 100, "v": random_object(rng, 2)} for i in range(2000)]
    text = json.dumps(records, indent=1).encode()
    assert len(text) > 3 << 20  # several of the splitter's 1 MiB slices, and records across them
    whole = split(text)
    assert [json.loads(piece.data) for piece in whole] == records
    for size in (4097, (1 << 20) + 1):
        assert split(text, size) == whole
    assert list(split_records(read_chunks(io.BytesIO(text), 100_000))) == whole


def test_chunks_may_be_bytearray_or_memoryview():
    data = b'[{"a": 1}, 2]'
    expected = [ok(0, b'{"a": 1}'), ok(1, b"2")]
    assert list(split_records([bytearray(data[:5]), memoryview(data)[5:]])) == expected


def test_read_chunks():
    assert list(read_chunks(io.BytesIO(b"abcdefg"), 3)) == [b"abc", b"def", b"g"]
    assert list(read_chunks(io.BytesIO(b""))) == []
    with pytest.raises(ValueError, match="chunk_bytes"):
        list(read_chunks(io.BytesIO(b"abc"), 0))


def test_record_batches_schema_and_content():
    data = b'[{"a": 1}, , "x"] tail' + b"!" * 50
    batches = list(record_batches(chunked(data, 6), max_record_bytes=8, max_error_bytes=10))
    assert all(batch.num_rows for batch in batches)
    for batch in batches:
        assert batch.schema == pa.schema(
            [
                pa.field("record_index", pa.int64(), nullable=False),
                pa.field("record", pa.binary(), nullable=False),
                pa.field("error", pa.string()),
                pa.field("truncated", pa.bool_(), nullable=False),
            ]
        )
    table = pa.Table.from_batches(batches)
    assert table.to_pydict() == {
        "record_index": [0, 1, 2, 3],
        "record": [b'{"a": 1}', b"", b'"x"', b"tail!!!!!!"],
        "error": [None, EMPTY_ELEMENT, None, TRAILING],
        "truncated": [False, False, False, True],
    }
    pieces = [Piece(*row) for row in zip(*table.to_pydict().values(), strict=True)]
    assert pieces == split(data, 6, max_record_bytes=8, max_error_bytes=10)


def test_record_batches_holds_many_records_per_batch():
    data = b"[" + b",".join(b'{"n": %d}' % i for i in range(50_000)) + b"]"
    batches = list(record_batches(read_chunks(io.BytesIO(data), 1 << 20)))
    assert len(batches) == 1
    records = batches[0].column("record")
    assert records.null_count == 0
    assert batches[0].column("error").null_count == 50_000
    assert records[49_999].as_py() == b'{"n": 49999}'


def timed(data: bytes) -> float:
    start = time.perf_counter()
    for _ in record_batches(read_chunks(io.BytesIO(data))):
        pass
    return time.perf_counter() - start


LINEAR_SHAPES = {
    "whitespace": lambda size: (
        b'%s[{"a":%s1},%s2]%s' % (b" " * (size // 4), b"\n" * (size // 4), b"\t" * (size // 4), b"\r" * (size // 4))
    ),
    "tiny elements": lambda size: b"[" + b"1," * (size // 2) + b"1]",
    "indented tiny elements": lambda size: b"[" + b"         1," * (size // 10) + b"1]",
    "one huge string": lambda size: b'["' + b'\\\\\\"' * (size // 4) + b'"]',
    "deep nesting": lambda size: b"[" * (size // 2) + b"]" * (size // 2),
}


@pytest.mark.parametrize("shape", LINEAR_SHAPES)
def test_time_is_linear(shape):
    make = LINEAR_SHAPES[shape]
    timed(make(1 << 10))  # warm up (Arrow loads its compute kernels on first use)
    small, large = make(1 << 20), make(8 << 20)
    small_time = min(timed(small) for _ in range(2))
    large_time = timed(large)
    print(f"{shape}: 1 MB {small_time * 1e3:.0f} ms, 8 MB {large_time * 1e3:.0f} ms")
    assert large_time < 5.0
    assert large_time < 20 * max(small_time, 0.01)


def test_whitespace_runs_of_every_length_are_trimmed():
    runs = [0, 1, 3, 4, 5, 17, 100, 4095, 4096, 5461, 5462, 70_000]
    data = b"[" + b",".join(b" " * run + b"%d" % run + b"\n" * run for run in runs) + b"]"
    expected = [ok(i, b"%d" % run) for i, run in enumerate(runs)]
    for size in (1000, 65536, None):
        assert split(data, size) == expected


def valid_array_stream(total: int, chunk: int, record: bytes):
    """`total` bytes of `[record,record,...]` in `chunk`-byte chunks, never all in memory."""
    unit = record + b","
    period = unit * (2 * chunk // len(unit) + 2)
    count = (total - 2) // len(unit)
    body = count * len(unit)  # the last comma becomes "]"
    yield b"["
    for offset in range(0, body, chunk):
        piece = period[offset % len(unit) :][: min(chunk, body - offset)]
        yield piece[:-1] + b"]" if offset + len(piece) == body else piece


def peak_traced(chunks, **limits) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        rows = sum(batch.num_rows for batch in record_batches(chunks, **limits))
        return rows, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_chunk_and_record_size():
    chunk = 1 << 20
    record = json.dumps({"vin": "WVWZZZ1JZXW000001", "speed": 88.5, "tags": ["a,b", "}"], "n": None}).encode()
    count = (64 * chunk - 2) // (len(record) + 1)
    rows, peak = peak_traced(valid_array_stream(64 * chunk, chunk, record))
    print(f"64 MiB in 1 MiB chunks: peak traced {peak / chunk:.1f} MiB")
    assert rows == count
    assert peak < 4 * chunk + DEFAULT_MAX_RECORD_BYTES
    _, small_peak = peak_traced(valid_array_stream(4 * chunk, chunk, record))
    assert peak < small_peak + chunk  # does not grow with the stream


def test_memory_stays_bounded_while_skipping_a_huge_record():
    chunk = 1 << 20

    def stream():
        yield b'[{"a": 1}, {"blob": "'
        for _ in range(40):
            yield b"y" * chunk
        yield b'"}, 2]'

    rows, peak = peak_traced(stream(), max_record_bytes=2 * chunk, max_error_bytes=1000)
    print(f"40 MiB record: peak traced {peak / chunk:.1f} MiB")
    assert rows == 3
    assert peak < 4 * chunk + 2 * chunk
