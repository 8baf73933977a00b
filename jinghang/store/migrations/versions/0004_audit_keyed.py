"""audit keyed: a key id per audit row and in the head, and signed checkpoints of the head

Rows written before this revision keep their unkeyed SHA-256 hashes and get an empty
``key_id``: they are the chain's legacy prefix. They are not re-chained here (a migration has
no audit key, and re-chaining would bless whatever was done to them before): the first row
written with the key (``audit.keyed``, see :func:`jinghang.store.audit.seal_legacy`) names
how many legacy rows there were and the last one's hash, so from then on a change to any of
them breaks that row's MAC.

Revision ID: 0004_audit_keyed
Revises: 0003_user_token_version
Create Date: 2026-12-01 21:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_audit_keyed"
down_revision: str | None = "0003_user_token_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("key_id", sa.String(length=16), nullable=False, server_default="")
        )
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("key_id", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("checkpointed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key_hex", sa.String(length=64), nullable=False),
        sa.Column("signature_hex", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_checkpoints_seq"), ["seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_checkpoints_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_checkpoints_created_at"))
        batch_op.drop_index(batch_op.f("ix_audit_checkpoints_seq"))
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("checkpointed_at")
        batch_op.drop_column("key_id")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("key_id")
