"""The audit trail: an append-only, hash-chained record of every read and write of person data."""

import hashlib
import json

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"
    LOGIN = "login", "Sign-in"


class AuditEvent(models.Model):
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    categories = models.JSONField(default=list, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type} {self.object_id}"

    def payload(self) -> str:
        return json.dumps(
            [
                self.at.isoformat(),
                self.actor_id,
                self.action,
                self.object_type,
                self.object_id,
                self.categories,
                self.detail,
                self.previous_hash,
            ],
            separators=(",", ":"),
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()
