"""A record saved by a call, an encounter or an import is linked by the background worker
within seconds, with the saved model, without a batch run."""

from datetime import date

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from coresponse.interop.bundle import MemorySource, import_bundle
from coresponse.people import matching, services
from coresponse.people.linkage.model import default_parameters
from coresponse.people.models import IdentityLink, LinkSource


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def saved_model(db):
    model = services.save_model(
        default_parameters(),
        backend="default",
        auto_threshold=0.95,
        review_threshold=0.5,
        records=0,
        summary={},
    )
    matching.forget_model()
    yield model
    matching.forget_model()


@pytest.mark.django_db(transaction=True)
def test_a_new_record_is_linked_by_the_worker(database_tasks, saved_model, person):
    clinic = person("bhc", "Robert", "Smith", date(1974, 3, 2), phone="970-555-0142",
                    address="1423 Elm St, Riverton, CO 80521", sex="male")  # fmt: skip
    police = person("pd", "Bob", "Smith", date(1974, 2, 3), phone="(970) 555-0142", sex="male")
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    assert not IdentityLink.objects.exists()  # nothing until the worker runs
    call_command("worker", once=True, no_schedule=True)
    link = IdentityLink.objects.get()
    assert {link.person_a_id, link.person_b_id} == {clinic.pk, police.pk}
    assert link.status == "auto" and link.source == LinkSource.INCREMENTAL
    assert link.model_id == saved_model.pk and link.weights
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2


@pytest.mark.django_db(transaction=True)
def test_an_import_is_linked_and_a_change_is_linked_again(database_tasks, saved_model, person):
    clinic = person("bhc", "Maria", "Lucero", date(1990, 6, 1), phone="970-555-0199")
    row = {"person_id": "ems-1", "agency_id": "ems", "first_name": "MARIA", "last_name": "LUCERO",
           "dob": "1990-01-06", "sex": "", "race_ethnicity": "", "address": "",
           "phone": "9705550199", "veteran": ""}  # fmt: skip
    import_bundle(MemorySource({"persons.csv": [row]}))
    call_command("worker", once=True, no_schedule=True)
    link = IdentityLink.objects.get()
    assert clinic.pk in (link.person_a_id, link.person_b_id)
    # The clinic corrects the record: it is no longer the same person, and the link goes.
    services.update_person(clinic, first_name="Martin", dob=date(1951, 2, 9), phone="")
    call_command("worker", once=True, no_schedule=True)
    assert not IdentityLink.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_without_a_trained_model_records_wait_for_the_batch(database_tasks, person):
    person("bhc", "Robert", "Smith", date(1974, 3, 2))
    person("pd", "Robert", "Smith", date(1974, 3, 2))
    call_command("worker", once=True, no_schedule=True)
    assert not IdentityLink.objects.exists()
    result = DBTaskResult.objects.filter(status="SUCCESSFUL").first()
    assert "no linkage model" in result.return_value["reason"]
