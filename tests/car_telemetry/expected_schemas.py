"""The tables' schemas as the tests expect them, written out here rather than taken from the code."""

METRICS_DDL = (
    "struct<metricTimestamp: string, fuelAvailable: double, engineTemperature: double, batteryVoltage: double,"
    " location: struct<latitude: double, longitude: double>,"
    " trip: struct<tripMileage: double, tripFuelLiters: double, tripTimeMinutes: double, tripStartTimestamp: string>>"
)
BRONZE_DDL = (
    "carChassis string, model string, year bigint, Manufacturer string, color string, fuelCapacity double,"
    f" currentMileage double, metrics {METRICS_DDL}, ingest_ts timestamp, source_file string,"
    " ingest_year int, ingest_month int, ingest_day int, ingest_hour int"
)
