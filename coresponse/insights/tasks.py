"""Background work of insights: rebuilding the fact tables the metrics are counted from."""

from django_tasks import task

from coresponse.insights import facts
from coresponse.schedule import every


@every(minutes=facts.REFRESH_MINUTES)
@task()
def refresh_facts() -> dict:
    """Rebuild the fact tables (so edits of existing records reach the metrics), then answer
    the default dashboards ahead of their first visitor."""
    from coresponse.insights import memo, selectors

    done = facts.refresh()
    warmed = selectors.warm()
    memo.forget_older()
    return {
        "encounters": done.encounters,
        "call_days": done.call_days,
        "seconds": done.seconds,
        "dashboards_warmed": warmed,
    }
