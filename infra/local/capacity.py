"""DynamoDB's capacity units, counted as AWS bills them, and an optional cap
on them that answers throttling as DynamoDB does, for moto's server.

moto answers every call at once and reports a made-up consumed capacity, so
neither what an import would cost on AWS nor what it does when a table runs
out of throughput can be seen on it. This module counts, per call:

- Writes (PutItem, UpdateItem, DeleteItem, each item of BatchWriteItem): one
  write unit per 1 KB of the larger of the item before and after the write,
  at least one; a write whose condition fails costs the same. In
  TransactWriteItems every action costs twice that, a ConditionCheck
  included.
- Index writes: for each global secondary index, the item's projection
  (its keys, plus what the index projects) counts as an item of the index:
  one write when the item enters, leaves or changes what the index holds,
  two when its index key changes (the old entry deleted, the new one put);
  none when nothing the index holds changes. Not doubled in transactions.
- Reads (GetItem, each item of BatchGetItem, Query): one read unit per 4 KB
  (a Query adds up the items it read, then rounds), half that when the read
  is eventually consistent, twice that in TransactGetItems; a missing item
  still costs the minimum.

AWS's rules: "Read/write capacity mode" and "Managing capacity settings for
global secondary indexes" in the DynamoDB developer guide (on-demand: one
write request unit per write of up to 1 KB, one read request unit per
strongly consistent read of up to 4 KB).

The cap, when set, holds a bucket of units per table and per global index,
refilled at the cap's rate and holding at most one second of it. A call is
admitted while every bucket of its kind holds some units and is then charged
what it consumed (a bucket may go below zero, as a burst does); otherwise it
is answered, before doing anything, with HTTP 400
ProvisionedThroughputExceededException, which the SDKs retry with back-off.
A full BatchWriteItem or BatchGetItem throttled whole is what DynamoDB does
when none of its items can be served; partial batches (UnprocessedItems) are
not modelled here (the fault interceptor injects those).

Read and set over HTTP on moto's own port:
- GET /_contacts/capacity: units and throttled calls per operation and per
  table or index, the table's write units by kind of item, and the caps;
- POST /_contacts/capacity with {"reset": true} clears the counts, and with
  {"write_per_second": n, "read_per_second": n} sets the caps (null: none);
  it answers what was counted before.
"""

import copy
import json
import math
import threading
import time

from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

WRITE_UNIT = 1024
READ_UNIT = 4096
PATH = "/_contacts/capacity"

WRITE_CALLS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
READ_CALLS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
HANDLERS = {
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "delete_item": "DeleteItem",
    "batch_write_item": "BatchWriteItem",
    "transact_write_items": "TransactWriteItems",
    "get_item": "GetItem",
    "batch_get_item": "BatchGetItem",
    "query": "Query",
    "scan": "Scan",
    "transact_get_items": "TransactGetItems",
}


class Throttled(DynamodbException):
    def __init__(self):
        super().__init__(
            "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "Throughput exceeds the current capacity of your table or index. DynamoDB "
            "is automatically scaling your table or index so please try again shortly.",
        )


class Call:
    """The call being answered on this thread: its operation and request,
    and the units it has consumed so far, by table or index."""

    def __init__(self, operation, body):
        self.operation = operation
        self.body = body
        self.read = {}
        self.write = {}
        self.kinds = {}

    def consistent(self, table_name):
        if self.operation == "BatchGetItem":
            asked = self.body.get("RequestItems", {}).get(table_name, {})
            return bool(asked.get("ConsistentRead"))
        return bool(self.body.get("ConsistentRead"))

    def add(self, kind, where, units):
        """Counts `units` of `kind` (read, write, or kind: the table's write
        units by the kind of item written, for the report only)."""
        spent = {"read": self.read, "write": self.write, "kind": self.kinds}[kind]
        spent[where] = spent.get(where, 0.0) + units


