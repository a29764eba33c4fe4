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

Everything else is moto's server as `python -m moto.server` runs it.
"""

import copy
import sys
import threading

import moto.dynamodb.models as models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import main

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


def _serialised(method):
    def write(self, *args, **kwargs):
        with WRITES:
            return method(self, *args, **kwargs)

    return write


for _name in ("put_item", "update_item", "delete_item", "batch_write_item"):
    if hasattr(DynamoDBBackend, _name):
        setattr(DynamoDBBackend, _name, _serialised(getattr(DynamoDBBackend, _name)))

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_dispatch = DomainDispatcherApplication.__call__


def _put_as_bytes(self, environ, start_response):
    form_typed = environ.get("CONTENT_TYPE", "").startswith(FORM_TYPES)
    if environ.get("REQUEST_METHOD") == "PUT" and form_typed:
        environ["CONTENT_TYPE"] = "application/octet-stream"
    return _dispatch(self, environ, start_response)


DomainDispatcherApplication.__call__ = _put_as_bytes

if __name__ == "__main__":
    main(sys.argv[1:])
