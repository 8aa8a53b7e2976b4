"""shipments: whether the tracking number was confirmed by a carrier format or check digit

Revision ID: 0006_shipment_verified
Revises: 0005_agenda_cache
Create Date: 2026-12-06 07:40:00

``verified`` is True when a format or check digit confirmed the number, False when only the carrier's own
mail (or a shop's mail naming the carrier) labels it as the tracking number, NULL when not recorded: the
parcel was stored before this revision. Nothing here guesses it for existing rows (the check-digit code
is not the store's and changes); ``smartreturn reparse`` re-reads the stored mail and fills it.
"""
import sqlite3

from alembic import op
import sqlalchemy as sa

revision = '0006_shipment_verified'
down_revision = '0005_agenda_cache'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN on every dialect: a batch (copy and drop) of shipments on SQLite would cascade the
    # drop of the old table to tracking_events and case_events (foreign keys are on)
    op.add_column('shipments', sa.Column('verified', sa.Boolean(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite >= 3.35 drops a column in place; a batch recreate would delete the parcels' events (see above)
        if sqlite3.sqlite_version_info < (3, 35):
            raise RuntimeError(f'downgrading 0006 needs SQLite >= 3.35 (DROP COLUMN), this is {sqlite3.sqlite_version}')
        op.execute('ALTER TABLE shipments DROP COLUMN verified')
    else:
        op.drop_column('shipments', 'verified')
