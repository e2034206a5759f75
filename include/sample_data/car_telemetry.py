"""Realistic car_telemetry landing files: a small fleet reporting through a window, optionally with bad data.

    python -m include.sample_data.car_telemetry --out DIR [--cars 3] [--records-per-car 4] [--seed 7]
        [--start 2025-10-29T14:00:00Z] [--hours 1] [--bad]

Each car reports `records_per_car` readings spread over [start, start + hours), odometer rising
with every trip. Readings are grouped into files of one to three records: a single record is a
bare JSON object (sometimes a one-element array), more are a JSON array. Files sit in nested
folders (`<fleet>/<yyyy>/<mm>/<dd>/<car>/...`) and "land" a little after their last reading;
`write_local` sets that instant as the file's mtime, `as_objects` gives (key, bytes) to upload.

`bad=True` adds, all landing inside the window:
- `bad/truncated.json` (not JSON) and `bad/empty.json` (empty): one quarantine row each;
- `bad/batch.json`, four refused records: no carChassis, no metrics.metricTimestamp, a string
  fuelAvailable ("thirty"), a metricTimestamp that is not a timestamp ("yesterday");
- `odd/*.json`, three valid records of three more cars: fuelCapacity 0, tripFuelLiters 0, and
  Manufacturer/color in mixed case with stray whitespace.
So with `bad=True` bronze quarantines 6 rows and accepts 3 more records than without.
Same arguments and seed, same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEFAULT_START = datetime(2025, 10, 29, 14, tzinfo=timezone.utc)
FLEETS = ("fleet-north", "fleet-south")
MODELS = (
    ("HB20", "hyundai motor", 50),
    ("Onix", "chevrolet", 44),
    ("Gol", "volkswagen", 55),
    ("Corolla", "toyota", 50),
    ("Argo", "fiat", 48),
    ("Kwid", "renault", 38),
)
COLORS = ("PRATA", "BRANCO", "PRETO", "VERMELHO", "CINZA", "AZUL")
CHASSIS_ALPHABET = string.ascii_letters + string.digits
# A file lands shortly after its last reading; readings stop early enough that every file lands in the window.
MAX_LANDING_LAG_S = 120
LAST_READING_MARGIN_S = 180


@dataclass(frozen=True)
class LandingFile:
    key: str
    body: bytes
    modified: datetime


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _car(rng: random.Random) -> dict:
    model, manufacturer, capacity = rng.choice(MODELS)
    return {
        "carChassis": "".join(rng.choices(CHASSIS_ALPHABET, k=27)),
        "model": model,
        "year": rng.randint(2015, 2025),
        "Manufacturer": manufacturer,
        "color": rng.choice(COLORS),
        "fuelCapacity": capacity,
        "mileage": float(rng.randint(2_000, 90_000)),
        "fuel": round(rng.uniform(0.3, 1.0) * capacity, 1),
    }


def _reading(rng: random.Random, car: dict, at: datetime) -> dict:
    """One record; advances the car's odometer and fuel."""
    trip_km = round(rng.uniform(5, 60), 1)
    trip_minutes = rng.randint(10, 90)
    trip_liters = round(trip_km / rng.uniform(9, 15), 2)
    car["mileage"] += trip_km
    car["fuel"] = max(round(car["fuel"] - trip_liters, 1), 2.0)
    return {
        **{name: car[name] for name in ("carChassis", "model", "year", "Manufacturer", "color", "fuelCapacity")},
        "currentMileage": round(car["mileage"]),
        "metrics": {
            "metricTimestamp": _iso(at),
            "fuelAvailable": car["fuel"],
            "engineTemperature": rng.randint(80, 105),
            "batteryVoltage": round(rng.uniform(11.8, 14.4), 1),
            "location": {
                "latitude": round(rng.uniform(-23.7, -23.4), 4),
                "longitude": round(rng.uniform(-46.8, -46.4), 4),
            },
            "trip": {
                "tripMileage": trip_km,
                "tripFuelLiters": trip_liters,
                "tripTimeMinutes": trip_minutes,
                "tripStartTimestamp": _iso(at - timedelta(minutes=trip_minutes)),
            },
        },
    }


