"""Where Splink runs: DuckDB in this process (the default) or a Spark session.

CORESPONSE_LINKAGE_BACKEND (settings.LINKAGE_BACKEND) selects it: "duckdb" or "spark".
For Spark, CORESPONSE_SPARK_MASTER (settings.SPARK_MASTER, default "local[2]") says which
cluster; Splink's similarity functions come from the jar shipped inside the splink package.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

BACKENDS = ("duckdb", "spark")


def configured() -> str:
    from django.conf import settings

    return getattr(settings, "LINKAGE_BACKEND", None) or os.environ.get(
        "CORESPONSE_LINKAGE_BACKEND", "duckdb"
    )


def kind(api) -> str:
    return "spark" if type(api).__name__.startswith("Spark") else "duckdb"


@contextlib.contextmanager
def session(backend: str | None = None):
    """A Splink DatabaseAPI for the backend, closed afterwards (Spark's session is kept: it
    is costly to start and Spark allows one per process)."""
    backend = backend or configured()
    if backend not in BACKENDS:
        raise ValueError(f"unknown linkage backend {backend!r} (one of: {', '.join(BACKENDS)})")
    if backend == "spark":
        from splink import SparkAPI

        with tempfile.TemporaryDirectory(prefix="coresponse-spark-") as scratch:
            spark = spark_session()
            spark.sparkContext.setCheckpointDir(scratch)
            try:
                yield SparkAPI(spark_session=spark, break_lineage_method="persist")
            finally:
                # The session outlives this run: forget its tables (Splink refuses to register
                # "source_records" again) and the data it cached.
                for table in spark.catalog.listTables():
                    if table.isTemporary:
                        spark.catalog.dropTempView(table.name)
                spark.catalog.clearCache()
        return
    import duckdb
    from splink import DuckDBAPI

    connection = duckdb.connect(":memory:")
    threads = os.environ.get("CORESPONSE_LINKAGE_THREADS")
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    try:
        yield DuckDBAPI(connection)
    finally:
        connection.close()


def spark_session():
    """The process's Spark session (local unless SPARK_MASTER names a cluster), with the jar of
    Splink's similarity functions."""
    from django.conf import settings
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    master = getattr(settings, "SPARK_MASTER", None) or os.environ.get(
        "CORESPONSE_SPARK_MASTER", "local[2]"
    )
    # On one machine a few partitions beat Spark's 200: each costs a task per stage.
    partitions = os.environ.get(
        "CORESPONSE_SPARK_PARTITIONS", "2" if master.startswith("local") else "200"
    )
    return (
        SparkSession.builder.master(master)
        .appName("coresponse-linkage")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", partitions)
        .config("spark.default.parallelism", partitions)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("CORESPONSE_SPARK_MEMORY", "2g"))
        # Short local jobs: the JIT's quick tier starts the JVM faster than full optimisation.
        .config(
            "spark.driver.extraJavaOptions",
            "-XX:TieredStopAtLevel=1" if master.startswith("local") else "",
        )
        .getOrCreate()
    )


def rows(api, predictions, columns: list[str]):
    """The prediction table's `columns`, row by row, without building a pandas frame."""
    if kind(api) == "spark":
        frame = predictions.as_spark_dataframe().select(*columns)
        for row in frame.toLocalIterator():
            yield tuple(row)
        return
    relation = predictions.as_duckdbpyrelation().select(", ".join(columns))
    reader = relation.to_arrow_reader(100_000)
    for batch in reader:
        for row in zip(*(batch.column(i).to_pylist() for i in range(len(columns))), strict=True):
            yield row
