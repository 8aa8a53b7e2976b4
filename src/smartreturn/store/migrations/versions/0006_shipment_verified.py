"""shipments: whether the tracking number was confirmed by a carrier format or check digit

Revision ID: 0006_shipment_verified
Revises: 0005_agenda_cache
Create Date: 2026-12-06 07:40:00

``verified`` is True when a format or check digit confirmed the number, False when only the carrier's own
mail (or a shop's mail naming the carrier) labels it as the tracking number, NULL when not recorded: the
parcel was stored before this revision. Nothing here guesses it for existing rows (the check-digit code
is not the store's and changes); ``smartreturn reparse`` re-reads the stored mail and fills it.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_shipment_verified'
down_revision = '0005_agenda_cache'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_column('verified')
