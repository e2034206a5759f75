"""crypto_training's parts: the time-ordered split, the model pipelines, the metrics and the baseline.

The split (no shuffling across time): the distinct dates of the rows that have a target, sorted;
with n of them the test set starts at the date at index floor(0.8 n). A row whose features are
incomplete is used by neither side.

Each model is a Spark ML `Pipeline` of feature assembly, scaling and the classifier, so the saved
`PipelineModel` applies to the features table as it is. The assembler skips rows with a null
feature: scoring the whole table gives predictions for the rows the models could learn from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from pyspark.ml import Pipeline
from pyspark.ml.classification import GBTClassifier, LogisticRegression, RandomForestClassifier
from pyspark.ml.evaluation import BinaryClassificationEvaluator, MulticlassClassificationEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.functions import array_to_vector
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from datalake.crypto_ml.schema import FEATURE_COLUMNS, TARGET

LABEL = "label"
BASELINE = "majority_baseline"
MODEL_NAMES = ("logistic_regression", "random_forest", "gradient_boosted_trees")
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
TEST_SHARE = 0.2


@dataclass(frozen=True)
class Split:
    train: DataFrame
    test: DataFrame
    test_start_date: date


def test_start_index(dates: int) -> int:
    """Index of the first test date among `dates` sorted distinct dates: floor(0.8 n)."""
    return math.floor((1 - TEST_SHARE) * dates)


def test_start_date(features: DataFrame) -> date:
    """The first date of the test set (the distinct dates are a few thousand at most: collected)."""
    dates = [row[0] for row in features.where(F.col(TARGET).isNotNull()).select("date").distinct().collect()]
    if len(dates) < 2:
        raise ValueError(f"{len(dates)} dates with a target: a time-ordered split needs at least 2")
    return sorted(dates)[test_start_index(len(dates))]


def usable(features: DataFrame) -> DataFrame:
    """The rows a model can learn from: every feature and the target present; the target as `label`."""
    complete = F.col(TARGET).isNotNull()
    for name in FEATURE_COLUMNS:
        complete &= F.col(name).isNotNull()
    return features.where(complete).withColumn(LABEL, F.col(TARGET).cast("double"))


def split(features: DataFrame) -> Split:
    start = test_start_date(features)
    rows = usable(features)
    return Split(rows.where(F.col("date") < F.lit(start)), rows.where(F.col("date") >= F.lit(start)), start)


def pipelines(seed: int) -> dict[str, Pipeline]:
    """Each model with its feature assembly and scaling (fixed seeds: the same data gives the same model)."""
    classifiers = {
        "logistic_regression": LogisticRegression(maxIter=100, regParam=0.01),
        "random_forest": RandomForestClassifier(numTrees=50, maxDepth=6, seed=seed),
        "gradient_boosted_trees": GBTClassifier(maxIter=30, maxDepth=4, seed=seed),
    }
    return {
        name: Pipeline(
            stages=[
                VectorAssembler(inputCols=list(FEATURE_COLUMNS), outputCol="assembled", handleInvalid="skip"),
                StandardScaler(inputCol="assembled", outputCol="scaled", withMean=True, withStd=True),
                classifier.setFeaturesCol("scaled").setLabelCol(LABEL),
            ]
        )
        for name, classifier in classifiers.items()
    }


def majority_class(train: DataFrame) -> int:
    """The training set's most frequent label (a tie goes to 1, "up")."""
    positives, rows = train.agg(F.sum(LABEL), F.count(F.lit(1))).first()
    return 1 if rows and 2 * (positives or 0) >= rows else 0


def baseline_predictions(test: DataFrame, majority: int) -> DataFrame:
    """The majority class for every row, as a model's output columns (a constant score: ROC AUC 0.5)."""
    score = F.array(F.lit(float(1 - majority)), F.lit(float(majority)))
    return test.select(LABEL, F.lit(float(majority)).alias("prediction"), array_to_vector(score).alias("rawPrediction"))


def metrics(predictions: DataFrame) -> dict[str, float]:
    """Accuracy, and precision/recall/F1 of the positive class `1` (0 when undefined), and ROC AUC."""
    by_label = {"precision": "precisionByLabel", "recall": "recallByLabel", "f1": "fMeasureByLabel"}
    found = {"accuracy": MulticlassClassificationEvaluator(labelCol=LABEL, metricName="accuracy").evaluate(predictions)}
    for name, metric in by_label.items():
        evaluator = MulticlassClassificationEvaluator(labelCol=LABEL, metricName=metric, metricLabel=1.0)
        found[name] = evaluator.evaluate(predictions)
    found["roc_auc"] = BinaryClassificationEvaluator(labelCol=LABEL, metricName="areaUnderROC").evaluate(predictions)
    return {name: round(float(found[name]), 6) for name in METRICS}


def best_model(results: dict[str, dict[str, float]]) -> str:
    """The highest test ROC AUC; a tie goes to the model listed first (the learned ones before the baseline)."""
    return max(results, key=lambda name: (results[name]["roc_auc"], -list(results).index(name)))
