"""Token expiry and revocation: columns ``token_expires_at`` and ``revoked_at`` on ``users``.

``token_expires_at`` (UTC, ISO 8601; None: never) ends an API token's validity;
``revoked_at`` (UTC) marks an account whose token was revoked (``trygg users revoke``): its
token and sessions no longer sign in. Existing accounts keep tokens that never expire.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_expires_at", sa.Text()))
        batch.add_column(sa.Column("revoked_at", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("token_expires_at")
