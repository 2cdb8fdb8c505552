"""The README's Spark recipe: Spark (local mode, Debian's OpenJDK 17) reads a --to dataset and
finds the rows and the types DuckDB finds."""

from __future__ import annotations

import os

import pytest

from ot_magic.bulk import pull_to
from ot_magic.client import OpenTrackerClient
from ot_magic.emulator import DEMO_LOGIN, DEMO_PASSWORD
from ot_magic.request import SessionsRequest

# DuckDB's name of a type -> Spark's, for the types a sessions dataset holds.
SAME_TYPE = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
}


@pytest.fixture(scope="module")
def spark():
    """Spark in local mode on one core, bound to 127.0.0.1, no UI."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("ot_magic-test")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def dataset(emulator, tmp_path_factory):
    client = OpenTrackerClient(emulator.url, credentials=(DEMO_LOGIN, DEMO_PASSWORD))
    request = SessionsRequest(
        date="2011-11-16", period="3d", limit=1000, site="www.opentracker.net,www.opentracker.de"
    )
    return pull_to(client, request, tmp_path_factory.mktemp("spark") / "visits")


def test_spark_reads_the_dataset_with_duckdbs_row_count_per_site_and_day(spark, dataset):
    frame = spark.read.parquet(str(dataset.path))  # the README's recipe
    duckdb_counts = dict(
        ((site, str(day)), n)
        for site, day, n in dataset.relation()
        .aggregate("site, day, count(*)", "site, day")
        .fetchall()
    )
    spark_counts = {
        (row["site"], str(row["day"])): row["count"]
        for row in frame.groupBy("site", "day").count().collect()
    }
    assert len(spark_counts) == 6  # two sites, three days
    assert spark_counts == duckdb_counts
    assert frame.count() == dataset.rows() > 5000


def test_spark_sees_the_types_duckdb_sees(spark, dataset):
    frame = spark.read.parquet(str(dataset.path))
    relation = dataset.relation()
    duckdb_types = {
        name: SAME_TYPE[str(kind)]
        for name, kind in zip(relation.columns, relation.types, strict=True)
    }
    spark_types = {field.name: field.dataType.simpleString() for field in frame.schema.fields}
    assert spark_types == duckdb_types
    a_session = dataset.relation().order("session_id").limit(1).fetchall()[0]
    first = frame.orderBy("session_id").first()
    assert first["session_id"] == a_session[relation.columns.index("session_id")]
    assert first["duration"] == a_session[relation.columns.index("duration")]
