"""The AWS infrastructure as code (AWS CDK in Python): one stack per environment, `dataplatform-<env>`.

    .venv/bin/python -m include.infra.app --env dev            # synthesise into dist/cdk.out (offline)
    npx aws-cdk deploy --app ".venv/bin/python -m include.infra.app --env dev"   # create or update it

- `storage`: the landing, lake and artifacts buckets (versioned, encrypted, TLS only, no public access;
  landing expires its files, the artifacts bucket is MWAA's source bucket and holds the Glue code);
- `network`: the VPC MWAA needs (two private subnets in two zones with a NAT, a self-referencing
  security group);
- `glue`: the Glue jobs' role and the Glue database;
- `stores`: the DynamoDB table `Recebiveis` and the OpenSearch domain of receivables_lifecycle;
- `airflow`: the MWAA environment (Airflow 3.3.1), its least-privilege execution role, and the
  Airflow Variables it reads from Secrets Manager (bucket names, Glue role, database).
"""

import os

# Node 20 (installed here) works, but jsii prints a banner about its end of life unless told it is known.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
