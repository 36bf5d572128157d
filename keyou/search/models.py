"""One row per searchable object; its tokens live in the vendor's full-text index.

On SQLite the tokens sit in the FTS5 table `search_fts` (rowid = SearchDoc.id); on
PostgreSQL in a `tokens tsvector` column of `search_doc` with a GIN index. Both are
created by raw SQL in migration 0001 and written only by `keyou.search.services`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    ACCOUNT = "account", _("Account")
    CONTACT = "contact", _("Contact")


class SearchDoc(models.Model):
    kind = models.CharField(max_length=16, choices=SearchKind.choices)
    object_id = models.BigIntegerField()
    # The accounts the object belongs to (a message: every account it is filed to;
    # may be empty). Search narrows hits to the accounts a user may see with this.
    account_ids = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "search_doc"
        constraints = [
            # Upserts on re-indexing, and removal by (kind, object id).
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_doc_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
