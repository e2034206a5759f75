"""The extract's line encoder (same text as bson's json_util, relaxed mode) and its read-ahead thread."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime

import bson
import pytest
from bson import json_util
from bson.binary import Binary
from bson.datetime_ms import DatetimeMS
from bson.decimal128 import Decimal128
from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.raw_bson import RawBSONDocument

from dataplatform.ejson import JSON_OPTIONS, encode, raw_id
from dataplatform.prefetch import prefetched

CODEC = bson.DEFAULT_CODEC_OPTIONS
DOCUMENTS = [
    {"_id": ObjectId("65a1f0c2e4b0a1b2c3d4e5f6"), "at": datetime(2025, 10, 29, 12, 0, 0, 250000)},
    {"_id": 1, "n": Int64(2**40), "d": Decimal128("1.10"), "b": Binary(b"\x00\xff"), "u": uuid.UUID(int=7).bytes},
    {"_id": "s", "text": 'ação "quoted" \n', "nested": {"list": [1, 2.5, None, True, {"x": []}]}},
    {"_id": "nan", "values": [float("nan"), float("inf"), -0.0, 1e300]},
    {"_id": "old", "at": datetime(1960, 1, 1)},
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d["_id"]) for d in DOCUMENTS])
def test_a_line_is_exactly_json_util_relaxed_text(document):
    raw = RawBSONDocument(bson.encode(document))

    decoded, line = encode(raw, CODEC)

    assert line == json_util.dumps(bson.decode(raw.raw), json_options=JSON_OPTIONS).encode() + b"\n"
    assert bson.encode(decoded) == raw.raw


def test_a_document_that_does_not_decode_is_still_named():
    raw = RawBSONDocument(bson.encode({"_id": "far", "at": DatetimeMS(2**62)}))

    with pytest.raises(bson.errors.InvalidBSON):
        encode(raw, CODEC)
    assert raw_id(raw) == "far"


def test_prefetched_keeps_order_across_batches():
    assert list(prefetched(iter(range(10)), batch_size=3)) == list(range(10))
    assert list(prefetched(iter([]), batch_size=3)) == []


def test_an_error_in_the_reader_is_raised_in_the_consumer_after_the_items_before_it():
    def items():
        yield from (1, 2, 3, 4)
        raise ConnectionError("cursor lost")

    seen = []
    with pytest.raises(ConnectionError, match="cursor lost"):
        seen.extend(prefetched(items(), batch_size=2))
    assert seen == [1, 2, 3, 4]


def test_a_consumer_that_stops_stops_the_reader_and_it_holds_a_bounded_number_of_batches():
    produced = []

    def endless():
        for number in range(10**9):
            produced.append(number)
            yield number

    stream = prefetched(endless(), batch_size=10, depth=2)
    assert next(stream) == 0
    time.sleep(0.3)
    assert len(produced) <= 10 * 4, "read ahead without bound"
    stream.close()
    assert not [thread for thread in threading.enumerate() if thread.name == "prefetch"]
