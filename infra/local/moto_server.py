"""Starts moto's server for the local stack, with DynamoDB transactions made
to scale and to be isolated.

moto's TransactWriteItems deep-copies every table a transaction touches so
that it can roll back. That makes each transaction cost as much as the whole
table (an import of 200,000 rows would copy hundreds of thousands of items
thousands of times), and, in the threaded server, the copy races concurrent
writes ("dictionary changed size during iteration", answered as HTTP 500).

Here a transaction keeps a copy of only the items it touches and puts them
back when it is cancelled, and writes are serialised with one lock. What
clients see is unchanged: all or nothing, with the same cancellation reasons.

S3 keeps an object's bytes whatever `Content-Type` its `PUT` declares. moto's
server reads a body declared as a form (`curl -X PUT --data-binary` declares
`application/x-www-form-urlencoded`) as the form of an AWS query API: the
object is stored with no bytes, or, when the bytes are not UTF-8, the request
never ends. AWS's form-encoded (query) APIs are all called with POST or
GET, so a form-typed `PUT` is handed on as plain bytes (the object's
content type is then `application/octet-stream`).

moto's Query reads the whole table, sorted, for every call, even to read
one partition (about 0.5 s a query at 5,000 contacts, and growing with the
table). Here a query is handed only the items that can match its key
condition: for the table, the items of its partition; for an index, the
items filed under the condition's partition values in a map of that index,
built on the first query after a write (any write clears the maps). moto
then checks, sorts, pages and filters them as before, so answers are
unchanged; only the items it looks at are fewer.

DynamoDB's read and write units are counted as AWS bills them, and can be
capped so that calls are throttled as DynamoDB throttles them: see
capacity.py, served on this port at /_contacts/capacity.

Everything else is moto's server as `python -m moto.server` runs it.
"""

import copy
import sys
import threading

import capacity

import moto.dynamodb.models as models
import moto.dynamodb.models.table as tables
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import main

# First, so that every write below is metered inside the write lock.
capacity.install()

WRITES = threading.RLock()