class Meter:
    def __init__(self):
        self.lock = threading.Lock()
        self.caps = {"read": None, "write": None}
        self.buckets = {}
        self.reset()

    def reset(self):
        with self.lock:
            self.operations = {}
            self.places = {}
            self.kinds = {}

    def set_caps(self, read, write):
        with self.lock:
            self.caps = {"read": read, "write": write}
            self.buckets = {}

    def _bucket(self, kind, where, now):
        cap = self.caps[kind]
        tokens, at = self.buckets.get((kind, where), (cap, now))
        tokens = min(cap, tokens + (now - at) * cap)
        self.buckets[(kind, where)] = (tokens, now)
        return tokens

    def admit(self, operation, places):
        """Raises Throttled when a bucket the call would draw from is empty."""
        kind = "write" if operation in WRITE_CALLS else "read"
        with self.lock:
            if self.caps[kind] is None:
                return
            now = time.monotonic()
            # The places named, and every index that has spent: an index
            # out of capacity throttles its table's writes too.
            drawn = {w for (k, w) in self.buckets if k == kind} | set(places)
            if any(self._bucket(kind, w, now) <= 0 for w in drawn):
                counts = self.operations.setdefault(operation, _counts())
                counts["throttled"] += 1
                raise Throttled()

    def charge(self, call):
        with self.lock:
            counts = self.operations.setdefault(call.operation, _counts())
            counts["calls"] += 1
            now = time.monotonic()
            for kind, spent in (("read", call.read), ("write", call.write)):
                for where, units in spent.items():
                    counts[kind] += units
                    place = self.places.setdefault(where, {"read": 0.0, "write": 0.0})
                    place[kind] += units
                    if self.caps[kind] is not None:
                        tokens = self._bucket(kind, where, now)
                        self.buckets[(kind, where)] = (tokens - units, now)
            for item_kind, units in call.kinds.items():
                self.kinds[item_kind] = self.kinds.get(item_kind, 0.0) + units

    def report(self):
        with self.lock:
            return copy.deepcopy(
                {
                    "operations": self.operations,
                    "places": self.places,
                    "kinds": self.kinds,
                    "caps": self.caps,
                }
            )


def _counts():
    return {"calls": 0, "read": 0.0, "write": 0.0, "throttled": 0}


METER = Meter()
NOW = threading.local()


def _call():
    return getattr(NOW, "call", None)


def _index_name(table, index):
    return f"{table.name}/{index.name}"


def _held_by(index, item):
    """What `index` holds of `item`: its index key and projection, or None
    when the item lacks a key attribute (and is not in the index)."""
    if item is None:
        return None
    if any(item.attrs.get(name) is None for name in index.schema_key_attrs):
        return None
    projected = index.project(item)
    # Compared as text: the item's values may change in place after this.
    key = tuple(repr(item.attrs[n].to_json()) for n in index.schema_key_attrs)
    content = repr(sorted((n, repr(v.to_json())) for n, v in projected.attrs.items()))
    return key, content, projected.size()


def _kind(hash_key, range_key):
    """What sort of item a key names, for the report: the partition key's
    words and the sort key's first word, identifiers and numbers left out
    (`W#ws#C#id` and `ACT#…` make `C ACT`)."""
    def words(value, most):
        parts = str(getattr(value, "value", "") or "").split("#")
        return [p for p in parts if p.isalpha() and p.isupper()][:most]

    return " ".join(words(hash_key, 3) + words(range_key, 1)) or "other"


def _units(size, unit):
    return max(1, math.ceil(size / unit))


def _index_writes(before, after):
    """Write units an index spends when what it holds of an item goes from
    `before` to `after` (each None or what _held_by answers)."""
    if before is None and after is None:
        return 0
    if before is None:
        return _units(after[2], WRITE_UNIT)
    if after is None:
        return _units(before[2], WRITE_UNIT)
    if before[0] != after[0]:
        return _units(before[2], WRITE_UNIT) + _units(after[2], WRITE_UNIT)
    if before[1] != after[1]:
        return _units(max(before[2], after[2]), WRITE_UNIT)
    return 0


def _metered_write(method, deletes):
    """Meters a backend write (`put_item`, `update_item`, `delete_item`, which
    answer the item written, or the item deleted): its table's units from
    the item before and after, and each index's from what it held of both."""

    def write(self, table_name, key_or_item, *args, **kwargs):
        call = _call()
        table = self.tables.get(table_name)
        if call is None or table is None:
            return method(self, table_name, key_or_item, *args, **kwargs)
        hash_key, range_key = self.get_keys_value(table, key_or_item)
        before = table.get_item(hash_key, range_key)
        indexes = table.global_indexes or []
        held_before = [_held_by(index, before) for index in indexes]
        size_before = before.size() if before is not None else 0
        factor = 2 if call.operation == "TransactWriteItems" else 1
        after, written = None, False
        try:
            answer = method(self, table_name, key_or_item, *args, **kwargs)
            written = True
            after = None if deletes else answer
            return answer
        finally:
            size_after = after.size() if after is not None else 0
            units = factor * _units(max(size_before, size_after), WRITE_UNIT)
            call.add("write", table.name, units)
            call.add("kind", _kind(hash_key, range_key), units)
            if written:
                for index, held in zip(indexes, held_before):
                    units = _index_writes(held, _held_by(index, after))
                    if units:
                        call.add("write", _index_name(table, index), units)

    return write


