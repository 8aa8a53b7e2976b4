"""agenda: the last agenda built, shared by the daemon, the web and the CLI

Revision ID: 0005_agenda_cache
Revises: 0004_web_list_indexes
Create Date: 2026-12-06 04:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_agenda_cache'
down_revision = '0004_web_list_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'agenda_cache',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_cache')),
        sa.UniqueConstraint('key', name=op.f('uq_agenda_cache_key')),
    )


def downgrade() -> None:
    op.drop_table('agenda_cache')
