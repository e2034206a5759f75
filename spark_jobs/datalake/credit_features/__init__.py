"""credit_features: a day's credit applications (CSV) -> cleansed, banded, one-hot features."""
