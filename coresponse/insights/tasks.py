"""Background work of insights: rebuilding the fact tables the metrics are counted from."""

from django_tasks import task

from coresponse.insights import facts
from coresponse.schedule import every


@every(minutes=facts.REFRESH_MINUTES)
@task()
def refresh_facts() -> dict:
    """Rebuild the fact tables (so edits of existing records reach the metrics)."""
    done = facts.refresh()
    return {"encounters": done.encounters, "call_days": done.call_days, "seconds": done.seconds}
