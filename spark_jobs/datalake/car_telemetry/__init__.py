"""car_telemetry (seed 001): landing JSON -> bronze (nested Parquet) -> silver (flat, one row per car and day).

`schema` declares the landing record and the table layouts; `bronze` and `silver` hold the pure
DataFrame transforms that the Glue entry points `spark_jobs/car_telemetry_{bronze,silver}.py` chain.
"""
