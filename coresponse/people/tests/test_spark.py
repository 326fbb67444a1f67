"""The Spark backend runs the same model as DuckDB and finds the same links (a local Spark
session, Splink's similarity functions from the jar inside the splink package)."""

import math
import re
import shutil
import subprocess

import pytest

from coresponse.interop.synthetic import generate
from coresponse.people.linkage import backends, engine
from coresponse.people.linkage.model import Model
from coresponse.people.linkage.records import record

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[dev]')")


def _java() -> int | None:
    """The Java runtime's major version (None without one)."""
    if shutil.which("java") is None:
        return None
    shown = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8" is Java 8


JAVA = _java()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        JAVA is None,
        reason="no Java runtime: Spark needs one (scripts/system-deps.sh installs "
        "default-jre-headless)",
    ),
    pytest.mark.skipif(
        JAVA is not None and JAVA < 17,
        reason=f"Java {JAVA} is too old: pyspark 4 needs Java 17 or newer",
    ),
]


@pytest.fixture(scope="module")
def seed_people():
    rows = generate(seed=3, scale=0.06).files["persons.csv"]
    return [
        record(n, r["agency_id"], first_name=r["first_name"], last_name=r["last_name"],
               dob=r["dob"] or None, sex=r["sex"], phone=r["phone"], address=r["address"])
        for n, r in enumerate(rows)
    ]  # fmt: skip


def test_spark_finds_the_same_links_as_duckdb(seed_people):
    parameters, _ = engine.train(seed_people, "duckdb", u_pairs=1e5)
    model = Model(parameters)
    duck = {(p.id_l, p.id_r): p.probability for p in engine.predict(seed_people, model, "duckdb")}
    spark = {(p.id_l, p.id_r): p.probability for p in engine.predict(seed_people, model, "spark")}
    assert len(duck) > 300
    assert set(spark) == set(duck)
    assert all(math.isclose(spark[pair], duck[pair], abs_tol=1e-9) for pair in duck)
    # The session outlives the run (a worker links again later): the run's tables are gone.
    assert not [t for t in backends.spark_session().catalog.listTables() if t.isTemporary]
