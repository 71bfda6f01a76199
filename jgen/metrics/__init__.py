"""Evaluation metrics: clustering accuracy, mode coverage of 2-D GAN
samples, and sample quality on classifier features (Frechet distance,
Inception-style score, improved precision/recall, density/coverage) and the
shipped MNIST classifier whose features and probabilities they use."""

from jgen.metrics._classifier import classifier_info
from jgen.metrics._classifier import mnist_features
from jgen.metrics._classifier import save_classifier
from jgen.metrics._classifier import to_28x28
from jgen.metrics._clustering import cluster_accuracy
from jgen.metrics._features import frechet_distance
from jgen.metrics._features import inception_score
from jgen.metrics._features import precision_recall_density_coverage
from jgen.metrics._modes import mode_coverage

__all__ = ["classifier_info", "cluster_accuracy", "frechet_distance",
           "inception_score", "mnist_features", "mode_coverage",
           "precision_recall_density_coverage", "save_classifier", "to_28x28"]
