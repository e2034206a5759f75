"""Shared code for the Glue jobs in `spark_jobs/`.

Shipped to Glue as `--extra-py-files s3://<artifacts>/glue/datalake.zip` (built by `make dist`);
found locally because `python spark_jobs/<job>.py` puts `spark_jobs/` on `sys.path`.
Nothing here imports `awsglue`: transforms are plain PySpark and run on any SparkSession.
"""
