"""Background jobs of care, run by `coresponse worker` (Django's tasks framework)."""

from django_tasks import task

from coresponse.care import services
from coresponse.schedule import every


@every(minutes=15)
@task()
def send_reminders() -> int:
    """Reminders for follow-ups due within a day or overdue, and referrals waiting too long
    at a step (care.services.remind); returns how many were added."""
    return services.remind()
