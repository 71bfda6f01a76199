"""Evaluation metrics: clustering accuracy, mode coverage of 2-D GAN
samples, and sample quality on classifier features (Frechet distance,
Inception-style score, improved precision/recall, density/coverage)."""

from jgen.metrics._clustering import cluster_accuracy
from jgen.metrics._features import frechet_distance
from jgen.metrics._features import inception_score
from jgen.metrics._features import precision_recall_density_coverage
from jgen.metrics._modes import mode_coverage

__all__ = ["cluster_accuracy", "frechet_distance", "inception_score",
           "mode_coverage", "precision_recall_density_coverage"]
