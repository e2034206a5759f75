"""Raw BSON documents -> MongoDB relaxed Extended JSON lines (`bson.json_util`), one document a line."""

from __future__ import annotations

import json

import bson
from bson import json_util
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.raw_bson import RawBSONDocument

JSON_OPTIONS = json_util.RELAXED_JSON_OPTIONS
# For naming a document that did not decode: dates beyond Python's range, bad UTF-8 are tolerated.
LENIENT = CodecOptions(datetime_conversion=DatetimeConversion.DATETIME_AUTO, unicode_decode_error_handler="replace")


def _bson_default(value):
    return json_util.default(value, json_options=JSON_OPTIONS)


def encode(raw: RawBSONDocument, codec_options) -> tuple[dict, bytes]:
    """A raw document decoded and written as one relaxed Extended JSON line.

    `json.dumps` with bson's `default` writes the same text as `json_util.dumps` (which first copies
    the whole document in Python, at about twice the cost), except for NaN and Infinity, which plain
    JSON cannot hold: those documents take `json_util.dumps` (`{"$numberDouble": "NaN"}`).
    """
    document = bson.decode(raw.raw, codec_options=codec_options)
    try:
        text = json.dumps(document, default=_bson_default, allow_nan=False)
    except ValueError:
        text = json_util.dumps(document, json_options=JSON_OPTIONS)
    return document, text.encode("utf-8") + b"\n"


def raw_id(raw: RawBSONDocument):
    """The `_id` of a document that did not decode, read as leniently as bson can."""
    try:
        return bson.decode(raw.raw, codec_options=LENIENT)["_id"]
    except (bson.errors.BSONError, ValueError, KeyError):
        return "<unreadable _id>"