def _metered_get(method):
    def get(self, table_name, keys, *args, **kwargs):
        item = method(self, table_name, keys, *args, **kwargs)
        call = _call()
        if call is not None and call.operation in ("GetItem", "BatchGetItem", "TransactGetItems"):
            table = self.tables.get(table_name)
            whole = table.get_item(*self.get_keys_value(table, keys)) if table else None
            units = _units(whole.size() if whole is not None else 0, READ_UNIT)
            if call.operation == "TransactGetItems":
                units *= 2
            elif not call.consistent(table_name):
                units /= 2
            call.add("read", table_name, units)
        return item

    return get


def _metered_transaction(method):
    def transact(self, transact_items):
        call = _call()
        if call is not None:
            for entry in transact_items:
                check = entry.get("ConditionCheck")
                table = self.tables.get(check.get("TableName")) if check else None
                if table is None:
                    continue
                item = table.get_item(*self.get_keys_value(table, check["Key"]))
                size = item.size() if item is not None else 0
                call.add("write", table.name, 2 * _units(size, WRITE_UNIT))
        return method(self, transact_items)

    return transact


def charge_query(table, index_name, results, scanned, consistent):
    """Charges the call answering a query for what it read: the answer's
    items, scaled up to the items scanned when a filter dropped some."""
    call = _call()
    if call is None:
        return
    size = sum(item.size() for item in results)
    if results and scanned > len(results):
        size = size * scanned / len(results)
    units = _units(size, READ_UNIT)
    if not consistent:
        units /= 2
    call.add("read", f"{table.name}/{index_name}" if index_name else table.name, units)


def _handler(method, operation):
    def handle(self, *args, **kwargs):
        body = self.body if isinstance(self.body, dict) else {}
        METER.admit(operation, _places(operation, body))
        NOW.call = Call(operation, body)
        try:
            return method(self, *args, **kwargs)
        finally:
            call, NOW.call = NOW.call, None
            METER.charge(call)

    return handle


def _places(operation, body):
    """The tables a call names (its indexes are added by the buckets)."""
    if "TableName" in body:
        return [body["TableName"]]
    if "RequestItems" in body:
        return list(body["RequestItems"])
    places = []
    for entry in body.get("TransactItems", []):
        for action in entry.values():
            if isinstance(action, dict) and "TableName" in action:
                places.append(action["TableName"])
    return places


def install():
    """Wraps moto's DynamoDB handler and backend; call before serving."""
    for name, operation in HANDLERS.items():
        if hasattr(DynamoHandler, name):
            setattr(DynamoHandler, name, _handler(getattr(DynamoHandler, name), operation))
    DynamoDBBackend.put_item = _metered_write(DynamoDBBackend.put_item, deletes=False)
    DynamoDBBackend.update_item = _metered_write(DynamoDBBackend.update_item, deletes=False)
    DynamoDBBackend.delete_item = _metered_write(DynamoDBBackend.delete_item, deletes=True)
    DynamoDBBackend.get_item = _metered_get(DynamoDBBackend.get_item)
    DynamoDBBackend.transact_write_items = _metered_transaction(
        DynamoDBBackend.transact_write_items
    )


def serve(environ, start_response):
    """Answers GET and POST on PATH; anything else is not ours (None)."""
    if environ.get("PATH_INFO") != PATH:
        return None
    report = METER.report()
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        asked = json.loads(environ["wsgi.input"].read(length) or b"{}")
        if asked.get("reset"):
            METER.reset()
        if "write_per_second" in asked or "read_per_second" in asked:
            METER.set_caps(asked.get("read_per_second"), asked.get("write_per_second"))
    body = json.dumps(report).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
