"""Shared Airflow code for the data platform: the mode switch, Glue stages, sensors, operators.

Lives in `plugins/` because MWAA ships `plugins.zip` to every Airflow component and puts it
on `sys.path`; DAG files import it as `dataplatform.*`.
"""
