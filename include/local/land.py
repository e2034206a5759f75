"""Land realistic sample input for a pipeline into the running local servers, now, deleting nothing.

    python -m include.local.land car_telemetry      # `make land PIPELINE=car_telemetry`

Each call writes under a new folder (`<dataset>/sample-<UTC time>/...`), so earlier data stays; the
objects' last-modified time is now, so they belong to the current hour's window. It prints the
command that processes them.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone

import boto3

from datalake.conventions import DEFAULTS, iso
from include.local.env import services_env
from include.sample_data import car_telemetry, credit_features


def land_car_telemetry() -> str:
    now = datetime.now(timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    files = car_telemetry.generate(cars=5, records_per_car=6, seed=int(now.timestamp()), start=hour, bad=True)
    prefix = f"car_telemetry/sample-{now:%Y%m%dT%H%M%SZ}/"
    s3 = boto3.client("s3")
    for key, body in car_telemetry.as_objects(files, prefix=prefix):
        s3.put_object(Bucket=DEFAULTS["landing_bucket"], Key=key, Body=body)
    conf = json.dumps({"window_start": iso(hour), "window_end": iso(hour + timedelta(hours=1))})
    return (
        f"landed {len(files)} files under s3://{DEFAULTS['landing_bucket']}/{prefix} (the current hour's window).\n"
        f"process them: airflow dags trigger car_telemetry --conf '{conf}'"
    )


def land_credit_features() -> str:
    """Today's credit file (a rerun of the day replaces it: the key is the day's)."""
    today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    key = f"transient/credit/anomesdia={today:%Y%m%d}/credit_{today:%Y%m%d}.csv"
    body = credit_features.generate(rows=1000, seed=int(today.timestamp()), bad=True).encode()
    boto3.client("s3").put_object(Bucket=DEFAULTS["landing_bucket"], Key=key, Body=body)
    conf = json.dumps({"window_start": iso(today), "window_end": iso(today + timedelta(days=1))})
    return (
        f"landed s3://{DEFAULTS['landing_bucket']}/{key} (1,000 clients and some bad rows).\n"
        f"process it: airflow dags trigger credit_features --conf '{conf}'"
    )


def land_conversation_features() -> str:
    from pymongo import MongoClient

    from include.sample_data import conversation_features

    now = datetime.now(timezone.utc)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    database, collection = DEFAULTS["conversation_features_database"], DEFAULTS["conversation_features_collection"]
    mongo_uri = services_env().get("MONGO_URI")
    if not mongo_uri:
        raise SystemExit("error: the local FerretDB is not running: `make services-up` or `make airflow` first")
    with MongoClient(mongo_uri) as client:
        documents = conversation_features.generate(200, day, seed=int(now.timestamp()))
        loaded = conversation_features.load(client[database][collection], documents)
    conf = json.dumps({"window_start": iso(day), "window_end": iso(day + timedelta(days=1))})
    return (
        f"loaded {loaded} session documents for {day:%Y-%m-%d} into {database}.{collection} (FerretDB).\n"
        f"process them (once the day is over, or now): airflow dags trigger conversation_features --conf '{conf}'"
    )


def land_crypto_ml() -> str:
    """A new version of crypto/raw.csv (a fresh random history each time: a new ETag, so a new run)."""
    from include.sample_data import crypto_ml

    now = datetime.now(timezone.utc)
    body = crypto_ml.generate(symbols=5, days=500, seed=int(now.timestamp())).encode()
    boto3.client("s3").put_object(Bucket=DEFAULTS["landing_bucket"], Key="crypto/raw.csv", Body=body)
    return (
        f"landed s3://{DEFAULTS['landing_bucket']}/crypto/raw.csv (5 symbols x 500 days, some bad rows).\n"
        "crypto_ml_raw_watch announces it within 5 minutes (if unpaused), or run it now: airflow dags trigger crypto_ml"
    )


def land_receivables_lifecycle() -> str:
    """Sample events produced to the three Kafka topics, ids tagged with the time (runs never collide)."""
    from include.local.servers.kafka import create_topics
    from include.sample_data import receivables

    bootstrap = services_env().get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        raise SystemExit("error: the local Kafka broker is not running: `make services-up` or `make airflow` first")
    now = datetime.now(timezone.utc)
    create_topics(bootstrap, *receivables.TOPICS.values())
    triples = receivables.generate(200, seed=int(now.timestamp()), bad_share=0.05, prefix=f"REC{now:%Y%m%d%H%M%S}")
    produced = receivables.produce(bootstrap, triples)
    return (
        f"produced {produced} events of 200 receivables (a few bad) to {', '.join(receivables.TOPICS.values())}.\n"
        "process them: airflow dags trigger receivables_lifecycle"
    )


LANDERS = {
    "car_telemetry": land_car_telemetry,
    "credit_features": land_credit_features,
    "conversation_features": land_conversation_features,
    "crypto_ml": land_crypto_ml,
    "receivables_lifecycle": land_receivables_lifecycle,
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in LANDERS:
        print(f"usage: make land PIPELINE=<{'|'.join(LANDERS)}>", file=sys.stderr)
        return 2
    if not services_env().get("AWS_ENDPOINT_URL"):
        print("error: the local servers are not running: `make services-up` or `make airflow` first", file=sys.stderr)
        return 1
    print(LANDERS[argv[0]]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
