"""Create datanommer's schema in an empty PostgreSQL database (argument: its SQLAlchemy URL).

datanommer's own `init(create=True)` needs the TimescaleDB extension, which plain PostgreSQL does
not have: the `messages` table is made a hypertable by an `after_create` listener. The tables and
the view are otherwise plain SQL, so the listener is taken off before they are created.
"""

import sys

from sqlalchemy import create_engine, event

import datanommer.models as dm
from datanommer.models.view import create_view

engine = create_engine(sys.argv[1])
dm.init(engine=engine)
table = dm.Message.__table__
hypertable = [
    listener
    for listener in table.dispatch.after_create
    if "create_hypertable" in str(getattr(listener, "statement", ""))
]
assert hypertable, "datanommer's hypertable listener was not found"
for listener in hypertable:
    event.remove(table, "after_create", listener)
dm.DeclarativeBase.metadata.create_all(engine)
with engine.begin() as connection:
    create_view(connection)
