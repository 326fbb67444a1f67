"""`coresponse link [--agencies A,B] [--threshold P]`: link every agency's person records.

Estimates a new version of the linkage model from the records (expectation maximisation, with
Splink on DuckDB or Spark), scores every candidate pair and writes IdentityLinks: at or above
the upper threshold linked automatically, between the thresholds queued for review, below
nothing. Decisions reviewers made are never changed. The run is written to the audit chain.
See docs/identity-resolution.md.
"""

import logging

from django.core.management.base import BaseCommand, CommandError

from coresponse.agencies.models import Agency
from coresponse.people import services
from coresponse.people.linkage.backends import BACKENDS
from coresponse.privacy.categories import DataCategory
from coresponse.privacy.models import AuditAction, Purpose
from coresponse.privacy.services import record


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a probability (a number from 0 to 1)") from None
    if not 0 <= value <= 1:
        raise CommandError(f"{text} is not a probability: use a number from 0 to 1")
    return value


class Command(BaseCommand):
    help = (
        "Link person records across agencies: estimate the linkage model from the data, score "
        "candidate pairs, link automatically above --threshold and queue pairs between "
        "--review-threshold and --threshold for clerical review."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--agencies",
            metavar="A,B",
            help="external ids of the agencies whose records to link (default: every agency)",
        )
        parser.add_argument(
            "--threshold",
            metavar="P",
            help="match probability from which a pair is linked automatically (default: the "
            "newest model's, 0.95 at first)",
        )
        parser.add_argument(
            "--review-threshold",
            metavar="Q",
            help="match probability from which a pair goes to the review queue (default: the "
            "newest model's, 0.5 at first)",
        )
        parser.add_argument("--backend", choices=BACKENDS, help="default: the setting")
        parser.add_argument(
            "--no-train",
            action="store_true",
            help="score with the newest saved model instead of estimating a new version",
        )

    def handle(self, *args, agencies, threshold, review_threshold, backend, no_train, **options):
        agency_ids = None
        if agencies:
            wanted = [a.strip() for a in agencies.split(",") if a.strip()]
            found = dict(
                Agency.objects.filter(external_id__in=wanted).values_list("external_id", "pk")
            )
            missing = [a for a in wanted if a not in found]
            if missing:
                known = ", ".join(Agency.objects.order_by("external_id").values_list(
                    "external_id", flat=True
                ))  # fmt: skip
                raise CommandError(f"unknown agency {', '.join(missing)} (known: {known})")
            agency_ids = list(found.values())
        if options.get("verbosity", 1) >= 2:  # Splink's own account of training, step by step
            from coresponse.people.linkage import engine

            engine.LOG_LEVEL = logging.INFO
        auto = _probability(threshold) if threshold is not None else None
        review = _probability(review_threshold) if review_threshold is not None else None
        if auto is not None and review is not None and review > auto:
            raise CommandError("--review-threshold must not be above --threshold")
        run = services.link_all(
            agency_ids=agency_ids,
            auto_threshold=auto,
            review_threshold=review,
            backend=backend,
            train=not no_train,
            say=lambda text: self.stdout.write(f"  {text}"),
        )
        written = run.written
        summary = (
            f"model v{run.model.version}: {run.records:,} records, {run.pairs:,} pairs; "
            f"new links {written.created['auto']:,} automatic, {written.created['review']:,} "
            f"for review; {written.updated:,} updated, {written.removed:,} removed, "
            f"{written.kept_decisions:,} reviewers' decisions kept"
        )
        record(
            None,
            AuditAction.WRITE,
            object_type="identity_links",
            object_id=f"model-v{run.model.version}",
            categories=[DataCategory.IDENTITY],
            detail=f"coresponse link{' --agencies ' + agencies if agencies else ''}: {summary}",
            purpose=Purpose.OPERATIONS,
        )
        self.stdout.write(f"Linked: {summary}")
        self.stdout.write(
            f"  thresholds: automatic from {run.model.auto_threshold:g}, review from "
            f"{run.model.review_threshold:g}; {sum(run.seconds.values()):.1f} s in all"
        )
