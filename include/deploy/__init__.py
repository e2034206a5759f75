"""Ship a `make dist` bundle to an MWAA environment and its Glue code (`make deploy ENV=dev`).

The environment is `dataplatform-<env>` (the name the CDK app gives it; `DEPLOY_MWAA_ENVIRONMENT`
overrides); everything else is read from it: its source bucket (versioned: the artifacts bucket),
its DAGs folder, its plugins/requirements keys and the Secrets Manager prefix of its Variables.

Before anything is written, the Variable `dataplatform_artifacts_bucket` (where the DAGs start Glue
code from) must name that bucket. The order never leaves a DAG pointing at code that is not there yet:

1. the Glue code under `glue/<version>/` (new keys next to the old versions, which stay: a
   backfill running across the deploy keeps its version, and a rollback finds its code);
2. `plugins.zip` and `requirements.txt` (new S3 object versions, only when their bytes changed);
3. `UpdateEnvironment` with those object versions, waiting until the environment is AVAILABLE
   (skipped when they are the ones it runs; a failed update stops the deploy here);
4. the Variable `dataplatform_code_version` (a secret under the environment's variables prefix):
   from now on every Glue stage starts `glue/<version>/`;
5. the DAG files, last (MWAA syncs them within minutes, plugins only on an update); DAG files
   the bundle no longer has are deleted.

Each deploy appends a record (version, object versions of plugins, requirements and every DAG
file) to `deployments/history.json` in the bucket. A rollback applies an earlier record in the
same order, after checking that its Glue code is still there: its plugins, requirements and DAG
files become the latest objects again (copies of their recorded versions), the environment is
updated to them, the Variable moves back, the DAG files last.
"""
