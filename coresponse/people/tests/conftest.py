import pytest

from coresponse.agencies.models import Agency, AgencyKind
from coresponse.people import services


@pytest.fixture
def agencies(db):
    return {
        "pd": Agency.objects.create(
            external_id="pd", name="Riverton PD", kind=AgencyKind.LAW_ENFORCEMENT
        ),
        "bhc": Agency.objects.create(
            external_id="bhc", name="Cedar BHC", kind=AgencyKind.BEHAVIORAL_HEALTH
        ),
        "ems": Agency.objects.create(external_id="ems", name="Cedar EMS", kind=AgencyKind.EMS),
    }


@pytest.fixture
def person(agencies):
    """person("pd", "Robert", "Smith", "1974-03-02", phone=..., address=...)"""
    counter = iter(range(1, 10_000))

    def make(agency, first, last, dob=None, **fields):
        return services.create_person(
            external_id=f"{agency}-{next(counter)}",
            agency=agencies[agency],
            first_name=first,
            last_name=last,
            dob=dob,
            **fields,
        )

    return make
