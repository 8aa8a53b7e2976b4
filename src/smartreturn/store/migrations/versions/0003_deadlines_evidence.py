"""deadlines: evidence (stated dates), fixed anchors, order country and category correction, expected-refund source

Revision ID: 0003_deadlines_evidence
Revises: 0002_web_tables
Create Date: 2026-12-06 00:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_deadlines_evidence'
down_revision = '0002_web_tables'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_user_set', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))
    with op.batch_alter_table('return_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_source', sa.String(length=16), nullable=True))
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('evidence_message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_deadlines_evidence_message_id_messages'), 'messages',
                                    ['evidence_message_id'], ['id'], ondelete='SET NULL')
    op.create_table('stated_deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('return_case_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('stated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_stated_deadlines_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_stated_deadlines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['return_case_id'], ['return_cases.id'], name=op.f('fk_stated_deadlines_return_case_id_return_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stated_deadlines')),
    sa.UniqueConstraint('kind', 'order_id', 'return_case_id', 'message_id', name=op.f('uq_stated_deadlines_kind_order_id_return_case_id_message_id'))
    )
    with op.batch_alter_table('stated_deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stated_deadlines_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stated_deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stated_deadlines_order_id'))
    op.drop_table('stated_deadlines')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deadlines_evidence_message_id_messages'), type_='foreignkey')
        batch_op.drop_column('evidence_message_id')
        batch_op.drop_column('anchor_on')
    with op.batch_alter_table('return_cases', schema=None) as batch_op:
        batch_op.drop_column('expected_source')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('country')
        batch_op.drop_column('category_user_set')
