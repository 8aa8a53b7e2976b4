"""web: indexes on the columns listings sort by (API pages without a full sort per request)

Revision ID: 0004_web_list_indexes
Revises: 0003_deadlines_evidence
Create Date: 2026-12-06 01:30:00
"""
from alembic import op


revision = '0004_web_list_indexes'
down_revision = '0003_deadlines_evidence'
branch_labels = None
depends_on = None

INDEXES = (('orders', 'order_date'), ('return_cases', 'requested_at'), ('shipments', 'last_event_at'),
           ('deadlines', 'due_on'))


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column], unique=False)


def downgrade() -> None:
    for table, column in INDEXES:
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