class _TablesNotCopied:
    """Stands for the `copy` module inside moto's DynamoDB backend: a table
    is handed back as itself (the wrapper below keeps what it needs), any
    other value is copied as usual."""

    def deepcopy(self, value, memo=None):
        if isinstance(value, models.Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


models.copy = _TablesNotCopied()


def _key(table, attributes):
    hash_key = DynamoType(attributes[table.hash_key_attr])
    range_key = None
    if table.range_key_attr:
        range_key = DynamoType(attributes[table.range_key_attr])
    return hash_key, range_key


def _put_back(table, hash_key, range_key, item):
    if table.range_key_attr:
        if item is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item
    elif item is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = item


_transact = DynamoDBBackend.transact_write_items


def transact_write_items(self, transact_items):
    with WRITES:
        kept = []
        for entry in transact_items:
            operation = next(iter(entry.values()), {})
            table = self.tables.get(operation.get("TableName"))
            attributes = operation.get("Key") or operation.get("Item") or {}
            if table is None or table.hash_key_attr not in attributes:
                continue
            hash_key, range_key = _key(table, attributes)
            item = table.get_item(hash_key, range_key)
            kept.append((table, hash_key, range_key, copy.deepcopy(item)))
        try:
            return _transact(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(kept):
                _put_back(table, hash_key, range_key, item)
            raise


DynamoDBBackend.transact_write_items = transact_write_items


# Each index's items by the values of its partition key attributes, per
# table: {(table, index name): {values: [items]}}. Read and built under
# WRITES; every write clears it.
INDEX_MAPS = {}


def _serialised(method):
    def write(self, *args, **kwargs):
        with WRITES:
            INDEX_MAPS.clear()
            return method(self, *args, **kwargs)

    return write


# Every backend call that can change a table's items or indexes.
WRITE_CALLS = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
    "create_table",
    "delete_table",
    "update_table",
    "update_table_global_indexes",
    "restore_table_from_backup",
    "restore_table_to_point_in_time",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
    "import_table",
)
for _name in WRITE_CALLS:
    if hasattr(DynamoDBBackend, _name):
        setattr(DynamoDBBackend, _name, _serialised(getattr(DynamoDBBackend, _name)))

# The items a query running on this thread may look at, when narrowed.
NARROWED = threading.local()

_all_items = tables.Table.all_items


def _all_items_or_narrowed(self):
    narrowed = getattr(NARROWED, "items", None)
    if narrowed is not None and narrowed[0] is self:
        return narrowed[1]
    return _all_items(self)


tables.Table.all_items = _all_items_or_narrowed

_sorted_items = tables.Table.sorted_items


def _sorted_or_presorted(self, hash_attrs, range_attrs, items):
    """A narrowed index query's items keep the map's order, which is this
    sort's: moto keeps their order while it checks them, and its sort is
    stable, so sorting again changes nothing but the time taken."""
    narrowed = getattr(NARROWED, "items", None)
    if narrowed is not None and narrowed[0] is self and narrowed[2]:
        return items
    return _sorted_items(self, hash_attrs, range_attrs, items)


tables.Table.sorted_items = _sorted_or_presorted


def _index_keys(table, index_name):
    """An index's partition and sort key attributes, or None."""
    for index in table.all_indexes():
        if index.name == index_name:
            of = lambda kind: [k["AttributeName"] for k in index.schema if k["KeyType"] == kind]
            return tuple(of("HASH")), of("RANGE")
    return None


def _index_map(table, index_name, keys):
    """The index's items by partition values, each partition already in the
    order moto sorts a query's items in (sorted once, not per query)."""
    attributes, sort_attributes = keys
    with WRITES:
        key = (id(table), index_name)
        found = INDEX_MAPS.get(key)
        if found is None or found[0] is not table:
            by_values = {}
            for item in _all_items(table):
                # An item the index's keys do not all name is not in it.
                if any(item.attrs.get(a) is None for a in sort_attributes):
                    continue
                values = tuple(item.attrs.get(a) for a in attributes)
                if all(v is not None for v in values):
                    by_values.setdefault(values, []).append(item)
            hash_attrs = list(attributes) + [table.hash_key_attr]
            range_attrs = (sort_attributes or [table.range_key_attr]) + [table.range_key_attr]
            for items in by_values.values():
                _sorted_items(table, hash_attrs, range_attrs, items)
            found = (table, by_values)
            INDEX_MAPS[key] = found
        return found[1]


def _candidates(table, index_name, args, kwargs):
    """The items that can match a query's key condition, or None when the
    query is not one this knows how to narrow (moto then reads them all)."""
    hash_key = args[0] if args else kwargs.get("hash_key")
    if not index_name:
        if hash_key is None:
            return None
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    keys = _index_keys(table, index_name)
    conditions = dict(kwargs.get("hash_key_conditions") or [])
    if not keys or not keys[0] or any(a not in conditions for a in keys[0]):
        return None
    values = tuple(conditions[a] for a in keys[0])
    return list(_index_map(table, index_name, keys).get(values, []))


_query = tables.Table.query


def query(self, *args, **kwargs):
    index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
    candidates = _candidates(self, index_name, args, kwargs)
    NARROWED.items = None if candidates is None else (self, candidates, bool(index_name))
    try:
        answer = _query(self, *args, **kwargs)
    finally:
        NARROWED.items = None
    consistent = args[8] if len(args) > 8 else kwargs.get("consistent_read", False)
    results, scanned = answer[0], answer[1]
    capacity.charge_query(self, index_name, results, scanned, consistent)
    return answer


tables.Table.query = query

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_dispatch = DomainDispatcherApplication.__call__


def _put_as_bytes(self, environ, start_response):
    ours = capacity.serve(environ, start_response)
    if ours is not None:
        return ours
    form_typed = environ.get("CONTENT_TYPE", "").startswith(FORM_TYPES)
    if environ.get("REQUEST_METHOD") == "PUT" and form_typed:
        environ["CONTENT_TYPE"] = "application/octet-stream"
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _put_as_bytes

if __name__ == "__main__":
    main(sys.argv[1:])
