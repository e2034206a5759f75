"""conversation_features (seed 000): extracted agent sessions (Extended JSON lines) -> one feature row per session.

`parse` reads the messy documents (values that may be missing, null, numbers or lists, three kinds
of timestamps) into typed sessions and quarantines what cannot be a row; `features` computes the
training columns. The Glue entry point is `spark_jobs/conversation_features.py`.
"""