def _file(rng: random.Random, folder: str, records: list[dict], last_reading: datetime) -> LandingFile:
    landed = last_reading + timedelta(seconds=rng.randint(5, MAX_LANDING_LAG_S))
    as_array = len(records) > 1 or rng.random() < 0.25
    body = json.dumps(records if as_array else records[0], indent=None if rng.random() < 0.5 else 2)
    key = f"{folder}/{landed:%Y/%m/%d}/{records[0]['carChassis'][:8]}/{landed:%H%M%S}-{rng.randrange(16**6):06x}.json"
    return LandingFile(key, body.encode("utf-8"), landed)


def generate(
    cars: int = 3,
    records_per_car: int = 4,
    seed: int = 7,
    start: datetime = DEFAULT_START,
    hours: int = 1,
    bad: bool = False,
) -> list[LandingFile]:
    """The landing files of a fleet for [start, start + hours), sorted by key."""
    rng = random.Random(seed)
    span_s = hours * 3600 - LAST_READING_MARGIN_S - MAX_LANDING_LAG_S
    files = []
    for _ in range(cars):
        car = _car(rng)
        folder = rng.choice(FLEETS)
        times = sorted(start + timedelta(seconds=rng.randrange(span_s)) for _ in range(records_per_car))
        index = 0
        while index < len(times):
            chunk = times[index : index + rng.randint(1, 3)]
            records = [_reading(rng, car, at) for at in chunk]
            files.append(_file(rng, folder, records, chunk[-1]))
            index += len(chunk)
    if bad:
        files += _bad_files(rng, start + timedelta(seconds=span_s // 2))
    return sorted(files, key=lambda file: file.key)


def _bad_files(rng: random.Random, at: datetime) -> list[LandingFile]:
    def record(**changes) -> dict:
        reading = _reading(rng, _car(rng), at)
        for path, value in changes.items():
            *parents, leaf = path.split("__")
            target = reading
            for parent in parents:
                target = target[parent]
            if value is None:
                target.pop(leaf)
            else:
                target[leaf] = value
        return reading

    refused = [
        record(carChassis=None),
        record(metrics__metricTimestamp=None),
        record(metrics__fuelAvailable="thirty"),
        record(metrics__metricTimestamp="yesterday"),
    ]
    odd = {
        "zero_fuel_capacity": record(fuelCapacity=0),
        "zero_trip_fuel": record(metrics__trip__tripFuelLiters=0),
        "messy_case": record(Manufacturer="  HyUNDAI   motor ", color=" Prata\t"),
    }
    landed = at + timedelta(seconds=30)
    return [
        LandingFile("bad/truncated.json", b'{"carChassis": "9BWZZZ377VT004251", "model": "Gol", ', landed),
        LandingFile("bad/empty.json", b"", landed),
        LandingFile("bad/batch.json", json.dumps(refused).encode("utf-8"), landed),
        *(LandingFile(f"odd/{name}.json", json.dumps(rec).encode("utf-8"), landed) for name, rec in odd.items()),
    ]


def write_local(files: list[LandingFile], out_dir: str | os.PathLike) -> list[Path]:
    """Write the files under `out_dir`, each with its landing instant as mtime."""
    written = []
    for file in files:
        path = Path(out_dir) / file.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(file.body)
        stamp = file.modified.timestamp()
        os.utime(path, (stamp, stamp))
        written.append(path)
    return written


def as_objects(files: list[LandingFile], prefix: str = "") -> list[tuple[str, bytes]]:
    """(key, bytes) pairs to upload under `prefix` (S3 sets its own LastModified: the upload time)."""
    base = prefix.strip("/")
    return [(f"{base}/{file.key}" if base else file.key, file.body) for file in files]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="car_telemetry sample data", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="landing folder to write into")
    parser.add_argument("--cars", type=int, default=3)
    parser.add_argument("--records-per-car", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default=_iso(DEFAULT_START), help="window start, ISO-8601 UTC")
    parser.add_argument("--hours", type=int, default=1)
    parser.add_argument("--bad", action="store_true", help="add the bad and odd files")
    args = parser.parse_args(argv)
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    start = start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start.astimezone(timezone.utc)
    files = generate(args.cars, args.records_per_car, args.seed, start, args.hours, args.bad)
    write_local(files, args.out)
    print(f"wrote {len(files)} files to {args.out} (landing in [{_iso(start)}, +{args.hours}h))")


if __name__ == "__main__":
    main()
