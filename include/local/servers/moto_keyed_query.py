"""The moto server with one speed fix: a DynamoDB Query on a table's own key reads only that key's items.

    python moto_keyed_query.py -H 127.0.0.1 -p PORT      # the same arguments as `moto_server`

moto 5.2.5 answers every Query by sorting all of the table's items and then filtering them by key,
so one history read costs O(table) and a batch of them O(table x receivables): a local benchmark
then measures moto, not the job. moto already keeps items by hash key; here a Query on the base
table (not an index) hands moto's own query code only that key's items. Everything after that
(range conditions, sort order, filters, pages, limits) is moto's unchanged code, so the answers
are the same. Started by `include/local/servers/moto.py`; imports nothing from this repository.
"""

from __future__ import annotations

import os
import sys
import threading

# Run as a script, this folder is sys.path[0], and its moto.py would shadow the moto package.
sys.path = [entry for entry in sys.path if os.path.abspath(entry or ".") != os.path.dirname(os.path.abspath(__file__))]

from moto.dynamodb.models.table import Table  # noqa: E402
from moto.server import main  # noqa: E402

_scope = threading.local()  # the moto server answers requests on several threads
_all_items = Table.all_items
_query = Table.query
# Table.query(hash_key, range_comparison, range_objs, limit, start_key, forward, projection, index_name, ...)
_INDEX_NAME_POSITION = 6


def _scoped_all_items(self: Table):
    scoped = getattr(_scope, "items", None)
    if scoped is not None and scoped[0] is self:
        return list(scoped[1])
    return _all_items(self)


def _query_by_key(self: Table, hash_key, *args, **kwargs):
    index_name = kwargs.get("index_name", args[_INDEX_NAME_POSITION] if len(args) > _INDEX_NAME_POSITION else None)
    if index_name or hash_key is None:
        return _query(self, hash_key, *args, **kwargs)
    held = self.items.get(hash_key)  # .get: no insert into moto's defaultdict
    if held is None:
        items = []
    elif self.range_key_attr:
        items = list(held.values())
    else:
        items = [held]
    _scope.items = (self, items)
    try:
        return _query(self, hash_key, *args, **kwargs)
    finally:
        _scope.items = None


Table.all_items = _scoped_all_items
Table.query = _query_by_key

if __name__ == "__main__":
    sys.exit(main())
